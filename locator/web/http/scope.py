"""Which requests are API requests: the one place that knows the API's paths.

* the **public API** is everything under ``/api/`` (API v1, its spec and docs): rate
  limited per client, CORS-readable, cacheable with an ``ETag``;
* the **editing API** is under ``/edit/api/``: JSON like the public API, but signed in;
* a **public read** is a ``GET``/``HEAD`` of the public API or the ``/embed`` widget: the
  same answer for everyone, so it neither reads nor writes the session cookie.
"""

from __future__ import annotations

from flask import Request

__all__ = ["API_PREFIX", "EDIT_API_PREFIX", "is_json_api", "is_public_api", "is_public_read"]

API_PREFIX = "/api/"
EDIT_API_PREFIX = "/edit/api/"
_READS = ("GET", "HEAD")
_PUBLIC = (API_PREFIX, "/embed")


def is_public_api(path: str) -> bool:
    """Whether ``path`` is under the public API (``/api/``)."""
    return path.startswith(API_PREFIX)


def is_json_api(path: str) -> bool:
    """Whether ``path`` belongs to an API that always answers JSON (public or editing)."""
    return path.startswith((API_PREFIX, EDIT_API_PREFIX))


def is_public_read(request: Request) -> bool:
    """Whether ``request`` reads something whose answer does not depend on who asks."""
    return request.method in _READS and request.path.startswith(_PUBLIC)
