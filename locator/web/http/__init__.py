"""HTTP rules of every route: errors, headers, framing, CORS, caching, compression, limits."""
