"""The GeoPackage store's safety net: a verified backup after each write, checks, set-aside.

* :func:`write_backup` copies a live store into ``<store>.bak`` with SQLite's online backup
  API (a consistent snapshot even while others read), checks the copy with
  ``PRAGMA quick_check`` and only then renames it over the previous backup, so
  ``registry.gpkg.bak`` is always a complete, verified store.
* :func:`check_file` says what is wrong with a store file (``None`` when it is sound).
* :func:`move_aside` renames a corrupt store (and its ``-wal``/``-shm`` files) to
  ``<store>.corrupt-<UTC time>`` for inspection; nothing here ever deletes a store.
* ``<store>.warning`` (:func:`record_warnings`) says what failed after the last committed
  write — a WAL checkpoint or this backup, typically on a full disk — until a later write
  completes cleanly; ``/healthz`` shows it.
* While ``<store>.degraded`` exists (written by :mod:`locator.web.health` when it restored the
  backup), :func:`refuse_writes_if_degraded` stops every write to the store — from the web,
  the CLI or any other process — until an administrator removes it.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from locator.errors import StoreUnavailable
from locator.files.atomic import fsync_dir, replace_with, write_atomic

__all__ = ["aside_path", "backup_path", "check_file", "degraded_marker", "move_aside",
           "read_warnings", "record_warnings", "refuse_writes_if_degraded", "warning_path",
           "write_backup"]

log = logging.getLogger(__name__)

_APPLICATION_ID = 0x47504B47  # "GPKG"
_SIDE_FILES = ("-wal", "-shm")


def backup_path(store: Path) -> Path:
    """Where the verified backup of ``store`` lives: ``<store>.bak`` beside it."""
    return store.with_name(store.name + ".bak")


def degraded_marker(store: Path) -> Path:
    """The file whose presence keeps ``store`` read-only: ``<store>.degraded``."""
    return store.with_name(store.name + ".degraded")


def refuse_writes_if_degraded(store: Path) -> None:
    """Refuse a write to ``store`` while its degraded marker exists.

    Raises
    ------
    StoreUnavailable
        HTTP 503; the message names the marker to remove once the store is inspected.
    """
    marker = degraded_marker(store)
    if marker.exists():
        raise StoreUnavailable(f"the registry store {str(store)!r} is read-only: it was found "
                               f"corrupt and its backup restored; inspect it, then delete "
                               f"{str(marker)!r} to allow writes again")


def warning_path(store: Path) -> Path:
    """The file saying what failed after the last write to ``store``: ``<store>.warning``."""
    return store.with_name(store.name + ".warning")


def record_warnings(store: Path, problems: Sequence[str]) -> None:
    """Keep ``problems`` of the last committed write in :func:`warning_path` (none: remove it).

    Best effort and never raising: on the full disk that caused the problems the file may not
    be writable either, which is logged (the caller keeps the problems in memory too).
    """
    path = warning_path(store)
    try:
        if not problems:
            path.unlink(missing_ok=True)
            return
        body = {"since": datetime.now(UTC).isoformat(timespec="seconds"),
                "problems": list(problems)}
        write_atomic(path, json.dumps(body, ensure_ascii=False).encode("utf-8"), mode=0o600)
    except OSError as exc:
        log.error("registry store %s: could not record %r in %s: %s", store, list(problems),
                  path, exc)


def read_warnings(store: Path) -> list[str]:
    """The problems :func:`record_warnings` kept for ``store`` (empty when none)."""
    try:
        found = json.loads(warning_path(store).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        return [f"unreadable {warning_path(store).name}: {exc}"]
    problems = found.get("problems") if isinstance(found, dict) else None
    return [str(p) for p in problems] if isinstance(problems, list) else []


def check_file(path: Path) -> str | None:
    """What is wrong with the store file at ``path``, or ``None`` when it is sound.

    Checks that SQLite can read it, ``PRAGMA quick_check`` passes, it is a GeoPackage
    (``application_id``) and it holds the store's tables. Never writes to the file.

    Parameters
    ----------
    path : Path
        A GeoPackage store file.

    Returns
    -------
    str or None
        A one-line description of the first problem found.
    """
    if not path.is_file():
        return f"{str(path)!r} is not a file"
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        return f"cannot open {str(path)!r}: {exc}"
    try:
        found = [row[0] for row in con.execute("PRAGMA quick_check")]
        if found != ["ok"]:
            return f"quick_check failed: {'; '.join(str(f) for f in found[:3])}"
        if con.execute("PRAGMA application_id").fetchone()[0] != _APPLICATION_ID:
            return "application_id is not GPKG"
        tables = {row[0] for row in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = {"registry_state", "registry_versions", "station_history"} - tables
        if missing:
            return f"missing tables: {', '.join(sorted(missing))}"
    except sqlite3.Error as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        con.close()
    return None


def write_backup(con: sqlite3.Connection, store: Path) -> Path:
    """Copy the store open on ``con`` to ``<store>.bak``, verified, replacing the old backup.

    Parameters
    ----------
    con : sqlite3.Connection
        An open connection to the store (not inside a transaction).
    store : Path
        The store's path (the backup is written beside it).

    Returns
    -------
    Path
        The backup's path.

    Raises
    ------
    OSError
        When the copy cannot be written or does not verify; the previous backup is kept.
    """
    target = backup_path(store)

    def copy_and_verify(tmp: Path) -> None:
        copy = sqlite3.connect(tmp, isolation_level=None)
        try:
            con.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
        finally:
            copy.close()
        problem = check_file(tmp)
        if problem is not None:
            raise OSError(f"backup of {str(store)!r} did not verify: {problem}")

    replace_with(target, copy_and_verify, mode=0o600)  # a copy of the store: as private
    return target


def aside_path(path: Path, *, now: datetime | None = None) -> Path:
    """An unused ``<path>.corrupt-<UTC time>[-n]`` name to keep a corrupt store under."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    serial = 1
    while aside.exists():
        serial += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{serial}")
    return aside


def move_aside(path: Path, aside: Path | None = None, *, now: datetime | None = None) -> Path:
    """Rename ``path`` (and its ``-wal``/``-shm`` files) to ``aside``
    (default: :func:`aside_path`).

    Returns
    -------
    Path
        The new name of the main file; the file is kept, never deleted.
    """
    aside = aside or aside_path(path, now=now)
    for suffix in _SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, aside.with_name(aside.name + suffix))
    os.replace(path, aside)
    fsync_dir(path.parent)
    return aside
