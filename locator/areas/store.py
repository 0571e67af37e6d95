"""Where imported subdistrict/community polygons live: ``<AREAS_DIR>/<level>.geojson``.

``AREAS_DIR`` defaults to ``instance/areas``. Each level is one RFC 7946 GeoJSON file
(WGS-84) with a ``meta`` member (source file, its SHA-256, datum, when, counts).
Writes are atomic: a temp file in the same folder is written and fsynced, renamed over
the old file with :func:`os.replace`, and the folder is fsynced, so a crash leaves the
complete old file or the complete new one, never half of either. Reads are cached per
file and modification time, so pages see a new import without a restart.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shapely.geometry import mapping, shape

from locator.areas.imports import AREA_LEVELS, AreaImport
from locator.areas.units import AdminUnit
from locator.errors import RegistryError
from locator.files.atomic import write_atomic
from locator.files.watched import ChangedFiles
from locator.settings import configured_path

__all__ = ["StoredAreas", "area_path", "areas_dir", "areas_for", "imported_units", "list_areas",
           "load_areas", "remove_areas", "save_areas"]

_stored: ChangedFiles[StoredAreas] = ChangedFiles()


@dataclass(frozen=True, slots=True)
class StoredAreas:
    """The imported units of one level and the ``meta`` of their import."""

    level: str
    units: tuple[AdminUnit, ...]
    meta: dict[str, Any]

    @property
    def stamp(self) -> tuple[Any, Any]:
        """Changes with every import of this level (for caches of what was computed)."""
        return self.meta.get("sha256"), self.meta.get("imported_at")


def areas_dir(config: Mapping[str, Any], instance_path: str | os.PathLike[str]) -> Path:
    """``config["AREAS_DIR"]`` if set, else ``<instance>/areas``."""
    return configured_path(config, "AREAS_DIR", "areas", instance_path)


def area_path(folder: str | os.PathLike[str], level: str) -> Path:
    """The file holding one level's polygons.

    Raises
    ------
    RegistryError
        For a level other than ``subdistrict`` or ``community``.
    """
    if level not in AREA_LEVELS:
        raise RegistryError(f"level must be one of {', '.join(AREA_LEVELS)}, got {level!r}")
    return Path(folder) / f"{level}.geojson"


def save_areas(folder: str | os.PathLike[str], result: AreaImport, *,
               now: datetime | None = None) -> Path:
    """Store the accepted units of ``result`` as its level's file (replacing the old one).

    Raises
    ------
    RegistryError
        When there is no unit to store (an import never empties a level: use remove).
    """
    if not result.units:
        raise RegistryError(f"{result.source}: no valid {result.level} polygon to store")
    path = area_path(folder, result.level)
    meta = {"level": result.level, "source": result.source, "sha256": result.sha256,
            "datum": result.datum, "rows": result.rows, "accepted": len(result.units),
            "rejected": len(result.problems),
            "imported_at": (now or datetime.now(UTC)).isoformat(timespec="seconds")}
    features = [{"type": "Feature", "geometry": mapping(u.geometry), "properties": {
        "code": u.code, "name": u.name, "level": u.level, "parent_code": u.parent_code,
        "district_code": u.district_code}} for u in result.units]
    body = json.dumps({"type": "FeatureCollection", "meta": meta, "features": features},
                      ensure_ascii=False, allow_nan=False)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomic(path, body.encode("utf-8"), mode=0o600)
    return path


def areas_for(config: Mapping[str, Any], instance_path: str | os.PathLike[str],
              level: str) -> StoredAreas | None:
    """The imported polygons of ``level`` under an app's settings (``AREAS_DIR``); ``None``
    for districts (they ship with the app) or when none were imported."""
    return None if level == "district" else load_areas(areas_dir(config, instance_path), level)


def load_areas(folder: str | os.PathLike[str], level: str) -> StoredAreas | None:
    """The stored units of ``level``, or ``None`` when none were imported.

    Raises
    ------
    RegistryError
        When the file exists but cannot be read.
    """
    return _stored.get(area_path(folder, level), lambda path: _read(path, level))


def _read(path: Path, level: str) -> StoredAreas:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        units = tuple(AdminUnit(str(p["code"]), str(p["name"]), level, shape(f["geometry"]),
                                str(p.get("parent_code", "")), str(p.get("district_code", "")))
                      for f in data["features"] for p in [f["properties"]])
        meta = dict(data.get("meta") or {})
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise RegistryError(f"cannot read stored areas {str(path)!r}: {exc}") from None
    return StoredAreas(level, units, meta)


def imported_units(config: Mapping[str, Any], instance_path: str | os.PathLike[str]
                   ) -> list[AdminUnit]:
    """Every imported subdistrict and community polygon under an app's settings (what a
    station known only by its address can be placed by, besides the shipped districts)."""
    return [u for stored in list_areas(areas_dir(config, instance_path)) for u in stored.units]


def remove_areas(folder: str | os.PathLike[str], level: str) -> bool:
    """Delete one level's polygons; ``True`` if there were any."""
    path = area_path(folder, level)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def list_areas(folder: str | os.PathLike[str]) -> list[StoredAreas]:
    """Every imported level (subdistrict first)."""
    found = (load_areas(folder, level) for level in AREA_LEVELS)
    return [s for s in found if s is not None]
