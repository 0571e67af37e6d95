"""A file read again only when it changed: its parsed value kept per path, keyed by the
file's modification time and size (one ``stat`` a call instead of a read and a parse)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

__all__ = ["ChangedFiles"]

T = TypeVar("T")


class ChangedFiles(Generic[T]):
    """Parsed files, each re-read by ``read`` only when its mtime or size changed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[tuple[int, int], T]] = {}

    def get(self, path: str | os.PathLike[str], read: Callable[[Path], T | None]) -> T | None:
        """``read(path)``'s value, from memory while the file is unchanged; ``None`` when the
        file does not exist (or ``read`` says there is nothing)."""
        path = Path(path)
        try:
            info = path.stat()
        except FileNotFoundError:
            return None
        stamp, key = (info.st_mtime_ns, info.st_size), os.fspath(path)
        with self._lock:
            hit = self._kept.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        value = read(path)
        if value is not None:
            with self._lock:
                self._kept[key] = (stamp, value)
        return value
