"""Serve registry files as they are (``LOCATOR_REGISTRY``): the importer's readers and checks,
good rows kept, every problem reported.

The same pipeline as ``locator import`` and the upload page (:mod:`locator.files.readers`,
then :func:`locator.registry.validate.validate_table`): a GB18030 CSV with Chinese headers,
an XLSX, a GeoPackage or a GeoJSON file is read alike, a ``坐标系`` column is honoured
(else WGS-84, as RFC 7946 says), rows with only an address are placed. A bad row never
stops loading: it becomes a :class:`Problem` with its file, row number, column, value and
reason, and the good rows are served. A file that cannot be read at all becomes one
file-level problem (row 0). Files served this way are not held to the service area: a
fixed registry may be a national one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from locator.areas.units import AdminUnit
from locator.errors import RegistryError
from locator.files.problems import Problem, shown_value
from locator.files.readers import open_vector_file
from locator.model import Station
from locator.registry.messages import row_error
from locator.registry.validate import validate_table

__all__ = ["LoadReport", "load_files", "report_from_dict"]

log = logging.getLogger(__name__)

#: the largest registry file served from ``LOCATOR_REGISTRY`` (a national one is ~60 MB)
MAX_SERVED_BYTES = 1024 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What loading found: files read, rows seen, rows accepted, problems (errors, warnings
    and notices), and how many accepted rows were in each datum or placed by address."""

    files: tuple[str, ...]
    rows: int
    accepted: int
    problems: tuple[Problem, ...]
    datums: dict[str, int] = field(default_factory=dict)
    placed: int = 0

    @property
    def rejected(self) -> int:
        """Rows left out (each has at least one error)."""
        return len({(p.source, p.row) for p in self.problems if p.rejects})

    @property
    def warned(self) -> int:
        """Rows kept with a warning."""
        return len({(p.source, p.row) for p in self.problems if p.severity == "warning"})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as served by ``GET /api/v1/registry/report``."""
        return {
            "files": list(self.files), "rows": self.rows, "accepted": self.accepted,
            "rejected": self.rejected, "warned": self.warned, "datums": dict(self.datums),
            "placed_by_address": self.placed,
            "problems": [{"file": p.source, "row": p.row, "column": p.column,
                          "value": p.value, "reason": p.reason, "code": p.code,
                          "params": p.params, "severity": p.severity} for p in self.problems],
        }


def report_from_dict(stored: dict[str, Any], files: Sequence[str], rows: int,
                     accepted: int) -> LoadReport:
    """A :class:`LoadReport` from its :meth:`~LoadReport.to_dict` form (as stores keep it)."""
    problems = tuple(Problem(str(p.get("file")), int(p.get("row", 0)), p.get("column"),
                             str(p.get("value")), str(p.get("reason")), str(p.get("code") or ""),
                             dict(p.get("params") or {}), str(p.get("severity") or "error"))
                     for p in stored.get("problems", []))
    return LoadReport(tuple(files), rows, accepted, problems, dict(stored.get("datums") or {}),
                      int(stored.get("placed_by_address") or 0))


def load_files(paths: Iterable[Path], *, areas: Sequence[AdminUnit] = ()
               ) -> tuple[list[Station], LoadReport]:
    """Load stations from files; every problem is in the report and the log.

    Ids must be unique across all files: a repeated id is rejected (reported, never
    renumbered) and the first occurrence is kept. ``areas`` are imported subdistrict and
    community polygons for placing rows that have only an address.
    """
    stations: list[Station] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    names: list[str] = []
    datums: dict[str, int] = {}
    rows = placed = 0
    for path in paths:
        names.append(path.name)
        try:
            table = open_vector_file(path, max_bytes=MAX_SERVED_BYTES)
            checked = validate_table(table, areas=areas)
        except RegistryError as exc:
            problems.append(Problem(path.name, 0, None, shown_value(str(path)),
                                    f"file unreadable: {exc.message}"))
            continue
        rows += checked.rows
        placed += checked.placed
        for key, count in checked.datums.items():
            datums[key] = datums.get(key, 0) + count
        problems.extend(checked.problems)
        for station, row in zip(checked.stations, checked.station_rows, strict=True):
            if station.id in seen:
                problems.append(row_error("duplicate_id", "id", station.id,
                                          first=seen[station.id])
                                .at(path.name, row))
                continue
            seen[station.id] = f"{row} ({path.name})"
            stations.append(station)
    for problem in problems:
        log.warning("registry: %s", problem)
    return stations, LoadReport(tuple(names), rows, len(stations), tuple(problems), datums,
                                placed)

