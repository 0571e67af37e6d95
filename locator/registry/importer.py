"""The one import path, shared by ``locator import`` and the upload page.

:func:`prepare` reads and validates a file without touching any store (the
dry run and the upload preview stop there); :func:`commit` writes the prepared
stations as a new store version. Both the CLI and the web call exactly these.
"""

from __future__ import annotations

import getpass
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry.base import BaseGeometry

from locator.errors import RegistryError
from locator.files.problems import Problem
from locator.files.readers import MAX_BYTES, open_vector_file, read_source
from locator.geo.datum import Datum
from locator.geo.geodesic import geodesic_m
from locator.model import Station
from locator.registry.load import LoadReport
from locator.registry.store import ImportMeta, Store, Version
from locator.registry.validate import DEFAULT_BOUNDARY, load_boundary, validate_table

__all__ = ["Changes", "Prepared", "boundary_from_setting", "commit", "diff", "prepare",
           "store_location", "user_name"]

_OFF = ("off", "none", "false", "0")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A validated file, ready to commit: its stations, report and fingerprint."""

    name: str
    sha256: str
    size: int
    format: str
    encoding: str | None
    datum: Datum
    stations: tuple[Station, ...]
    report: LoadReport
    ignored_columns: tuple[str, ...]
    columns: dict[str, str]

    @property
    def rejected(self) -> int:
        """Rows rejected by validation."""
        return sum(1 for p in self.report.problems if p.row > 0)

    def report_dict(self) -> dict[str, Any]:
        """The report with the import's facts, as stored with the version."""
        return {**self.report.to_dict(), "sha256": self.sha256, "format": self.format,
                "encoding": self.encoding, "datum": self.datum.value,
                "columns": self.columns, "ignored_columns": list(self.ignored_columns)}


def boundary_from_setting(setting: str | os.PathLike[str] | None) -> BaseGeometry | None:
    """The service area: ``None``/empty → shipped Lanzhou boundary; ``off`` → no check."""
    if setting is None or str(setting).strip() == "":
        return load_boundary(str(DEFAULT_BOUNDARY))
    if str(setting).strip().lower() in _OFF:
        return None
    return load_boundary(str(Path(setting).expanduser()))


def store_location(config: Mapping[str, Any], instance_path: str | os.PathLike[str]) -> str:
    """``STORE`` when set, else ``<instance folder>/registry.gpkg``."""
    setting = config.get("STORE")
    if setting:
        return str(setting)
    return str(Path(instance_path) / "registry.gpkg")


def user_name() -> str:
    """Who runs this process (for the version record)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def prepare(source: str | os.PathLike[str] | bytes, *, name: str | None = None,
            datum: Datum | str = Datum.WGS84, mapping: Mapping[str, str] | None = None,
            boundary: BaseGeometry | None = None, max_bytes: int = MAX_BYTES,
            layer: str | None = None,
            progress: Callable[[int, int], None] | None = None) -> Prepared:
    """Read and validate a registry file; nothing is written.

    Raises
    ------
    RegistryError
        When the file cannot be read at all (unsafe path, unknown format, zip bomb…).
    """
    declared = Datum.parse(datum) if isinstance(datum, str) else datum
    data, shown = read_source(source, max_bytes=max_bytes, name=name)
    table = open_vector_file(data, name=shown, max_bytes=max_bytes, layer=layer)
    try:
        checked = validate_table(table, datum=declared, boundary=boundary, mapping=mapping,
                                 progress=progress)
    except RegistryError as exc:
        raise RegistryError(f"{shown}: {exc.message}", file=shown) from None
    notices = tuple(Problem(shown, 0, column, repr(column), "column ignored: not a registry "
                            "field (give a mapping to use it)")
                    for column in checked.ignored_columns)
    report = LoadReport((shown,), checked.rows, len(checked.stations),
                        notices + checked.problems)
    return Prepared(shown, hashlib.sha256(data).hexdigest(), len(data), table.format,
                    table.encoding, declared, checked.stations, report, checked.ignored_columns,
                    checked.columns)


def commit(store: Store, prepared: Prepared, *, user: str,
           allow_partial: bool = False, expected_active: int | None = None) -> Version:
    """Write a prepared import as the store's new active version.

    ``expected_active`` (``0``: an empty store) is the version the import was previewed
    against: the write is then a compare-and-swap, so an edit or import made since the
    preview is never silently undone.

    Raises
    ------
    RegistryError
        When rows were rejected and ``allow_partial`` is false, or no row is valid
        (an import never replaces a registry with an empty one).
    EditConflict
        When ``expected_active`` is given and another version is active now.
    """
    if not prepared.stations:
        raise RegistryError(f"{prepared.name}: no valid rows; the registry was not changed")
    if prepared.rejected and not allow_partial:
        raise RegistryError(f"{prepared.name}: {prepared.rejected} rows were rejected; fix them "
                            "or allow a partial import", rejected=prepared.rejected)
    meta = ImportMeta(user=user, source=prepared.name, sha256=prepared.sha256,
                      rows=prepared.report.rows, rejected=prepared.rejected,
                      datum=prepared.datum.value, report=prepared.report_dict())
    return store.write(prepared.stations, meta, expected_active=expected_active)


@dataclass(frozen=True, slots=True)
class Changes:
    """What an import would change, by station id."""

    added: tuple[Station, ...]
    removed: tuple[Station, ...]
    moved: tuple[tuple[Station, Station, float], ...]  # old, new, metres
    edited: tuple[Station, ...]
    unchanged: int


def diff(old: Sequence[Station], new: Sequence[Station], *, moved_m: float = 1.0) -> Changes:
    """Compare two registries by id; a move is a location change of more than ``moved_m``."""
    before = {s.id: s for s in old}
    after = {s.id: s for s in new}
    common = [k for k in after if k in before]
    both = [k for k in common if before[k].located and after[k].located]
    coords = np.array([(before[k].lon, before[k].lat, after[k].lon, after[k].lat) for k in both],
                      dtype=np.float64).reshape(-1, 4)
    metres = dict(zip(both, geodesic_m(*coords.T).tolist(), strict=True))
    moved: list[tuple[Station, Station, float]] = []
    edited: list[Station] = []
    unchanged = 0
    for key in common:
        a, b = before[key], after[key]
        if metres.get(key, 0.0) > moved_m:
            moved.append((a, b, metres[key]))
        elif a.located != b.located or _fields(a) != _fields(b):
            edited.append(b)
        else:
            unchanged += 1
    return Changes(tuple(s for k, s in after.items() if k not in before),
                   tuple(s for k, s in before.items() if k not in after),
                   tuple(moved), tuple(edited), unchanged)


def _fields(s: Station) -> tuple[Any, ...]:
    return (s.name, s.kind, s.amenities, s.opening_hours, s.entry, s.address, s.district_code,
            s.subdistrict_code, s.community_code, s.source, s.precision_m, s.verified,
            s.synthetic, s.note)
