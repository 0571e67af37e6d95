"""Per-client rate limiting of ``/api/`` with Flask-Limiter; a breach is a ``429`` JSON error.

The client is the request's remote address (behind a reverse proxy, wrap the app in
``werkzeug.middleware.proxy_fix.ProxyFix`` so that is the visitor, not the proxy). Counts
live in ``API_RATE_LIMIT_STORAGE``: ``memory://`` counts per process, so several workers
need a shared store such as ``redis://host:6379/0`` (``pip install redis``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import partial

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from locator.errors import ConfigError, RateLimited
from locator.web.http.errors import render_error

__all__ = ["count_api_request", "init_app", "limiter"]

_KEY = "locator.limiter"
_API_KEY = "locator.api_limit"
_API_SCOPE = "locator-api"


def init_app(app: Flask) -> None:
    """Attach a :class:`~flask_limiter.Limiter` limiting each client across ``/api/``.

    Raises
    ------
    ConfigError
        When ``API_RATE_LIMIT`` is not a Flask-Limiter limit string.
    """
    text = str(app.config["API_RATE_LIMIT"])
    try:
        items = tuple(parse_many(text))
    except ValueError:
        raise ConfigError(f"API_RATE_LIMIT must look like '120 per minute' or "
                          f"'10/second;1000/day', got {text!r}") from None
    enabled = app.config["API_RATE_LIMIT_ENABLED"]
    if enabled is None:
        enabled = not app.config.get("TESTING", False)
    found = Limiter(get_remote_address,
                    storage_uri=_storage_uri(str(app.config["API_RATE_LIMIT_STORAGE"])),
                    headers_enabled=False, key_prefix="locator", enabled=bool(enabled))
    found.init_app(app)
    app.extensions[_KEY] = found
    app.register_error_handler(RateLimitExceeded, _too_many)
    if enabled:
        # The /api/ limit is counted here, in the limiter's storage, with its fixed-window
        # strategy: Flask-Limiter's generic per-request resolution of application limits
        # cost ~0.3 ms of CPU per API request (bench/load.py); this costs a dict lookup.
        app.extensions[_API_KEY] = (FixedWindowRateLimiter(found.storage), items)
        app.before_request(_limit_api)
        # API v1 views carry no per-route limits, so Flask-Limiter's own check is skipped
        # for them outright: even with a request filter it evaluated its (empty) limits for
        # ~0.15 ms per request. A limit decorated onto an api.* view would need this removed.
        hooks = app.before_request_funcs[None]  # where Flask-Limiter's init_app put it
        hooks[hooks.index(found._check_request_limit)] = partial(
            _unless_api, found._check_request_limit)


class _SweptMemoryStorage(MemoryStorage):
    """``memory://`` without its 10 ms timer thread.

    limits' ``MemoryStorage`` (re)starts a ``threading.Timer`` from every hit that finds
    the last one finished, i.e. a new thread every ~10 ms under load, and the request
    waits for it to start: measured at about half the API's CPU time per request with
    200,000 stations (``bench/load.py``). Counts are already expired lazily on read
    (``get``), so the timer only frees memory; here that sweep runs inline at most once
    a second instead. Same counts, same limits.
    """

    STORAGE_SCHEME = ["locator-memory"]  # noqa: RUF012  (typed as a list by limits)
    _SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 **options: str) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()
        self._next_sweep = time.monotonic() + self._SWEEP_SECONDS

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the timer restart
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self._SWEEP_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


def _storage_uri(uri: str) -> str:
    """``memory://`` → the swept variant (when this limits version has the hook to replace)."""
    if uri == "memory://" and hasattr(MemoryStorage, "_MemoryStorage__schedule_expiry"):
        return "locator-memory://"
    return uri


def limiter() -> Limiter:
    """The current app's limiter."""
    found: Limiter = current_app.extensions[_KEY]
    return found


def _unless_api(check: Callable[[], None]) -> None:
    """Flask-Limiter's per-request check, for every request outside the API blueprint."""
    if request.blueprint != "api":
        check()


def _limit_api() -> Response | None:
    """Before an ``/api/`` request: count it for this client; ``429`` past the limit."""
    if not request.path.startswith("/api/"):
        return None
    refused = count_api_request(current_app._get_current_object(),  # type: ignore[attr-defined]
                                request.remote_addr)
    return None if refused is None else render_error(refused)


def count_api_request(app: Flask, remote_addr: str | None) -> RateLimited | None:
    """Count one ``/api/`` request of the client at ``remote_addr``; the refusal past the limit.

    ``None`` when it is within the limit (or limiting is off). The client key is Flask-Limiter's
    ``get_remote_address`` of the same request.
    """
    found = app.extensions.get(_API_KEY)
    if found is None:
        return None
    strategy, items = found
    key = remote_addr or "127.0.0.1"
    for item in items:
        if not strategy.hit(item, _API_SCOPE, key):
            reset_at = strategy.get_window_stats(item, _API_SCOPE, key).reset_time
            retry = max(1, math.ceil(reset_at - time.time()))
            return RateLimited(f"rate limit of {item} exceeded for this client; "
                               f"retry after {retry} s", retry_after=retry, limit=str(item))
    return None


def _too_many(exc: RateLimitExceeded) -> Response:
    current = limiter().current_limit
    reset_at = current.reset_at if current is not None else time.time() + 1
    retry = max(1, math.ceil(reset_at - time.time()))
    limit = str(exc.limit.limit)
    return render_error(RateLimited(
        f"rate limit of {limit} exceeded for this client; retry after {retry} s",
        retry_after=retry, limit=limit))
