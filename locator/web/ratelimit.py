"""Per-client rate limiting of ``/api/`` with Flask-Limiter; a breach is a ``429`` JSON error.

The client is the request's remote address (behind a reverse proxy, wrap the app in
``werkzeug.middleware.proxy_fix.ProxyFix`` so that is the visitor, not the proxy). Counts
live in ``API_RATE_LIMIT_STORAGE``: ``memory://`` counts per process, so several workers
need a shared store such as ``redis://host:6379/0`` (``pip install redis``).
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import parse_many

from locator.errors import ConfigError, RateLimited
from locator.web.errors import render_error

__all__ = ["init_app", "limiter"]

_KEY = "locator.limiter"


def init_app(app: Flask) -> None:
    """Attach a :class:`~flask_limiter.Limiter` limiting each client across ``/api/``.

    Raises
    ------
    ConfigError
        When ``API_RATE_LIMIT`` is not a Flask-Limiter limit string.
    """
    text = str(app.config["API_RATE_LIMIT"])
    try:
        parse_many(text)
    except ValueError:
        raise ConfigError(f"API_RATE_LIMIT must look like '120 per minute' or "
                          f"'10/second;1000/day', got {text!r}") from None
    enabled = app.config["API_RATE_LIMIT_ENABLED"]
    if enabled is None:
        enabled = not app.config.get("TESTING", False)
    found = Limiter(get_remote_address, application_limits=[text],
                    application_limits_exempt_when=_not_api,
                    storage_uri=str(app.config["API_RATE_LIMIT_STORAGE"]),
                    headers_enabled=False, key_prefix="locator", enabled=bool(enabled))
    found.init_app(app)
    app.extensions[_KEY] = found
    app.register_error_handler(RateLimitExceeded, _too_many)


def limiter() -> Limiter:
    """The current app's limiter."""
    found: Limiter = current_app.extensions[_KEY]
    return found


def _not_api() -> bool:
    return not request.path.startswith("/api/")


def _too_many(exc: RateLimitExceeded) -> Response:
    current = limiter().current_limit
    reset_at = current.reset_at if current is not None else time.time() + 1
    retry = max(1, math.ceil(reset_at - time.time()))
    limit = str(exc.limit.limit)
    return render_error(RateLimited(
        f"rate limit of {limit} exceeded for this client; retry after {retry} s",
        retry_after=retry, limit=limit))
