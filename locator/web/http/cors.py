"""CORS for the API: cross-origin ``GET``/``HEAD`` from the configured origins, nothing else.

A preflight (``OPTIONS``) is granted only when it asks for ``GET`` or ``HEAD``; the only
request header granted is ``If-None-Match`` (for conditional requests).
"""

from __future__ import annotations

from flask import Flask, Response, request

from locator.web.config import settings
from locator.web.http.scope import is_public_api

__all__ = ["EXPOSED_HEADERS", "init_app"]

EXPOSED_HEADERS = "ETag, Retry-After"
_SAFE = ("GET", "HEAD")


def init_app(app: Flask) -> None:
    """Answer CORS on ``/api/`` responses for ``API_CORS_ORIGINS`` (checked by the settings)."""
    app.after_request(_cors_headers)


def _allowed_origin(origin: str) -> str | None:
    allowed = settings().api_cors_origins
    if "*" in allowed:
        return "*"
    return origin if origin.lower() in allowed else None


def _cors_headers(response: Response) -> Response:
    if not is_public_api(request.path):
        return response
    vary = response.headers.get("Vary")  # (response.vary.add re-parses and rebuilds it)
    if not vary:
        response.headers["Vary"] = "Origin"
    elif "origin" not in vary.lower():
        response.headers["Vary"] = f"{vary}, Origin"
    origin = request.headers.get("Origin")
    allow = _allowed_origin(origin) if origin else None
    if allow is None:
        return response
    if request.method == "OPTIONS":
        if request.headers.get("Access-Control-Request-Method", "").upper() not in _SAFE:
            return response
        response.headers["Access-Control-Allow-Methods"] = ", ".join(_SAFE)
        response.headers["Access-Control-Allow-Headers"] = "If-None-Match"
        response.headers["Access-Control-Max-Age"] = "600"
    elif request.method not in _SAFE:
        return response
    response.headers["Access-Control-Allow-Origin"] = allow
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response
