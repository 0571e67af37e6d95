"""The one import path, shared by ``locator import`` and the upload page.

:func:`prepare` reads and validates a file without touching any store (the dry run and
the upload preview stop there); :func:`commit` writes the prepared stations as a new store
version — merged into the active one by id (the default) or replacing it — after storing
the registry being served as version 1 on a store that has none. :func:`diff` is the
preview's comparison, field by field. The CLI and the web call exactly these.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry.base import BaseGeometry

from locator.areas.units import AdminUnit
from locator.errors import EditConflict, RegistryError
from locator.files.formulas import SPREADSHEET_FORMATS
from locator.files.readers import MAX_BYTES, open_vector_file, read_source
from locator.geo.datum import Datum
from locator.geo.geodesic import geodesic_m
from locator.model import Station
from locator.registry.load import LoadReport
from locator.registry.messages import warning
from locator.registry.store import ImportMeta, Store, Version, fingerprint
from locator.registry.validate import DEFAULT_BOUNDARY, load_boundary, validate_table

__all__ = ["COMPARED", "MODES", "Change", "Changes", "Prepared", "boundary_from_setting",
           "commit", "diff", "merged", "prepare", "store_location", "user_name"]

_OFF = ("off", "none", "false", "0")


MODES = ("merge", "replace")


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
    station_rows: tuple[int, ...] = ()

    @property
    def rejected(self) -> int:
        """Rows rejected by validation."""
        return self.report.rejected

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
            layer: str | None = None, areas: Sequence[AdminUnit] = (),
            progress: Callable[[int, int], None] | None = None) -> Prepared:
    """Read and validate a registry file; nothing is written.

    ``datum`` is the file's datum where a row names none; ``areas`` are imported
    subdistrict/community polygons for placing rows that have only an address.

    Raises
    ------
    RegistryError
        When the file cannot be read at all (unsafe path, unknown format, zip bomb, no
        header, a header but no rows…).
    """
    declared = Datum.parse(datum) if isinstance(datum, str) else datum
    data, shown = read_source(source, max_bytes=max_bytes, name=name)
    table = open_vector_file(data, name=shown, max_bytes=max_bytes, layer=layer)
    if not table.rows:
        raise RegistryError(f"{shown}: the file has a header but no rows", file=shown,
                            reason_code="no_rows")
    try:
        checked = validate_table(table, datum=declared, boundary=boundary, mapping=mapping,
                                 progress=progress, areas=areas)
    except RegistryError as exc:
        raise RegistryError(f"{shown}: {exc.message}", file=shown) from None
    header_row = 1 if table.format in SPREADSHEET_FORMATS else 0
    notices = tuple(warning("column_ignored", column, column).at(shown, header_row)
                    for column in checked.ignored_columns)
    notices = tuple(replace(n, severity="notice") for n in notices)
    report = LoadReport((shown,), checked.rows, len(checked.stations),
                        notices + checked.problems, checked.datums, checked.placed)
    return Prepared(shown, hashlib.sha256(data).hexdigest(), len(data), table.format,
                    table.encoding, declared, checked.stations, report, checked.ignored_columns,
                    checked.columns, checked.station_rows)


def merged(prepared: Prepared, base: Sequence[Station], mode: str) -> tuple[Station, ...]:
    """The registry an import makes of ``base``.

    ``replace``: the file's stations are the whole registry. ``merge``: the file's stations
    are added, or replace the station with their id in place; the others stay — except
    synthetic demonstration stations, which never stay beside real ones.

    Raises
    ------
    RegistryError
        For a mode other than merge or replace.
    """
    if mode not in MODES:
        raise RegistryError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "replace":
        return prepared.stations
    new = {s.id: s for s in prepared.stations}
    kept = [new.pop(s.id, s) for s in base if s.id in new or not s.synthetic]
    return (*kept, *new.values())


def commit(store: Store, prepared: Prepared, *, user: str, allow_partial: bool = False,
           mode: str = "merge", served: Callable[[], Sequence[Station]] | None = None,
           served_source: str = "served registry",
           expected_active: int | None = None) -> Version:
    """Write a prepared import as the store's new active version.

    On a store with no version yet, the registry being served (``served()``: the shipped
    data or the ``REGISTRY`` files) is first stored as version 1, so a rollback can always
    go back to it; the import is then merged into (or replaces) the active version.

    ``expected_active`` (``0``: an empty store) is the version the import was previewed
    against: the write then refuses when another version is active, so an edit or import
    made since the preview is never silently undone. Without it (the command line) an
    import merges into whatever version is active when it is written.

    Raises
    ------
    RegistryError
        When rows were rejected and ``allow_partial`` is false, or no row is valid
        (an import never replaces a registry with an empty one).
    EditConflict
        When the store kept changing while this import was written, or, with
        ``expected_active``, when another version is active than the one previewed.
    """
    if not prepared.stations:
        raise RegistryError(f"{prepared.name}: no valid rows; the registry was not changed",
                            reason_code="no_valid_rows")
    if prepared.rejected and not allow_partial:
        raise RegistryError(f"{prepared.name}: {prepared.rejected} rows were rejected; fix them "
                            "or allow a partial import", rejected=prepared.rejected,
                            reason_code="rows_rejected")
    for _attempt in range(5):
        active = store.active()
        now = 0 if active is None else active.id
        if expected_active is not None and now != expected_active:
            raise EditConflict(f"{prepared.name}: version {now} is active, not version "
                               f"{expected_active} this import was previewed against",
                               active=now, expected=expected_active)
        if active is None and served is not None:
            first = list(served())
            if first:
                with contextlib.suppress(EditConflict):  # another process stored one first
                    store.write(first, ImportMeta(
                        user=user, source=f"{served_source} (before the first import)",
                        sha256=fingerprint(first), rows=len(first), rejected=0, datum="wgs84",
                        report={"problems": [], "served_before_first_import": True}),
                        expected_active=0)
                active = store.active()
        base = store.stations(active.id) if active is not None else []
        stations = merged(prepared, base, mode)
        ids = {s.id for s in stations}
        removed = [s.id for s in base if s.id not in ids]
        meta = ImportMeta(user=user, source=prepared.name, sha256=prepared.sha256,
                          rows=prepared.report.rows, rejected=prepared.rejected,
                          datum=prepared.datum.value, report={
                              **prepared.report_dict(), "mode": mode, "removed": removed,
                              "base_version": None if active is None else active.id})
        try:
            return store.write(stations, meta,
                               expected_active=0 if active is None else active.id)
        except EditConflict:
            if expected_active is not None:
                raise  # the preview is stale: the page offers a new one
            continue  # another version landed: merge into it instead
    raise EditConflict(f"{prepared.name}: the registry kept changing while importing; try again")


@dataclass(frozen=True, slots=True)
class Change:
    """One station in both registries that differs: the fields that changed (``location``
    when it moved more than the threshold; ``metres`` how far)."""

    old: Station
    new: Station
    fields: tuple[str, ...]
    metres: float

    @property
    def id(self) -> str:
        """The station's id."""
        return self.new.id


@dataclass(frozen=True, slots=True)
class Changes:
    """What an import would change, by station id."""

    added: tuple[Station, ...]
    removed: tuple[Station, ...]
    changed: tuple[Change, ...]
    unchanged: int

    @property
    def moved(self) -> tuple[tuple[Station, Station, float], ...]:
        """Stations whose location changed: (old, new, metres)."""
        return tuple((c.old, c.new, c.metres) for c in self.changed if "location" in c.fields)

    @property
    def edited(self) -> tuple[Change, ...]:
        """Stations with other changes and no move."""
        return tuple(c for c in self.changed if "location" not in c.fields)


#: the fields a preview compares, in the order it lists them
COMPARED = tuple(f.name for f in fields(Station) if f.name not in ("id", "lon", "lat"))


def diff(old: Sequence[Station], new: Sequence[Station], *, moved_m: float = 1.0) -> Changes:
    """Compare two registries by id, field by field; a move is a location change of more
    than ``moved_m`` (or a station gaining or losing its location)."""
    before = {s.id: s for s in old}
    after = {s.id: s for s in new}
    common = [k for k in after if k in before]
    both = [k for k in common if before[k].located and after[k].located]
    coords = np.array([(before[k].lon, before[k].lat, after[k].lon, after[k].lat) for k in both],
                      dtype=np.float64).reshape(-1, 4)
    metres = dict(zip(both, geodesic_m(*coords.T).tolist(), strict=True))
    changed: list[Change] = []
    unchanged = 0
    for key in common:
        a, b = before[key], after[key]
        names = [f for f in COMPARED if getattr(a, f) != getattr(b, f)]
        if metres.get(key, 0.0) > moved_m or a.located != b.located:
            names.insert(0, "location")
        if names:
            changed.append(Change(a, b, tuple(names), metres.get(key, 0.0)))
        else:
            unchanged += 1
    return Changes(tuple(s for k, s in after.items() if k not in before),
                   tuple(s for k, s in before.items() if k not in after),
                   tuple(changed), unchanged)
