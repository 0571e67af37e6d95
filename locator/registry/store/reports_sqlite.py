"""Workers' reports in the GeoPackage store: the ``station_reports`` table beside the stations.

Created with the store, and added to stores made before reports existed the first time
they are opened (:func:`ensure_schema`, in one ``BEGIN IMMEDIATE`` transaction, so two
processes opening an old store at once create it once). Registered in ``gpkg_contents``
as an attributes table, so the file stays a valid GeoPackage.

Writes are refused while the store is degraded (its backup served read-only). They do
not refresh the store's verified backup (a copy of the whole file, too costly for every
anonymous report): the next registry write's backup carries them.
"""
# ruff: noqa: S608 - SQL is built only from this module's constant column names

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from locator.errors import EditConflict, NotFound
from locator.registry.reports import (
    REPORT_COLUMNS,
    NewReport,
    Report,
    Status,
    row_to_report,
)
from locator.registry.store import backup

__all__ = ["SCHEMA", "SqliteReports", "ensure_schema"]

SCHEMA = """
CREATE TABLE station_reports (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL,
  station_id TEXT NOT NULL, station_version INTEGER, station_etag TEXT NOT NULL,
  reason TEXT NOT NULL, amenity TEXT, text TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'open', handled_at TEXT, handled_by TEXT);
CREATE INDEX station_reports_by_status ON station_reports (status, station_id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES
  ('station_reports', 'attributes', 'station_reports', 'workers'' reports of changed stations');
"""
_NAMES = ", ".join(REPORT_COLUMNS)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _exists(con: sqlite3.Connection) -> bool:
    found = con.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                        "name = 'station_reports'").fetchone()[0]
    return bool(found)


def ensure_schema(con: sqlite3.Connection) -> None:
    """Create ``station_reports`` in a store that lacks it (a store made before reports)."""
    if _exists(con):
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        if not _exists(con):  # another process may have added it meanwhile
            for statement in SCHEMA.split(";\n"):
                if statement.strip():
                    con.execute(statement)
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise


class SqliteReports:
    """:class:`~locator.registry.reports.ReportStore` on a GeoPackage store's connection."""

    def __init__(self, con: sqlite3.Connection, path: Path) -> None:
        self._con = con
        self._path = path

    def add(self, report: NewReport) -> Report:
        """Store a new open report and return it."""
        backup.refuse_writes_if_degraded(self._path)
        cursor = self._con.execute(
            "INSERT INTO station_reports (created_at, station_id, station_version, "
            "station_etag, reason, amenity, text, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'open')",
            (_now(), report.station_id, report.station_version, report.station_etag,
             report.reason.value, report.amenity.value if report.amenity else None,
             report.text))
        found = self.get(int(cursor.lastrowid or 0))
        if found is None:  # pragma: no cover - the row was just written
            raise NotFound("the new report could not be read back")
        return found

    def get(self, report_id: int) -> Report | None:
        """One report, or ``None``."""
        row = self._con.execute(f"SELECT {_NAMES} FROM station_reports WHERE id = ?",
                                (report_id,)).fetchone()
        return None if row is None else row_to_report(tuple(row))

    def find(self, *, status: Status | None = None, station_id: str | None = None,
             limit: int | None = 100, offset: int = 0) -> list[Report]:
        """Reports, newest first, optionally of one status and/or station."""
        where, args = [], []
        if status is not None:
            where.append("status = ?")
            args.append(status.value)
        if station_id is not None:
            where.append("station_id = ?")
            args.append(station_id)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._con.execute(f"SELECT {_NAMES} FROM station_reports {clause} "
                                 "ORDER BY id DESC LIMIT ? OFFSET ?",
                                 (*args, -1 if limit is None else int(limit),
                                  int(offset))).fetchall()
        return [row_to_report(tuple(row)) for row in rows]

    def counts(self) -> dict[Status, int]:
        """How many reports there are of each status."""
        found = dict(self._con.execute("SELECT status, count(*) FROM station_reports "
                                       "GROUP BY status").fetchall())
        return {s: int(found.get(s.value, 0)) for s in Status}

    def open_by_station(self) -> dict[str, int]:
        """Station id → number of open reports."""
        rows = self._con.execute("SELECT station_id, count(*) FROM station_reports WHERE "
                                 "status = 'open' GROUP BY station_id").fetchall()
        return {str(station): int(n) for station, n in rows}

    def handle(self, report_id: int, status: Status, *, user: str) -> Report:
        """Accept or dismiss an open report (one transaction: a second editor finds it done)."""
        if status is Status.OPEN:
            raise ValueError("a report is handled by accepting or dismissing it")
        backup.refuse_writes_if_degraded(self._path)
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            found = self.get(report_id)
            if found is None:
                raise NotFound(f"no report with id {report_id!r}")
            if found.status is not Status.OPEN:
                raise EditConflict(f"report {report_id} was already {found.status.value} by "
                                   f"{found.handled_by} at {found.handled_at}")
            con.execute("UPDATE station_reports SET status = ?, handled_at = ?, handled_by = ? "
                        "WHERE id = ?", (status.value, _now(), user, report_id))
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        handled = self.get(report_id)
        if handled is None:  # pragma: no cover - the row was just written
            raise NotFound(f"no report with id {report_id!r}")
        return handled
