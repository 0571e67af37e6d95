"""Admission of heavy work (whole plans): a few at a time on the host, per-client limits, 503.

One cache-missing plan costs up to about a second of CPU (``bench/planner.py``); an
unlimited stream of them would leave nothing for the nearest-station answers. So:

* **Slots for the whole host.** At most ``PLANNER_CONCURRENCY`` plans are computed at
  once by all the processes sharing a planner data folder (gunicorn workers included): a
  slot is an ``flock`` on ``<PLANNER_DATA_DIR>/slots/slot-<i>.lock``, released by the kernel
  if its process dies. With ``make serve``'s one sync worker per core and one slot, at least
  one worker is always free for the API.
* **A short queue, only where waiting costs no worker.** A threaded server
  (``wsgi.multithread``: ``flask run``, gthread) lets up to ``PLANNER_QUEUE`` requests per
  process wait up to ``PLANNER_WAIT_SECONDS`` for a slot; a sync worker that waited would
  be a worker taken from everyone else, so there the answer is at once:
* **503 with ``Retry-After``** (:class:`~locator.errors.Busy`), the seconds a plan has been
  taking lately; the error page reloads itself after them.
* **At low CPU priority.** Plans are computed in the process's planner threads, niced to
  19 (Linux nice values are per thread), while the request's thread waits: on a busy
  machine the kernel gives the cores to the API first (``bench/planner_load.py`` measures
  nearest p99 beside cache-missing plans). The page is drawn in the request's thread (its
  CSP nonce lives in the request's context).
* **Per client**, computing plans is limited to ``PLANNER_RATE_LIMIT`` (`limits` syntax,
  in the app limiter's storage; off when rate limiting is off): a cached plan costs
  nothing and is not counted.
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from flask import Flask, current_app, request
from limits import parse_many

from locator.errors import Busy
from locator.planning import inputstore
from locator.web.config import settings
from locator.web.http import ratelimit

__all__ = ["NICE", "Gate", "admitted", "init_app", "low_priority"]

T = TypeVar("T")
_KEY = "locator.plan_gate"
NICE = 19  #: niceness of the planner thread
_pool: dict[int, ThreadPoolExecutor] = {}  # per process id (a fork starts a new one)
_pool_lock = threading.Lock()


class Gate:
    """Host-wide slots (file locks in ``folder``) and a per-process queue."""

    def __init__(self, folder: Path, slots: int, queue: int, wait_s: float) -> None:
        self.folder = folder
        self.slots = slots
        self.queue = queue
        self.wait_s = wait_s
        self._lock = threading.Lock()
        self._waiting = 0
        self._recent = 1.0  # seconds a plan took lately (moving average)

    def _try(self) -> int | None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for i in range(self.slots):
            fd = os.open(self.folder / f"slot-{i}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return fd
        return None

    @property
    def waiting(self) -> int:
        """Requests of this process waiting for a slot now."""
        with self._lock:
            return self._waiting

    def retry_after(self) -> int:
        """Whole seconds after which a slot is likely free."""
        with self._lock:
            return max(1, math.ceil(self._recent * (1 + self._waiting / max(self.slots, 1))))

    @contextlib.contextmanager
    def slot(self, *, can_wait: bool) -> Iterator[None]:
        """Hold a slot for the body; :class:`Busy` when none comes free in time.

        Raises
        ------
        Busy
            Every slot is taken and this request may not (or no longer) wait.
        """
        fd = self._try()
        if fd is None and can_wait:
            with self._lock:
                queued = self._waiting < self.queue
                if queued:
                    self._waiting += 1
            if queued:
                try:
                    deadline = time.monotonic() + self.wait_s
                    while fd is None and time.monotonic() < deadline:
                        time.sleep(0.05)
                        fd = self._try()
                finally:
                    with self._lock:
                        self._waiting -= 1
        if fd is None:
            raise Busy(f"the planner is busy with {self.slots} other plan(s); try again in "
                       f"{self.retry_after()} s", retry_after=self.retry_after())
        started = time.monotonic()
        try:
            yield
        finally:
            os.close(fd)  # releases the flock
            with self._lock:
                self._recent = 0.7 * self._recent + 0.3 * (time.monotonic() - started)


def init_app(app: Flask) -> None:
    """Make the app's gate from its settings (checked at start-up by the settings model)."""
    checked = settings(app)
    folder = inputstore.data_dir(app.config, app.instance_path) / "slots"
    gate = Gate(folder, checked.planner_concurrency, checked.planner_queue,
                checked.planner_wait_seconds)
    app.extensions[_KEY] = (gate, tuple(parse_many(checked.planner_rate_limit)))


def _count_client() -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    refused = ratelimit.count(app, "plans", app.extensions[_KEY][1], request.remote_addr)
    if refused is not None:
        raise refused


@contextlib.contextmanager
def admitted() -> Iterator[None]:
    """Around one plan computation in a request: count it for the client, then hold a slot.

    Raises
    ------
    RateLimited
        The client computed too many plans lately.
    Busy
        No slot came free (see the module's notes on waiting).
    """
    _count_client()
    gate: Gate = current_app.extensions[_KEY][0]
    with gate.slot(can_wait=bool(request.environ.get("wsgi.multithread"))):
        yield


def _nice() -> None:
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the normal priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)


def low_priority(fn: Callable[[], T]) -> T:
    """Run ``fn`` (in a new context of this app: no request) in one of the process's niced
    planner threads (``PLANNER_CONCURRENCY`` + 4 of them) and wait for it."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    gate: Gate = app.extensions[_KEY][0]
    with _pool_lock:
        pool = _pool.get(os.getpid())
        if pool is None:
            pool = _pool[os.getpid()] = ThreadPoolExecutor(
                max_workers=gate.slots + 4, thread_name_prefix="locator-plan",
                initializer=_nice)

    def run() -> T:
        with app.app_context():
            return fn()

    return pool.submit(run).result()
