"""Where a deployment keeps its planner inputs: the demand layer and the candidate sites.

``<PLANNER_DATA_DIR>`` (default ``instance/planner``) holds, per input (``demand``,
``candidates``), the file as it was given, ``<input>-<sha256>.<ext>``, and
``<input>.json``: its meta (source name, SHA-256, kind, level, datum, people or sites,
rows refused, when, by whom, and the versions before it). A new version is written beside
the old one and then ``<input>.json`` is replaced atomically (:mod:`locator.files.atomic`),
so a reader sees the complete old version or the complete new one; the files of the two
latest versions are kept. Reads are cached per meta file and modification time, so pages
see a new upload without a restart, like imported areas (:mod:`locator.areas.store`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from locator.errors import RegistryError
from locator.files.atomic import write_atomic
from locator.files.watched import ChangedFiles
from locator.settings import configured_path

__all__ = ["INPUTS", "Stored", "data_dir", "load", "remove", "save"]

INPUTS = ("demand", "candidates")
_KEEP = 2
_stored: ChangedFiles[Stored] = ChangedFiles()


@dataclass(frozen=True, slots=True)
class Stored:
    """One stored input: its meta, the file's bytes and what :func:`load`'s reader made."""

    meta: dict[str, Any]
    data: bytes
    value: Any

    @property
    def stamp(self) -> tuple[Any, Any]:
        """Changes with every new version (for caches of what was computed from it)."""
        return self.meta.get("sha256"), self.meta.get("saved_at")


def data_dir(config: Mapping[str, Any], instance_path: str | os.PathLike[str]) -> Path:
    """``config["PLANNER_DATA_DIR"]`` if set, else ``<instance>/planner``."""
    return configured_path(config, "PLANNER_DATA_DIR", "planner", instance_path)


def _check(what: str) -> str:
    if what not in INPUTS:
        raise RegistryError(f"planner input must be one of {', '.join(INPUTS)}, got {what!r}")
    return what


def save(folder: str | os.PathLike[str], what: str, data: bytes, meta: Mapping[str, Any], *,
         now: datetime | None = None) -> dict[str, Any]:
    """Store ``data`` as the new version of ``what`` with ``meta``; the full meta written.

    Raises
    ------
    OSError
        When the folder cannot be written (the old version then stays served).
    """
    root = Path(folder)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()
    suffix = Path(str(meta.get("source", ""))).suffix.lower()[:8] or ".bin"
    name = f"{_check(what)}-{digest}{suffix}"
    write_atomic(root / name, data, mode=0o600)
    old = _read_meta(root / f"{what}.json")
    history = [{k: old.get(k) for k in ("source", "sha256", "saved_at", "by", "file")},
               *old.get("history", [])] if old else []
    full = {**meta, "sha256": digest, "file": name, "bytes": len(data),
            "saved_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
            "history": history[:20]}
    write_atomic(root / f"{what}.json", json.dumps(full, ensure_ascii=False,
                                                  allow_nan=False).encode("utf-8"), mode=0o600)
    keep = {name, *(h.get("file") for h in history[:_KEEP - 1])}
    for leftover in root.glob(f"{what}-*"):
        if leftover.name not in keep:
            leftover.unlink(missing_ok=True)
    return full


def _read_meta(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise RegistryError(f"cannot read stored planner input {str(path)!r}: {exc}") from None
    return data if isinstance(data, dict) else None


def load(folder: str | os.PathLike[str], what: str,
         reader: Callable[[bytes, dict[str, Any]], Any]) -> Stored | None:
    """The stored version of ``what`` read by ``reader(data, meta)``; ``None`` when none.

    Raises
    ------
    RegistryError
        When the stored files cannot be read.
    """
    return _stored.get(Path(folder) / f"{_check(what)}.json",
                       lambda path: _read(path, reader))


def _read(path: Path, reader: Callable[[bytes, dict[str, Any]], Any]) -> Stored | None:
    meta = _read_meta(path)
    if meta is None:
        return None
    try:
        data = (path.parent / str(meta["file"])).read_bytes()
    except (OSError, KeyError) as exc:
        raise RegistryError(f"cannot read stored planner input {str(path)!r}: {exc}") from None
    return Stored(meta, data, reader(data, meta))


def remove(folder: str | os.PathLike[str], what: str) -> bool:
    """Stop using ``what`` (its files are deleted); ``True`` if there was one."""
    root = Path(folder)
    path = root / f"{_check(what)}.json"
    if not path.exists():
        return False
    path.unlink()
    for leftover in root.glob(f"{what}-*"):
        leftover.unlink(missing_ok=True)
    return True
