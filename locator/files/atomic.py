"""Whole-file writes that a crash cannot leave half done, and the leftovers a crash does leave.

The data goes to a temporary file in the same folder, is fsynced, renamed over the target
(atomic on POSIX) — or, for :func:`create_with`, linked to it only if it does not exist yet —
and the folder is fsynced so the rename itself survives a power cut. Readers see the
complete old file or the complete new one, never a mix.

A process killed mid-write leaves its temporary file (``.<name>.<random>.tmp``; 25 killed
backups of a large store left 800 MB). While a write runs, its temporary file is held under
an exclusive ``flock``, so :func:`remove_leftovers` — run at start-up — can tell a dead
writer's file (nobody holds it) from a live one's and removes only the former.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["create_with", "fsync_dir", "locked_temp", "remove_leftovers", "replace_with",
           "write_atomic"]

#: a temporary file this recently changed is left alone even if unlocked (it may be between
#: its creation and its lock)
_LEFTOVER_AGE_S = 10.0


def write_atomic(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` atomically (creating its folder if needed).

    Raises
    ------
    OSError
        When the data cannot be written (disk full, read-only…); ``path`` is then unchanged
        and no temporary file is left behind.
    """
    replace_with(path, lambda tmp: tmp.write_bytes(data), mode=mode)


@contextlib.contextmanager
def locked_temp(path: str | os.PathLike[str], *, mode: int = 0o600) -> Iterator[Path]:
    """An empty temporary file beside ``path`` (``.<name>.<random>.tmp``, ``mode``), held under
    an exclusive ``flock`` until the block ends; removed if the block raises.

    SQLite may open it as a new database: its own locks are ``fcntl`` locks, independent
    of this one.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # "a writer is alive": see remove_leftovers
        os.fchmod(fd, mode)
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)


def _filled(tmp: Path, fill: Callable[[Path], object]) -> None:
    fill(tmp)
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())


def replace_with(path: str | os.PathLike[str], fill: Callable[[Path], object], *,
                 mode: int = 0o644) -> None:
    """Replace ``path`` with a file that ``fill`` writes at a temporary path beside it.

    ``fill`` gets an empty file's path (SQLite may open it as a new database) and raises to
    abandon the replacement. The file is then fsynced, renamed over ``path`` and the folder
    fsynced.

    Raises
    ------
    OSError
        When writing fails (disk full, read-only…), or what ``fill`` raised; ``path`` is then
        unchanged and no temporary file is left behind.
    """
    target = Path(path)
    with locked_temp(target, mode=mode) as tmp:
        _filled(tmp, fill)
        os.replace(tmp, target)
    fsync_dir(target.parent)


def create_with(path: str | os.PathLike[str], fill: Callable[[Path], object], *,
                mode: int = 0o600) -> bool:
    """Create ``path``, whole, from what ``fill`` writes — unless it exists already.

    Several processes may race to create the same file (gunicorn workers starting on a new
    store): one wins, and none ever sees it half made. Returns whether this call created it.

    Raises
    ------
    OSError
        When writing fails, or what ``fill`` raised; no temporary file is left behind.
    """
    target = Path(path)
    with locked_temp(target, mode=mode) as tmp:
        _filled(tmp, fill)
        try:
            os.link(tmp, target)  # atomic create-if-absent
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)
    fsync_dir(target.parent)
    return True


def remove_leftovers(folder: str | os.PathLike[str], name: str) -> list[Path]:
    """Remove the temporary files of writes to ``folder/name`` whose writer died.

    A leftover is a ``.<name>.*.tmp`` file that no live writer holds (see
    :func:`locked_temp`) and that has not changed for a few seconds. Returns what was removed.
    """
    removed: list[Path] = []
    for leftover in Path(folder).glob(f".{name}.*.tmp"):
        with contextlib.suppress(OSError):
            if time.time() - leftover.stat().st_mtime < _LEFTOVER_AGE_S:
                continue
            fd = os.open(leftover, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: alive
                leftover.unlink()
                removed.append(leftover)
            finally:
                os.close(fd)
    return removed


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Flush a folder's entries (renames, new files) to disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
