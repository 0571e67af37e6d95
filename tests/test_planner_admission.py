"""Heavy planner work is bounded and shared: slots on the host, a queue only where waiting is
free, 503 + Retry-After, a per-client plan limit, and nearest answers while plans are held.

No test here depends on how fast anything is: plans are "in flight" because the test holds
the host's slot itself (the same file lock a computing worker holds).
"""

from __future__ import annotations

import fcntl
import http.client
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask

from locator import create_app
from locator.errors import Busy
from locator.web.http.admission import Gate
from tests.test_serve import DEADLINE_S, _free_port, _get

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@contextmanager
def held(folder: Path, slots: int = 1) -> Iterator[None]:
    """Hold every plan slot of ``folder`` (as ``slots`` computing workers would)."""
    folder.mkdir(parents=True, exist_ok=True)
    fds = [os.open(folder / f"slot-{i}.lock", os.O_RDWR | os.O_CREAT, 0o600)
           for i in range(slots)]
    try:
        for fd in fds:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        for fd in fds:
            os.close(fd)


def test_a_full_gate_refuses_at_once_when_waiting_would_take_a_worker(tmp_path: Path) -> None:
    gate = Gate(tmp_path, slots=1, queue=2, wait_s=30.0)
    with held(tmp_path), pytest.raises(Busy) as refused, gate.slot(can_wait=False):
        pass
    assert refused.value.retry_after >= 1 and refused.value.status == 503
    with gate.slot(can_wait=False):  # free again
        pass


def test_a_threaded_server_queues_and_the_queue_has_a_length(tmp_path: Path) -> None:
    gate = Gate(tmp_path, slots=1, queue=1, wait_s=60.0)
    order: list[str] = []
    waiting = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with gate.slot(can_wait=False):
            order.append("first")
            waiting.set()
            release.wait(30)
            order.append("first done")

    def queued() -> None:
        with gate.slot(can_wait=True):
            order.append("second")

    holder = threading.Thread(target=hold)
    holder.start()
    waiting.wait(30)
    second = threading.Thread(target=queued)
    second.start()
    until = time.monotonic() + 30
    while gate.waiting == 0 and time.monotonic() < until:  # the second one is queued
        time.sleep(0.01)
    with pytest.raises(Busy), gate.slot(can_wait=True):  # the queue (1) is full: refused
        pass
    release.set()
    holder.join(30)
    second.join(30)
    assert order == ["first", "first done", "second"]


@pytest.fixture
def busy_app(tmp_path: Path) -> Flask:
    return create_app({"TESTING": True, "PLANNER_RESOLUTION": 7,
                       "PLANNER_DATA_DIR": str(tmp_path / "planner")})


def test_cache_misses_get_503_while_the_slot_is_taken_and_hits_do_not(busy_app: Flask,
                                                                      tmp_path: Path) -> None:
    client = busy_app.test_client()
    assert client.get("/planner/?n=0&radius=1000").status_code == 200
    with held(tmp_path / "planner" / "slots"):
        page = client.get("/planner/?n=0&radius=1550")
        assert page.status_code == 503 and int(page.headers["Retry-After"]) >= 1
        assert 'http-equiv="refresh"' in page.get_data(as_text=True)
        api = client.get("/api/v1/coverage?radius_m=1550&resolution=7")
        assert api.status_code == 503 and api.get_json()["error"]["code"] == "busy"
        assert "Retry-After" in api.headers
        assert client.get("/planner/?n=0&radius=1000").status_code == 200  # cached
        assert client.get("/planner/units.csv?n=0&radius=1000").status_code == 200


def test_each_client_may_compute_only_so_many_plans(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "PLANNER_RESOLUTION": 7, "API_RATE_LIMIT_ENABLED": True,
                      "PLANNER_RATE_LIMIT": "2 per minute",
                      "PLANNER_DATA_DIR": str(tmp_path / "planner")})
    client = app.test_client()
    assert client.get("/planner/?n=0&radius=500").status_code == 200
    assert client.get("/planner/?n=0&radius=600").status_code == 200
    for _ in range(3):  # a cached plan is not counted
        assert client.get("/planner/?n=0&radius=500").status_code == 200
    refused = client.get("/planner/?n=0&radius=700")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    other = app.test_client()
    ok = other.get("/planner/?n=0&radius=700", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert ok.status_code == 200


def test_the_api_parameters_are_on_a_grid(busy_app: Flask) -> None:
    client = busy_app.test_client()
    for query, param in (("radius_m=1001", "radius_m"), ("minutes=7.25", "minutes"),
                         ("radius_m=60000", "radius_m")):
        r = client.get(f"/api/v1/coverage?{query}")
        assert r.status_code == 400 and r.get_json()["error"]["param"] == param


@pytest.mark.timeout(240)
def test_planner_requests_do_not_hold_workers_that_nearest_answers_need(tmp_path: Path) -> None:
    """gunicorn, 2 sync workers. While the host's plan slot is taken (a plan "in flight"),
    a burst of cache-missing planner requests is answered 503 at once, and every nearest
    request fired beside them is answered: no worker waits for a plan."""
    data = tmp_path / "planner"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCATOR_")}
    env.update(LOCATOR_PLANNER_DATA_DIR=str(data), LOCATOR_PLANNER_RESOLUTION="7",
               LOCATOR_API_RATE_LIMIT_ENABLED="false", LOCATOR_REGISTRY_POLL_SECONDS="0",
               LOCATOR_STORE=str(tmp_path / "none.gpkg"), PYTHONPATH=str(ROOT))
    port = _free_port()
    with (tmp_path / "gunicorn.log").open("w") as sink:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "python:locator.web.gunicorn_conf", "--workers", "2",
             "--bind", f"127.0.0.1:{port}", "locator:create_app()"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=sink)
    try:
        until = time.monotonic() + DEADLINE_S
        while True:
            try:
                if _get(port, "/api/v1/nearest?lat=36.06&lon=103.83")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < until, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.2)
        statuses: dict[str, list[int]] = {"plan": [], "nearest": []}

        def fire(kind: str, paths: list[str]) -> None:
            for path in paths:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                try:
                    conn.request("GET", path)
                    statuses[kind].append(conn.getresponse().status)
                finally:
                    conn.close()

        with held(data / "slots"):
            plans = [threading.Thread(target=fire, args=("plan", [
                f"/planner/?n=3&radius={r}" for r in range(1000 + 50 * i, 3000, 400)]))
                for i in range(4)]
            nearest = threading.Thread(target=fire, args=("nearest", [
                f"/api/v1/nearest?lat=36.{i:03d}&lon=103.8" for i in range(40)]))
            for t in (*plans, nearest):
                t.start()
            for t in (*plans, nearest):
                t.join(120)
        assert statuses["plan"] and set(statuses["plan"]) == {503}
        assert statuses["nearest"] == [200] * 40
        assert _get(port, "/planner/?n=0&radius=2000")[0] == 200  # released: computed
    finally:
        server.terminate()
        server.wait(30)
