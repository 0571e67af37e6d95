"""gunicorn settings for production serving (``make serve``).

    gunicorn -c python:locator.web.gunicorn_conf 'locator:create_app()'

* **Sync workers, one per CPU core** (``WEB_CONCURRENCY`` overrides the count).
  The nearest query is CPU-bound and short (well under a millisecond); a sync
  worker answers one request at a time with no thread switching. Measured at 200,000
  stations (``bench/load.py --gthread 2``): gthread workers, which keep connections
  alive, answered 4 % more requests per second but with a 1.7× longer p99.
* **Each worker builds the app, so it loads and indexes the registry once**
  (``preload_app = False``; set ``LOCATOR_GUNICORN_PRELOAD=1`` to load once in
  the master and fork). Measured at 200,000 stations (``bench/serve_memory.py``):
  preloading shares the app's pages between workers only until the first registry
  swap, after which every worker holds its own copy anyway, and a restarted worker
  needs the master's stale registry swapped out again; without preload the workers
  load in parallel on their own cores, so start-up takes about as long, and a new
  worker always starts from the store's active version.
* **New registry versions are swapped in without failing a request**: each worker
  runs :func:`locator.web.service.start_watcher`, a daemon thread that checks the
  store's active version every ``LOCATOR_REGISTRY_POLL_SECONDS`` and builds the new
  registry *beside* the served one, then swaps the reference; a request sees the
  old or the new registry, never a mix, and never waits for a reload.
* Listens on ``127.0.0.1:5000`` like ``make run`` (``LOCATOR_BIND`` or ``-b`` to change).
* **Rate limits need shared counts**: with ``memory://`` storage every worker counts on its
  own, so each worker logs a loud warning at start-up
  (:func:`locator.web.http.ratelimit.per_worker_warning`); set
  ``LOCATOR_API_RATE_LIMIT_STORAGE=redis://…``.
"""

from __future__ import annotations

import os
from typing import Any

from locator.web import service
from locator.web.config import is_locator_app
from locator.web.http import ratelimit

__all__ = ["bind", "post_worker_init", "preload_app", "timeout", "worker_class", "workers"]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


bind = os.environ.get("LOCATOR_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("WEB_CONCURRENCY", "0")) or _cores()
worker_class = "sync"
preload_app = os.environ.get("LOCATOR_GUNICORN_PRELOAD", "").lower() in ("1", "true", "yes")
timeout = 60  # a worker loading 200,000 stations after a swap still answers, but be generous
keepalive = 5  # sync workers close after each answer; harmless for other worker classes
accesslog = os.environ.get("LOCATOR_ACCESS_LOG") or None  # off by default: it costs ~10 %


def post_worker_init(worker: Any) -> None:
    """In each worker, once the app is loaded: watch the store in a background thread, and
    warn loudly when rate limits count per worker."""
    app = getattr(worker, "wsgi", None)
    if is_locator_app(app):  # (not another app served with these settings, e.g. a baseline)
        service.start_watcher(app)
        warning = ratelimit.per_worker_warning(app, int(worker.cfg.workers))
        if warning is not None:
            worker.log.warning("%s\n%s\n%s", "!" * 78, warning, "!" * 78)
