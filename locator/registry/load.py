"""Read registry files (GeoJSON or CSV in the project's schema), keep good rows, report bad ones.

A bad row never stops loading: it becomes a :class:`Problem` with its file, row
number, column, value and reason, and the good rows are served. A file that
cannot be parsed at all becomes one file-level problem (row 0). Coordinates in
these files are WGS-84 (RFC 7946); importing other datums is the importer's job.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from locator.files.problems import Problem, RowError, shown_value
from locator.model import Station
from locator.registry.records import station_from_record

__all__ = ["LoadReport", "load_files", "read_records"]

log = logging.getLogger(__name__)

Record = tuple[int, Mapping[str, Any], Any, Any]  # row number, fields, lon, lat


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What loading found: files read, rows seen, rows accepted, problems."""

    files: tuple[str, ...]
    rows: int
    accepted: int
    problems: tuple[Problem, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as served by ``GET /api/v1/registry/report``."""
        return {
            "files": list(self.files), "rows": self.rows, "accepted": self.accepted,
            "rejected": len([p for p in self.problems if p.row > 0]),
            "problems": [{"file": p.source, "row": p.row, "column": p.column,
                          "value": p.value, "reason": p.reason} for p in self.problems],
        }


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


def _geojson_records(path: Path) -> Iterator[Record]:
    data = json.loads(path.read_text(encoding="utf-8-sig"), parse_constant=_reject_constant)
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ValueError("not a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise ValueError("'features' is not a list")
    for row, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            yield row, {}, "feature", feature
            continue
        props = feature.get("properties") or {}
        geom = feature.get("geometry")
        if geom is None:
            yield row, props, None, None
        elif (isinstance(geom, dict) and geom.get("type") == "Point"
              and isinstance(geom.get("coordinates"), list)
              and len(geom["coordinates"]) in (2, 3)):
            yield row, props, geom["coordinates"][0], geom["coordinates"][1]
        else:
            yield row, props, "geometry", geom


def _csv_records(path: Path) -> Iterator[Record]:
    from locator.registry.validate import cell_values  # (imports the file readers)

    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        # line 1 is the header, so data rows are numbered as a spreadsheet shows them
        for row, rec in enumerate(reader, start=2):
            rec = cell_values(rec, "csv")
            yield row, rec, rec.get("lon"), rec.get("lat")


def _container_records(path: Path) -> Iterator[Record]:
    from locator.files.readers import open_vector_file  # the safe XLSX/GeoPackage readers
    from locator.registry.validate import cell_values

    table = open_vector_file(path, allowed=("xlsx", "gpkg"))
    for raw in table.rows:
        geom = raw.geometry
        fields = cell_values(raw.fields, table.format)
        if raw.error is not None:
            yield raw.row, fields, "geometry", raw.error[1]
        elif isinstance(geom, dict) and geom.get("type") == "Point":
            yield raw.row, fields, geom["coordinates"][0], geom["coordinates"][1]
        elif geom is not None:
            yield raw.row, fields, "geometry", geom
        else:
            yield raw.row, fields, fields.get("lon"), fields.get("lat")


def read_records(path: Path) -> Iterator[Record]:
    """Yield ``(row, fields, lon, lat)`` from a ``.geojson``/``.json``, ``.csv``, ``.xlsx``
    or ``.gpkg`` file (WGS-84, the project's column names)."""
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        return _geojson_records(path)
    if suffix == ".csv":
        return _csv_records(path)
    if suffix in (".xlsx", ".gpkg"):
        return _container_records(path)
    raise ValueError(f"unsupported registry file type {suffix!r} "
                     "(use .geojson, .csv, .xlsx or .gpkg)")


def load_files(paths: Iterable[Path]) -> tuple[list[Station], LoadReport]:
    """Load stations from files; every rejected row is in the report and the log.

    Ids must be unique across all files: a repeated id is rejected (reported,
    never renumbered) and the first occurrence is kept.
    """
    stations: list[Station] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    names: list[str] = []
    rows = 0
    for path in paths:
        names.append(path.name)
        try:
            records = list(read_records(path))
        except (OSError, UnicodeDecodeError, ValueError, csv.Error) as exc:
            problems.append(Problem(path.name, 0, None, shown_value(str(path)),
                                    f"file unreadable: {exc}"))
            continue
        for row, rec, lon, lat in records:
            rows += 1
            try:
                if lon in ("feature", "geometry"):
                    raise RowError(lon, lat, "must be a GeoJSON Point feature or null geometry")
                station = station_from_record(rec, lon=lon, lat=lat)
                if station.id in seen:
                    raise RowError("id", station.id,
                                   f"duplicate id (first seen in {seen[station.id]})")
            except RowError as err:
                problems.append(err.at(path.name, row))
                continue
            seen[station.id] = f"{path.name} row {row}"
            stations.append(station)
    for problem in problems:
        log.warning("registry: %s", problem)
    return stations, LoadReport(tuple(names), rows, len(stations), tuple(problems))
