"""The production gunicorn settings (locator/gunicorn_conf.py) plus a readiness marker.

Each worker, once its app is loaded (the registry read and indexed), writes
``$LOCATOR_BENCH_READY_DIR/<pid>`` so a benchmark knows when *every* worker is ready.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from locator.web import gunicorn_conf
from locator.web.gunicorn_conf import (  # noqa: F401  (the production settings themselves)
    accesslog,
    bind,
    keepalive,
    preload_app,
    timeout,
    worker_class,
    workers,
)


def post_worker_init(worker: Any) -> None:
    """The production hook, then the marker file."""
    gunicorn_conf.post_worker_init(worker)
    folder = os.environ.get("LOCATOR_BENCH_READY_DIR")
    if folder:
        Path(folder, str(os.getpid())).touch()
