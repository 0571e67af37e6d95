"""Rate limits under real gunicorn with 2 sync workers: per worker with ``memory://`` (and a
loud warning saying so), one shared count with a real Redis.

The adversarial test counted 239 API requests before the first ``429`` at ``120/min`` and
20 sign-ins at ``10/min`` under ``make serve``. Each answer names the worker that gave it,
so the counts can be checked exactly: per worker, every worker lets its own first
``limit`` requests through; shared, exactly ``limit`` pass in all.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest

from locator.web.http.ratelimit import per_worker_warning
from tests.redisserver import RedisUnavailable, start_redis
from tests.test_serve import BIN, DEADLINE_S, ROOT, _free_port, _get

LIMIT = 20
REQUESTS = 72  # from 4 clients at once, so that both workers answer


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A throwaway Redis for this module (fails, or skips loudly, when it cannot start)."""
    try:
        server = start_redis()
    except RedisUnavailable as exc:
        message = (f"SHARED RATE LIMIT TESTS SKIPPED: {exc}. Run `bash scripts/ensure-redis.sh` "
                   "(make test does) to install it.")
        if os.environ.get("CI"):
            pytest.fail(message.replace("SKIPPED", "CANNOT RUN IN CI"))
        pytest.skip(message)
    yield server.url
    server.stop()


@contextmanager
def gunicorn(tmp_path: Path, storage: str) -> Iterator[tuple[int, Path]]:
    """2 sync workers serving the shipped data with small limits; (port, its log)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCATOR_")}
    env.update(LOCATOR_API_RATE_LIMIT=f"{LIMIT} per hour", LOCATOR_LOGIN_RATE_LIMIT="5 per hour",
               LOCATOR_API_RATE_LIMIT_STORAGE=storage, LOCATOR_API_FAST_PATH="false",
               LOCATOR_STORE=str(tmp_path / "registry.gpkg"), PYTHONPATH=str(ROOT))
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as sink:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "python:locator.web.gunicorn_conf", "--workers", "2",
             "--bind", f"127.0.0.1:{port}", "tests.gunicorn_pid_app:app"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=sink)
    try:
        until = time.monotonic() + DEADLINE_S
        while len(_workers_answering(port)) < 2:  # /healthz: not rate limited
            if server.poll() is not None or time.monotonic() > until:
                raise AssertionError(f"gunicorn did not start 2 workers: {log.read_text()}")
            time.sleep(0.1)
        yield port, log
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _workers_answering(port: int) -> set[str]:
    """The workers that answered 8 ``/healthz`` requests from 4 clients at once."""
    pids: set[str] = set()

    def ask() -> None:
        for _ in range(2):
            try:
                pids.add(_get(port, "/healthz")[1]["x-worker-pid"])
            except OSError:
                return

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DEADLINE_S)
    return pids


def fire(port: int) -> list[tuple[str, int]]:
    """(worker pid, status) of :data:`REQUESTS` API requests from 4 clients at once."""
    answers: list[tuple[str, int]] = []
    lock = threading.Lock()

    def client() -> None:
        for _ in range(REQUESTS // 4):
            status, headers, _body = _get(port, "/api/v1/stations?limit=1")
            with lock:
                answers.append((headers["x-worker-pid"], status))

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DEADLINE_S)
    assert len(answers) == REQUESTS and {s for _, s in answers} <= {200, 429}
    return answers


def test_memory_counts_are_per_worker_and_each_worker_says_so(tmp_path: Path) -> None:
    with gunicorn(tmp_path, "memory://") as (port, log):
        answers = fire(port)
    per_worker = Counter(pid for pid, _ in answers)
    passed = sum(1 for _, status in answers if status == 200)
    assert passed == sum(min(LIMIT, n) for n in per_worker.values())
    print(f"memory://: {passed} of {REQUESTS} passed a limit of {LIMIT} ({dict(per_worker)})")
    text = log.read_text()
    assert text.count("RATE LIMITS COUNT PER WORKER: 2 workers") == 2, text[-3000:]
    assert "LOCATOR_API_RATE_LIMIT_STORAGE=redis://" in text


def test_with_redis_both_workers_share_one_count(tmp_path: Path, redis_url: str) -> None:
    with gunicorn(tmp_path, redis_url) as (port, log):
        answers = fire(port)
        logins = [sign_in_attempt(port) for _ in range(8)]
    per_worker = Counter(pid for pid, _ in answers)
    assert len(per_worker) == 2, f"only one worker answered: {per_worker}"
    assert sum(1 for _, status in answers if status == 200) == LIMIT  # in all, not per worker
    assert logins == [401] * 5 + [429] * 3
    assert "RATE LIMITS COUNT PER WORKER" not in log.read_text()


def sign_in_attempt(port: int) -> int:
    """A wrong password through the real form (its CSRF token and cookie); the status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/login")
        page = conn.getresponse()
        cookie = page.getheader("Set-Cookie", "").split(";")[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())
    finally:
        conn.close()
    assert token is not None and cookie.startswith("session=")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/login", body=urlencode({
            "name": "nobody", "password": "not the password", "csrf_token": token.group(1)}),
            headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_the_warning_is_only_for_per_process_counts_with_several_workers(
        tiny_path: Path) -> None:
    from locator import create_app

    def app(storage: str, enabled: bool = True) -> object:
        return create_app({"TESTING": True, "REGISTRY": str(tiny_path),
                           "API_RATE_LIMIT_ENABLED": enabled,
                           "API_RATE_LIMIT_STORAGE": storage})

    memory = app("memory://")
    assert per_worker_warning(memory, 1) is None  # type: ignore[arg-type]
    warning = per_worker_warning(memory, 4)  # type: ignore[arg-type]
    assert warning is not None and "up to 4 x '120 per minute'" in warning
    assert per_worker_warning(app("memory://", enabled=False), 4) is None  # type: ignore[arg-type]
