"""About stations: nearest index, opening hours, travel minutes, directions, GeoJSON."""
