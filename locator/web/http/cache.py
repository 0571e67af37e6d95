"""``ETag`` and ``Cache-Control`` on the API's read responses; ``304`` on ``If-None-Match``.

The ETag is a hash of the body, so it changes exactly when the answer does (a registry
swap, the open-now state turning); ``max-age`` is ``API_CACHE_SECONDS``.

They write no cookie (:mod:`locator.web.http.sessions`), so shared caches may keep them.
"""

from __future__ import annotations

from flask import Flask, Response, request

from locator.web.config import settings
from locator.web.http.scope import is_public_api

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Make successful ``GET``/``HEAD`` answers under ``/api/`` cacheable and conditional."""
    app.after_request(_conditional)


def _conditional(response: Response) -> Response:
    if (request.method not in ("GET", "HEAD") or not is_public_api(request.path)
            or response.status_code != 200 or response.direct_passthrough):
        return response
    max_age = settings().api_cache_seconds
    if "Cache-Control" in response.headers:  # the view said something: add to it
        response.cache_control.public = True
        response.cache_control.max_age = max_age
    else:  # the hot path: one header write instead of werkzeug's parse-and-rebuild
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.add_etag()
    if "If-None-Match" in request.headers or "If-Modified-Since" in request.headers:
        response.make_conditional(request)  # turns it into a 304 in place when it matches
    return response
