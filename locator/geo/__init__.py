"""Geography with no stations in it: the Chinese map datums and geodesic helpers."""
