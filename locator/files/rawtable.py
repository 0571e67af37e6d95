"""Rows as read from a file, before validation: shared by every reader."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from locator.errors import RegistryError
from locator.files.problems import Problem

__all__ = ["RawRow", "RawTable", "table_from_cells"]


@dataclass(frozen=True, slots=True)
class RawRow:
    """One row as read, before validation.

    ``row`` is the number a person sees: the spreadsheet row (the header is row 1)
    or the 1-based feature number. ``geometry`` is a GeoJSON geometry mapping
    (GeoJSON and GeoPackage) or ``None`` (tables carry coordinates in fields).
    ``error`` is ``(column, value, reason)`` when the row is malformed as read.
    """

    row: int
    fields: dict[str, Any]
    geometry: Any = None
    error: tuple[str, Any, str] | None = None

    def problem(self, source: str) -> Problem | None:
        """The row's read error as a report line of ``source`` (``None`` when it read well)."""
        if self.error is None:
            return None
        column, value, reason = self.error
        return Problem(source, self.row, column, str(value), reason)


@dataclass(frozen=True, slots=True)
class RawTable:
    """What a file held: its format, column names, rows and the text encoding found."""

    name: str
    format: str
    columns: tuple[str, ...]
    rows: tuple[RawRow, ...]
    encoding: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def table_from_cells(name: str, fmt: str, encoding: str | None,
                     numbered: Iterable[tuple[int, Any]]) -> RawTable:
    """A header row, then data rows (blank rows skipped) → a :class:`RawTable`."""
    header: list[str] | None = None
    rows: list[RawRow] = []
    for number, cells in numbered:
        values = list(cells)
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue  # blank lines carry no data
        if header is None:
            header = [str(v).strip() if v is not None else "" for v in values]
            while header and not header[-1]:
                header.pop()
            dupes = sorted({h for h in header if h and header.count(h) > 1})
            if dupes:
                raise RegistryError(f"repeated column names in the header: {dupes}")
            continue
        extra = [v for v in values[len(header):] if v is not None and str(v).strip()]
        fields = {h: _cell(v) for h, v in zip(header, values, strict=False) if h}
        error = (None if not extra else
                 ("row", extra[0], f"{len(values)} cells but the header has {len(header)}"))
        rows.append(RawRow(number, fields, None, error))
    if header is None:
        raise RegistryError("no header row and no data")
    return RawTable(name, fmt, tuple(h for h in header if h), tuple(rows), encoding)


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return value
