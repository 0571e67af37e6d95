"""A throwaway PostgreSQL + PostGIS cluster for the test run and the import benchmark.

``initdb`` into a fresh temp folder (as the ``postgres`` user when we are root),
listening only on a unix socket inside that folder (no TCP port), started with
``pg_ctl`` and removed by :meth:`Cluster.stop`. Debian's ``postgresql`` and
``postgis`` packages provide the binaries (``make test`` installs them through
``scripts/ensure-postgis.sh``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Cluster", "ClusterUnavailable", "start_cluster"]


class ClusterUnavailable(RuntimeError):
    """PostgreSQL or PostGIS is not installed here (the reason says what is missing)."""


def _bindir() -> tuple[Path, str]:
    for initdb in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True):
        version = Path(initdb).parents[1].name
        if Path(f"/usr/share/postgresql/{version}/extension/postgis.control").is_file():
            return Path(initdb).parent, version
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        raise ClusterUnavailable("PostgreSQL is not installed (Debian package 'postgresql')")
    raise ClusterUnavailable("PostGIS is not installed (Debian package 'postgis')")


@dataclass
class Cluster:
    """A running cluster: its folder, its SQLAlchemy URL, and how to stop it."""

    root: Path
    url: str
    bindir: Path
    user: str | None

    def _run(self, *args: str) -> None:
        _run(self.user, *args)

    def stop(self) -> None:
        """Stop the server (immediately) and delete its folder."""
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m",
                      "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _run(user: str | None, *args: str) -> None:
    command = ["runuser", "-u", user, "--", *args] if user else list(args)
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}): "
                           f"{done.stderr.strip() or done.stdout.strip()}")


def start_cluster(*, fsync: bool = False) -> Cluster:
    """Start a cluster and create database ``locator`` (role ``locator``, trusted socket).

    Raises
    ------
    ClusterUnavailable
        When the packages are missing.
    RuntimeError
        When they are installed but the cluster does not start (a real failure).
    """
    bindir, _version = _bindir()
    user = None
    root = Path(tempfile.mkdtemp(prefix="locator-pg-"))
    if os.geteuid() == 0:
        user = "postgres"
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    cluster = Cluster(root, "", bindir, user)
    try:
        _run(user, str(bindir / "initdb"), "-D", str(root / "data"), "-A", "trust", "-U",
             "locator", "-E", "UTF8", "--locale=C", "--no-sync")
        options = f"-k {root} -c listen_addresses='' -c fsync={'on' if fsync else 'off'}"
        _run(user, str(bindir / "pg_ctl"), "-D", str(root / "data"), "-o", options, "-l",
             str(root / "server.log"), "-w", "-t", "60", "start")
        _run(user, str(bindir / "createdb"), "-h", str(root), "-U", "locator", "locator")
    except BaseException:
        log = root / "server.log"
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        with contextlib.suppress(RuntimeError):
            cluster.stop()
        if detail:
            raise RuntimeError(f"PostgreSQL did not start; server log:\n{detail}") from None
        raise
    cluster.url = f"postgresql+psycopg://locator@/locator?host={root}"
    return cluster
