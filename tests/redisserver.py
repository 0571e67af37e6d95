"""A throwaway Redis for the test run: the rate limits shared by several gunicorn workers.

``redis-server`` in the foreground, listening only on a unix socket inside a fresh temp
folder (no TCP port), nothing saved to disk, stopped by :meth:`Redis.stop`. Debian's
``redis-server`` package provides it (``make test`` installs it through
``scripts/ensure-redis.sh``), as ``tests/pgcluster.py`` does for PostgreSQL.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Redis", "RedisUnavailable", "start_redis"]


class RedisUnavailable(RuntimeError):
    """``redis-server`` is not installed here."""


@dataclass
class Redis:
    """A running server: its folder, the URL for ``LOCATOR_API_RATE_LIMIT_STORAGE``."""

    root: Path
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        try:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_redis() -> Redis:
    """Start ``redis-server`` on a unix socket; returns once it answers ``PING``.

    Raises
    ------
    RedisUnavailable
        When ``redis-server`` is not installed.
    RuntimeError
        When it is installed but does not start (a real failure, with its log).
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisUnavailable("redis-server is not installed (Debian package 'redis-server')")
    root = Path(tempfile.mkdtemp(prefix="locator-redis-"))
    socket = root / "redis.sock"
    log = root / "redis.log"
    process = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700",
         "--save", "", "--appendonly", "no", "--dir", str(root), "--logfile", str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Redis(root, f"redis+unix://{socket}", process)
    try:
        import redis

        until = time.monotonic() + 30
        while True:
            if socket.exists():
                with redis.Redis(unix_socket_path=str(socket)) as client, \
                        contextlib.suppress(redis.ConnectionError):
                    if client.ping():
                        return server
            if process.poll() is not None or time.monotonic() > until:
                detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise RuntimeError(f"redis-server did not start; its log:\n{detail}")
            time.sleep(0.05)
    except BaseException:
        server.stop()
        raise
