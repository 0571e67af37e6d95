"""What maps draw: station layers in the tiles' datum (no folium), finder and planner maps."""
