"""Administrative units, imported area polygons and the place search."""
