"""Production serving: real gunicorn, 2 sync workers, a new store version mid-traffic.

Requests are fired continuously while ``locator import`` writes a new version into
the GeoPackage store; no request may fail and both workers must end up serving the
new version (each answer says which worker and which store version answered).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from locator.registry.load import load_files
from locator.registry.store import ImportMeta, open_store
from locator.web.service import DEFAULT_REGISTRY

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEADLINE_S = 60.0  # generous bound for slow CI; the run normally takes a few seconds


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _import(store: Path, file: Path, env: dict[str, str]) -> None:
    done = subprocess.run([str(BIN / "locator"), "import", str(file), "--user", "test"],
                          env={**env, "LOCATOR_STORE": str(store)}, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, Path, dict[str, str]]]:
    store = tmp_path / "registry.gpkg"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCATOR_")}
    env.update(LOCATOR_STORE=str(store), LOCATOR_REGISTRY_POLL_SECONDS="0.2",
               LOCATOR_API_RATE_LIMIT_ENABLED="false", PYTHONPATH=str(ROOT))
    stations, _ = load_files([DEFAULT_REGISTRY[1]])  # version 1: the demo registry
    first = open_store(store)
    try:
        first.write(stations, ImportMeta(user="test", source="demo", sha256="0" * 64,
                                         rows=len(stations), rejected=0, datum="wgs84"))
    finally:
        first.close()
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as sink:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "python:locator.web.gunicorn_conf", "--workers", "2",
             "--bind", f"127.0.0.1:{port}", "tests.gunicorn_pid_app:app"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=sink)
    try:
        until = time.monotonic() + DEADLINE_S
        while True:
            try:
                if _get(port, "/api/v1/registry/report")[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > until:
                raise AssertionError(f"gunicorn did not start: {log.read_text()}")
            time.sleep(0.1)
        yield port, store, env
    finally:
        server.send_signal(signal.SIGINT)  # quick shutdown
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _version(body: bytes) -> int:
    label = json.loads(body)["files"][0]
    return int(label.rsplit("(store version ", 1)[1].rstrip(")"))


def test_gunicorn_workers_swap_to_a_new_version_without_failing_a_request(
        served: tuple[int, Path, dict[str, str]], tmp_path: Path) -> None:
    port, store, env = served
    smaller = tmp_path / "v2.geojson"
    data = json.loads(DEFAULT_REGISTRY[1].read_text(encoding="utf-8"))
    data["features"] = data["features"][:50]
    smaller.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    failures: list[str] = []
    seen: dict[str, set[int]] = {}  # worker pid -> store versions it answered with
    watch: set[str] = set()  # who checked the store: a worker's thread, or its requests
    stop = threading.Event()

    def fire(path: str) -> None:
        while not stop.is_set():
            try:
                status, headers, body = _get(port, path)
            except OSError as exc:
                failures.append(f"{path}: {exc!r}")
                continue
            if status != 200:
                failures.append(f"{path}: HTTP {status} {body[:200]!r}")
            elif path.startswith("/api/v1/registry/report"):
                seen.setdefault(headers["x-worker-pid"], set()).add(_version(body))
                watch.add(headers["x-store-watch"])

    clients = [threading.Thread(target=fire, args=(path,)) for path in
               ("/api/v1/registry/report", "/api/v1/registry/report",
                "/api/v1/nearest?lat=36.10&lon=103.70&k=3&kind=smart_station")]
    for client in clients:
        client.start()
    try:
        time.sleep(0.5)
        _import(store, smaller, env)  # version 2, written by another process
        until = time.monotonic() + DEADLINE_S
        while time.monotonic() < until:
            if len(seen) == 2 and all(2 in versions for versions in seen.values()):
                break
            time.sleep(0.1)
        time.sleep(0.3)  # and keep serving a little after the swap
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=30)
    assert failures == []
    assert len(seen) == 2, f"answers came from workers {sorted(seen)}"
    assert {pid: 2 in versions for pid, versions in seen.items()} == dict.fromkeys(seen, True)
    assert all(versions <= {1, 2} for versions in seen.values())
    assert watch == {"thread"}  # gunicorn_conf started a watcher in every worker
    status, _, body = _get(port, "/api/v1/nearest?lat=36.06&lon=103.83&k=50")
    assert status == 200 and len(json.loads(body)["features"]) == 50


def test_watcher_thread_swaps_in_a_version_written_by_another_process(tmp_path: Path) -> None:
    from locator import create_app
    from locator.web.service import current_registry, registry_version, start_watcher, stop_watcher

    store_path = tmp_path / "registry.gpkg"
    stations, _ = load_files([DEFAULT_REGISTRY[1]])
    meta = ImportMeta(user="test", source="demo", sha256="0" * 64, rows=len(stations),
                      rejected=0, datum="wgs84")
    store = open_store(store_path)
    try:
        store.write(stations, meta)
        app = create_app({"TESTING": True, "STORE": str(store_path),
                          "REGISTRY_POLL_SECONDS": 0.05})
        thread = start_watcher(app)
        assert thread is not None
        assert start_watcher(app) is None  # one watcher per app
        store.write(stations[:10], meta)
    finally:
        store.close()
    try:
        until = time.monotonic() + DEADLINE_S
        with app.app_context():
            while registry_version(current_registry()) != 2 and time.monotonic() < until:
                time.sleep(0.02)
            assert registry_version(current_registry()) == 2
            assert len(current_registry().stations) == 10
        with app.test_client() as client:
            assert client.get("/api/v1/registry/report").status_code == 200
    finally:  # later tests fork: no thread of ours may be left holding a lock
        stop_watcher(app)
        thread.join(timeout=DEADLINE_S)
    assert not thread.is_alive()
    # started again after a stop, it watches again (a stopped watcher must not stay stopped)
    again = start_watcher(app)
    assert again is not None
    try:
        store = open_store(store_path)
        try:
            store.write(stations[:3], meta)
        finally:
            store.close()
        until = time.monotonic() + DEADLINE_S
        with app.app_context():
            while registry_version(current_registry()) != 3 and time.monotonic() < until:
                time.sleep(0.02)
            assert len(current_registry().stations) == 3
    finally:
        stop_watcher(app)
        again.join(timeout=DEADLINE_S)
    assert not again.is_alive()


def test_a_worker_starts_and_answers_the_api_without_the_map_and_pinyin_libraries() -> None:
    """folium (with pandas, ~0.45 s and ~40 MB) and pypinyin (~0.25 s, ~55 MB) load with the
    first map page and the first place search, not with the app (start-up ≤ 3 s, issue 8)."""
    script = """
import sys
from locator import create_app
app = create_app({"TESTING": True})
heavy = ("folium", "pandas", "pypinyin")
client = app.test_client()
assert client.get("/api/v1/nearest?lat=36.06&lon=103.83&k=3").status_code == 200
before = [m for m in heavy if m in sys.modules]
assert client.get("/?lat=36.06&lon=103.83").status_code == 200
assert client.get("/places?q=yanchang").status_code == 200
after = [m for m in heavy if m in sys.modules]
print(before, after)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, check=True)
    assert done.stdout.strip() == "[] ['folium', 'pandas', 'pypinyin']", done.stderr
