"""The JSON APIs: /api/v1 and its OpenAPI document, and the editing API under /edit/api."""
