"""Helpers shared by the serving benchmarks (load.py, serve_memory.py, postgis_nearest.py).

* :func:`national_store` — the synthetic national registry (``synthetic.national``,
  every record ``synthetic=True``) written once into a GeoPackage store under
  ``bench/results/cache/`` and reused by later runs (same size and seed → same file);
* :class:`Gunicorn` — a gunicorn server on a free 127.0.0.1 port, started with the
  project's production settings (``locator/gunicorn_conf.py``), its workers' pids,
  resident memory and CPU time, and a clean stop of exactly the process it started.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the synthetic generators live beside the package
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
CACHE = RESULTS / "cache"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def national_store(n: int, seed: int = 2024) -> Path:
    """A GeoPackage store holding ``n`` synthetic national stations as its active version."""
    path = CACHE / f"national-{n}-seed{seed}.gpkg"
    if path.is_file():
        return path
    from locator.registry.store import ImportMeta, open_store
    from synthetic import national

    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.gpkg")
    for stale in CACHE.glob(tmp.name + "*"):
        stale.unlink()
    t0 = time.perf_counter()
    stations = national.generate(n, seed=seed)
    store = open_store(tmp)
    try:
        store.write(stations, ImportMeta(
            user="bench", source=f"synthetic: synthetic.national n={n} seed={seed}",
            sha256="0" * 64, rows=n, rejected=0, datum="wgs84"))
    finally:
        store.close()
    for suffix in ("-wal", "-shm", ".bak"):  # (.bak: the store's own verified copy, 138 MB)
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    tmp.rename(path)
    print(f"  wrote {path.relative_to(ROOT)} ({n:,} synthetic stations) in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    return path


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(port: int, path: str, timeout: float = 30.0) -> tuple[int, bytes]:
    """One GET on a fresh connection: status and body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def proc_status(pid: int, key: str) -> float:
    """A ``/proc/<pid>/status`` field in MB (``VmRSS``, ``VmHWM``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pss_mb(pid: int) -> float:
    """Proportional set size in MB (shared pages split between the processes sharing them)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


@dataclass
class Gunicorn:
    """A gunicorn server this script started (stopped only by its own pid)."""

    app: str
    env: dict[str, str]
    workers: int = 2
    extra: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    started_s: float = float("nan")

    def start(self, ready_path: str, timeout: float = 180.0) -> float:
        """Start; wait until every worker has loaded its app and ``ready_path`` answers 200.

        Returns the seconds from launching gunicorn until then (the start-up time).
        """
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOCATOR_")}
        env.update(self.env)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "bench")])
        ready = Path(tempfile.mkdtemp(prefix="locator-ready-"))
        env["LOCATOR_BENCH_READY_DIR"] = str(ready)
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(  # noqa: S603  (our own argv)
            [str(BIN / "gunicorn"), "-c", "python:gunicorn_bench_conf", "--workers",
             str(self.workers), "--bind", f"127.0.0.1:{self.port}", *self.extra, self.app],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = t0 + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn {self.app} exited with {self.proc.returncode}")
            if time.perf_counter() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn {self.app} not ready after {timeout:.0f} s")
            if len(list(ready.iterdir())) >= self.workers:
                try:
                    if get(self.port, ready_path, timeout=5)[0] == 200:
                        break
                except OSError:
                    pass
            time.sleep(0.02)
        self.started_s = time.perf_counter() - t0
        shutil.rmtree(ready, ignore_errors=True)
        return self.started_s

    def worker_pids(self) -> list[int]:
        """The pids of the master's children (the workers)."""
        if self.proc is None:
            return []
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        """SIGINT (quick shutdown) to the master this object started, then wait."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
