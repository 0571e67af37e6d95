"""Workers' reports in the PostGIS store: the ``station_reports`` table beside the stations.

Created by :class:`~locator.registry.store.postgis.PostgisStore` with its other tables
(``create_all(checkfirst=True)``), so a database made before reports gets it on first open.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Index, Integer, MetaData, Table, Text, func, select
from sqlalchemy.engine import Engine

from locator.errors import EditConflict, NotFound
from locator.registry.reports import REPORT_COLUMNS, NewReport, Report, Status, row_to_report

__all__ = ["PostgisReports", "metadata", "reports_table"]

metadata = MetaData()
reports_table = Table(
    "station_reports", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", Text, nullable=False), Column("station_id", Text, nullable=False),
    Column("station_version", Integer), Column("station_etag", Text, nullable=False),
    Column("reason", Text, nullable=False), Column("amenity", Text),
    Column("text", Text, nullable=False, server_default=""),
    Column("status", Text, nullable=False, server_default="open"),
    Column("handled_at", Text), Column("handled_by", Text),
    Index("station_reports_by_status", "status", "station_id"))
_COLUMNS = tuple(reports_table.c[name] for name in REPORT_COLUMNS)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class PostgisReports:
    """:class:`~locator.registry.reports.ReportStore` on a PostGIS store's engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, report: NewReport) -> Report:
        """Store a new open report and return it."""
        with self._engine.begin() as conn:
            row = conn.execute(reports_table.insert().values(
                created_at=_now(), station_id=report.station_id,
                station_version=report.station_version, station_etag=report.station_etag,
                reason=report.reason.value,
                amenity=report.amenity.value if report.amenity else None, text=report.text,
                status=Status.OPEN.value).returning(*_COLUMNS)).one()
        return row_to_report(tuple(row))

    def get(self, report_id: int) -> Report | None:
        """One report, or ``None``."""
        with self._engine.connect() as conn:
            row = conn.execute(select(*_COLUMNS).where(reports_table.c.id == report_id)).first()
        return None if row is None else row_to_report(tuple(row))

    def find(self, *, status: Status | None = None, station_id: str | None = None,
             limit: int | None = 100, offset: int = 0) -> list[Report]:
        """Reports, newest first, optionally of one status and/or station."""
        query: Any = select(*_COLUMNS).order_by(reports_table.c.id.desc())
        if status is not None:
            query = query.where(reports_table.c.status == status.value)
        if station_id is not None:
            query = query.where(reports_table.c.station_id == station_id)
        with self._engine.connect() as conn:
            rows = conn.execute(query.limit(None if limit is None else int(limit))
                                .offset(int(offset))).all()
        return [row_to_report(tuple(row)) for row in rows]

    def counts(self) -> dict[Status, int]:
        """How many reports there are of each status."""
        with self._engine.connect() as conn:
            found: dict[str, int] = dict(conn.execute(select(reports_table.c.status, func.count())
                                      .group_by(reports_table.c.status)).all())
        return {s: int(found.get(s.value, 0)) for s in Status}

    def open_by_station(self) -> dict[str, int]:
        """Station id → number of open reports."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(reports_table.c.station_id, func.count())
                                .where(reports_table.c.status == Status.OPEN.value)
                                .group_by(reports_table.c.station_id)).all()
        return {str(station): int(n) for station, n in rows}

    def handle(self, report_id: int, status: Status, *, user: str) -> Report:
        """Accept or dismiss an open report (the row is locked: a second editor finds it done)."""
        if status is Status.OPEN:
            raise ValueError("a report is handled by accepting or dismissing it")
        with self._engine.begin() as conn:
            row = conn.execute(select(*_COLUMNS).where(reports_table.c.id == report_id)
                               .with_for_update()).first()
            if row is None:
                raise NotFound(f"no report with id {report_id!r}")
            found = row_to_report(tuple(row))
            if found.status is not Status.OPEN:
                raise EditConflict(f"report {report_id} was already {found.status.value} by "
                                   f"{found.handled_by} at {found.handled_at}")
            handled = conn.execute(reports_table.update().where(reports_table.c.id == report_id)
                                   .values(status=status.value, handled_at=_now(),
                                           handled_by=user).returning(*_COLUMNS)).one()
        return row_to_report(tuple(handled))
