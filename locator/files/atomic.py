"""Whole-file writes that a crash cannot leave half done.

The data goes to a temporary file in the same folder, is fsynced, renamed over the target
(atomic on POSIX) and the folder is fsynced so the rename itself survives a power cut.
Readers see the complete old file or the complete new one, never a mix.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["fsync_dir", "replace_with", "write_atomic"]


def write_atomic(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` atomically (creating its folder if needed).

    Raises
    ------
    OSError
        When the data cannot be written (disk full, read-only…); ``path`` is then unchanged
        and no temporary file is left behind.
    """
    replace_with(path, lambda tmp: tmp.write_bytes(data), mode=mode)


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
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        os.fchmod(fd, mode)
        os.close(fd)
        fill(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Flush a folder's entries (renames, new files) to disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
