"""Per-client rate limits: ``/api/`` requests and sign-in attempts; a breach is a ``429``.

The client is the request's remote address (behind a reverse proxy, wrap the app in
``werkzeug.middleware.proxy_fix.ProxyFix`` so that is the visitor, not the proxy). Counts
live in ``API_RATE_LIMIT_STORAGE``: ``memory://`` counts per process, so several workers
need a shared store such as ``redis://host:6379/0`` (the ``redis`` client is installed with
locator). With several workers and per-process counts, each worker says so loudly when it
starts (:func:`per_worker_warning`, called by :mod:`locator.web.gunicorn_conf`): a client
then gets the limit once per worker. We warn rather than start a Redis behind the
operator's back: where the counts live is a deployment decision (one Redis for several
hosts), and a server that starts one silently also stops counting silently when it dies.

A small owned piece on the public API of the ``limits`` library (``parse_many``,
``FixedWindowRateLimiter``, ``storage_from_string`` and its ``Storage`` base class), not on
Flask-Limiter: Flask-Limiter's generic per-request resolution of limits cost ~0.3 ms of
CPU per API request (``bench/load.py``), and skipping it had meant patching its private
hooks. Here an ``/api/`` request costs one counter increment, in one ``before_request`` hook
(and in :mod:`locator.web.api.fastpath`, through :func:`count_api_request`); sign-in is
limited by the :func:`limited` decorator on its view.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar, cast

from flask import Flask, Response, current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from locator.errors import RateLimited
from locator.web.config import settings
from locator.web.http.errors import render_error
from locator.web.http.scope import is_public_api

__all__ = ["WindowCounts", "count", "count_api_request", "init_app", "limited",
           "per_worker_warning"]

F = TypeVar("F", bound=Callable[..., Any])
_KEY = "locator.ratelimit"
_API_SCOPE = "locator-api"


class WindowCounts(Storage):
    """``memory://``: fixed-window counts in this process, expired lazily.

    limits' own ``MemoryStorage`` (re)starts a ``threading.Timer`` from every hit that finds
    the last one finished — a new thread every ~10 ms under load, which the request waits
    for: measured at about half the API's CPU per request with 200,000 stations
    (``bench/load.py``). Here a count past its window reads as zero and is dropped on the
    next hit, and a sweep of the dead ones runs inline at most once a second. Only what
    :class:`~limits.strategies.FixedWindowRateLimiter` needs is implemented.
    """

    STORAGE_SCHEME = ["locator-memory"]  # noqa: RUF012  (typed as a list by limits)
    _SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 **options: float | str | bool) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._counts: dict[str, tuple[int, float]] = {}  # key → (count, window end)
        self._lock = threading.Lock()
        self._next_sweep = time.monotonic() + self._SWEEP_SECONDS

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        """Nothing here talks to a server, so nothing to wrap."""
        return ValueError

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add ``amount`` to ``key``'s count, starting a window of ``expiry`` s if none runs."""
        now = time.time()
        with self._lock:
            count, end = self._counts.get(key, (0, 0.0))
            if end <= now:
                count, end = 0, now + expiry
            count += amount
            self._counts[key] = (count, end)
            if time.monotonic() >= self._next_sweep:
                self._sweep(now)
        return count

    def get(self, key: str) -> int:
        """The count of ``key`` in its current window (0 when none runs)."""
        count, end = self._counts.get(key, (0, 0.0))
        return count if end > time.time() else 0

    def get_expiry(self, key: str) -> float:
        """When ``key``'s window ends (now when none runs)."""
        _, end = self._counts.get(key, (0, 0.0))
        return max(end, time.time())

    def check(self) -> bool:
        """Always reachable."""
        return True

    def reset(self) -> int | None:
        """Forget every count; how many there were."""
        with self._lock:
            dropped = len(self._counts)
            self._counts.clear()
        return dropped

    def clear(self, key: str) -> None:
        """Forget ``key``'s count."""
        with self._lock:
            self._counts.pop(key, None)

    def _sweep(self, now: float) -> None:
        self._next_sweep = time.monotonic() + self._SWEEP_SECONDS
        for key in [k for k, (_, end) in self._counts.items() if end <= now]:
            del self._counts[key]


@dataclass(frozen=True, slots=True)
class _Limits:
    strategy: FixedWindowRateLimiter
    api: tuple[RateLimitItem, ...]


@lru_cache(maxsize=32)
def _items(text: str) -> tuple[RateLimitItem, ...]:
    """A limits string (checked by the settings at start-up) as its items."""
    return tuple(parse_many(text))


def init_app(app: Flask) -> None:
    """Count ``/api/`` requests per client (unless limits are off) and keep the limits."""
    checked = settings(app)
    enabled = checked.api_rate_limit_enabled
    if enabled is None:
        enabled = not app.config.get("TESTING", False)
    if not enabled:
        return
    uri = checked.api_rate_limit_storage
    storage = WindowCounts() if uri == "memory://" else storage_from_string(uri)
    app.extensions[_KEY] = _Limits(FixedWindowRateLimiter(storage),
                                   _items(checked.api_rate_limit))
    app.before_request(_limit_api)


def per_worker_warning(app: Flask, workers: int) -> str | None:
    """What to tell the operator when ``workers`` processes each count on their own.

    ``None`` when the counts are shared (``redis://`` and the like), limits are off, or
    there is one worker.
    """
    checked = settings(app)
    if workers <= 1 or _KEY not in app.extensions \
            or not checked.api_rate_limit_storage.startswith("memory://"):
        return None
    return (f"RATE LIMITS COUNT PER WORKER: {workers} workers each keep their own counts "
            f"(LOCATOR_API_RATE_LIMIT_STORAGE={checked.api_rate_limit_storage}), so a client "
            f"gets up to {workers} x '{checked.api_rate_limit}' on /api and {workers} x "
            f"'{checked.login_rate_limit}' sign-in attempts. Share the counts: set "
            "LOCATOR_API_RATE_LIMIT_STORAGE=redis://HOST:6379/0 (see SECURITY.md).")


def _hit(limits: _Limits, items: tuple[RateLimitItem, ...], scope: str,
         client: str | None) -> RateLimited | None:
    key = client or "127.0.0.1"
    for item in items:
        if not limits.strategy.hit(item, scope, key):
            reset_at = limits.strategy.get_window_stats(item, scope, key).reset_time
            retry = max(1, math.ceil(reset_at - time.time()))
            return RateLimited(f"rate limit of {item} exceeded for this client; "
                               f"retry after {retry} s", retry_after=retry, limit=str(item))
    return None


def count(app: Flask, scope: str, items: tuple[RateLimitItem, ...],
          remote_addr: str | None) -> RateLimited | None:
    """Count one use of ``scope`` (plans, reports…) by a client against ``items``, in the
    app's storage; the refusal past the limit, ``None`` within it or when limits are off."""
    found: _Limits | None = app.extensions.get(_KEY)
    return None if found is None else _hit(found, items, f"locator-{scope}", remote_addr)


def count_api_request(app: Flask, remote_addr: str | None) -> RateLimited | None:
    """Count one ``/api/`` request of the client at ``remote_addr``; the refusal past the limit.

    ``None`` when it is within the limit (or limiting is off).
    """
    found: _Limits | None = app.extensions.get(_KEY)
    return None if found is None else _hit(found, found.api, _API_SCOPE, remote_addr)


def _limit_api() -> Response | None:
    """Before an ``/api/`` request: count it for this client; ``429`` past the limit."""
    if not is_public_api(request.path):
        return None
    refused = count_api_request(current_app._get_current_object(),  # type: ignore[attr-defined]
                                request.remote_addr)
    return None if refused is None else render_error(refused)


def limited(scope: str, *, limit: str = "login_rate_limit",
            methods: tuple[str, ...] = ("POST",)) -> Callable[[F], F]:
    """Limit a view's ``methods`` per client to the setting named ``limit`` (a field of
    :class:`~locator.settings.Settings`: ``login_rate_limit``, ``report_rate_limit``…);
    ``scope`` keeps its counts apart from other views'. Past it the view is not called and
    the answer is ``429`` with ``Retry-After``."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            found: _Limits | None = current_app.extensions.get(_KEY)
            if found is not None and request.method in methods:
                items = _items(getattr(settings(), limit))
                refused = _hit(found, items, f"locator-{scope}", request.remote_addr)
                if refused is not None:
                    raise refused
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate
