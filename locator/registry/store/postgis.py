"""The store at scale: PostgreSQL + PostGIS through SQLAlchemy Core and GeoAlchemy2.

Same tables and semantics as the GeoPackage store: ``stations`` (the active
version, ``geometry(Point, 4326)`` with a GiST index so ``ORDER BY geom <-> point``
is an index scan), ``station_history`` (every version's rows),
``registry_versions``, ``registry_state`` and ``registry_log``; workers' reports in
``station_reports`` (:mod:`locator.registry.store.reports_postgis`). An import is one
transaction that first locks ``registry_state``, so concurrent imports queue and
readers always see a complete version. Rows go in through ``COPY``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from geoalchemy2 import Geometry
from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
    create_engine,
    func,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from locator.errors import EditConflict, RegistryError, StoreWriteFailed
from locator.model import Station
from locator.registry.reports import ReportStore
from locator.registry.store import (
    ADDED_COLUMNS,
    COLUMNS,
    ImportMeta,
    LogEntry,
    Version,
    decode_stations,
    encode_station,
    reports_postgis,
    version_from_row,
)

__all__ = ["PostgisStore"]

_TYPES: dict[str, Any] = {"lon": Float, "lat": Float, "precision_m": Float, "synthetic": Integer}


def _station_columns() -> list[Column[Any]]:
    return [Column(c, _TYPES.get(c, Text)) for c in COLUMNS]


metadata = MetaData()
versions = Table(
    "registry_versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", Text, nullable=False), Column("user", Text, nullable=False),
    Column("source", Text, nullable=False), Column("sha256", Text, nullable=False),
    Column("rows", Integer, nullable=False), Column("accepted", Integer, nullable=False),
    Column("rejected", Integer, nullable=False), Column("datum", Text, nullable=False),
    Column("report", Text))
history = Table(
    "station_history", metadata,
    Column("version", Integer, primary_key=True), Column("ordinal", Integer, primary_key=True),
    *_station_columns())
stations_table = Table(
    "stations", metadata,
    Column("fid", Integer, primary_key=True, autoincrement=True),
    Column("geom", Geometry("POINT", srid=4326, spatial_index=True)),
    *_station_columns())
state = Table("registry_state", metadata, Column("key", Text, primary_key=True),
              Column("value", Integer))
log_table = Table(
    "registry_log", metadata, Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Text, nullable=False), Column("user", Text, nullable=False),
    Column("action", Text, nullable=False), Column("version", Integer, nullable=False))

_VERSION_COLS = (versions.c.id, versions.c.created_at, versions.c.user, versions.c.source,
                 versions.c.sha256, versions.c.rows, versions.c.accepted, versions.c.rejected,
                 versions.c.datum)
_NAMES = ", ".join(f'"{c}"' for c in COLUMNS)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _url(location: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if location.startswith(prefix):
            return "postgresql+psycopg://" + location[len(prefix):]
    return location


class PostgisStore:
    """A versioned registry in a PostGIS database (tables created on first use)."""

    def __init__(self, url: str) -> None:
        self.location = url
        #: always empty: the database server checkpoints and backs up on its own
        self.warnings: list[str] = []
        self._engine = create_engine(_url(url), pool_pre_ping=True)
        with self._engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(4242)"))  # one creator at a time
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            metadata.create_all(conn, checkfirst=True)
            for table in ("station_history", "stations"):  # stores made by older releases
                for column in ADDED_COLUMNS:
                    conn.execute(text(f'ALTER TABLE {table} ADD COLUMN IF NOT EXISTS '
                                      f'"{column}" text'))
            reports_postgis.metadata.create_all(conn, checkfirst=True)  # also in older stores
            conn.execute(text("INSERT INTO registry_state VALUES ('active', NULL) "
                              "ON CONFLICT (key) DO NOTHING"))
        self.reports: ReportStore = reports_postgis.PostgisReports(self._engine)

    # --- reading ---

    @staticmethod
    def _active_id(conn: Connection) -> int | None:
        value = conn.execute(select(state.c.value).where(state.c.key == "active")).scalar()
        return None if value is None else int(value)

    def _versions(self, conn: Connection, number: int | None = None) -> list[Version]:
        active = self._active_id(conn)
        query = select(*_VERSION_COLS).order_by(versions.c.id.desc())
        if number is not None:
            query = query.where(versions.c.id == number)
        return [version_from_row(tuple(row), active) for row in conn.execute(query)]

    def active(self) -> Version | None:
        """The active version, or ``None`` for an empty store."""
        with self._engine.connect() as conn:
            number = self._active_id(conn)
            return None if number is None else self._versions(conn, number)[0]

    def history(self) -> list[Version]:
        """Every version, newest first."""
        with self._engine.connect() as conn:
            return self._versions(conn)

    def log(self) -> list[LogEntry]:
        """Every import and rollback, newest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(log_table.c.at, log_table.c.user, log_table.c.action,
                                       log_table.c.version).order_by(log_table.c.id.desc()))
            return [LogEntry(*row) for row in rows]

    def stations(self, version: int | None = None) -> list[Station]:
        """The stations of ``version`` (default: the active one), in import order."""
        with self._engine.connect() as conn:
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            number = self._active_id(conn) if version is None else version
            if number is None:
                return []
            rows = conn.execute(select(*(history.c[c] for c in COLUMNS))
                                .where(history.c.version == number).order_by(history.c.ordinal))
            return decode_stations(rows)

    def report(self, version: int | None = None) -> dict[str, Any] | None:
        """The validation report stored with ``version`` (default: the active one)."""
        with self._engine.connect() as conn:
            number = self._active_id(conn) if version is None else version
            value = conn.execute(select(versions.c.report)
                                 .where(versions.c.id == number)).scalar()
        return None if value is None else dict(json.loads(value))

    def nearest(self, lon: float, lat: float, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` active stations nearest to a WGS-84 point: ``(id, geodesic metres)``.

        Ordered by the GiST index (``<->``), then re-ranked by geodesic distance
        among a few extra candidates so the order is exact.
        """
        point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
        metres = func.ST_Distance(func.Geography(stations_table.c.geom), func.Geography(point))
        candidates = (select(stations_table.c.id, metres.label("m"))
                      .where(stations_table.c.geom.is_not(None))
                      .order_by(stations_table.c.geom.op("<->")(point)).limit(k * 4 + 8)
                      .subquery())
        query = select(candidates.c.id, candidates.c.m).order_by(candidates.c.m).limit(k)
        with self._engine.connect() as conn:
            return [(str(r[0]), float(r[1])) for r in conn.execute(query)]

    # --- writing ---

    def _copy(self, conn: Connection, table: str, names: str, rows: Any) -> None:
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def _fill_layer(self, conn: Connection, rows: Iterable[Sequence[Any]]) -> None:
        """Replace the layer's rows by ``rows`` (encoded stations, :data:`COLUMNS` order)."""
        conn.execute(text("TRUNCATE stations RESTART IDENTITY"))
        self._copy(conn, "stations", f"geom, {_NAMES}", (
            (None if row[3] is None or row[4] is None  # (lon, lat)
             else f"SRID=4326;POINT({row[3]!r} {row[4]!r})", *row) for row in rows))

    def _activate(self, conn: Connection, number: int, user: str, action: str,
                  rows: Sequence[Sequence[Any]] | None = None) -> None:
        """Make version ``number`` active; ``rows`` are its encoded stations (else read)."""
        conn.execute(state.update().where(state.c.key == "active").values(value=number))
        conn.execute(log_table.insert().values(at=_now(), user=user, action=action,
                                               version=number))
        if rows is None:
            rows = [tuple(row) for row in conn.execute(
                select(*(history.c[c] for c in COLUMNS))
                .where(history.c.version == number).order_by(history.c.ordinal))]
        self._fill_layer(conn, rows)

    def write(self, stations: Sequence[Station], meta: ImportMeta, *,
              expected_active: int | None = None) -> Version:
        """Store ``stations`` as a new version and make it active, in one transaction.

        ``expected_active`` (``0``: empty store) makes it a compare-and-swap that raises
        :class:`~locator.errors.EditConflict` when another version is active. A database
        failure (disk full, lost connection…) rolls back and raises
        :class:`~locator.errors.StoreWriteFailed`, an ``OSError`` like the GeoPackage store's
        disk errors, so callers need not know SQLAlchemy.
        """
        try:
            with self._engine.begin() as conn:
                conn.execute(text("LOCK TABLE registry_state IN EXCLUSIVE MODE"))
                active = self._active_id(conn)
                if expected_active is not None and (active or 0) != expected_active:
                    raise EditConflict(f"the store's active version is {active!r}, expected "
                                       f"{expected_active!r}")
                number = int(conn.execute(versions.insert().values(
                    created_at=_now(), user=meta.user, source=meta.source, sha256=meta.sha256,
                    rows=meta.rows, accepted=len(stations), rejected=meta.rejected,
                    datum=meta.datum, report=json.dumps(meta.report, ensure_ascii=False)
                ).returning(versions.c.id)).scalar_one())
                rows = [encode_station(s) for s in stations]  # once: history and layer
                self._copy(conn, "station_history", f"version, ordinal, {_NAMES}",
                           ((number, i, *row) for i, row in enumerate(rows)))
                self._activate(conn, number, meta.user, "import", rows)
                return self._versions(conn, number)[0]
        except (SQLAlchemyError, psycopg.Error) as exc:  # (COPY raises psycopg's own errors)
            raise StoreWriteFailed(f"{type(exc).__name__}: {exc}") from exc

    def rollback(self, *, user: str) -> Version:
        """Make the version before the active one active again (one transaction)."""
        with self._engine.begin() as conn:
            conn.execute(text("LOCK TABLE registry_state IN EXCLUSIVE MODE"))
            current = self._active_id(conn)
            previous = conn.execute(select(func.max(versions.c.id)).where(
                versions.c.id < (current if current is not None else -1))).scalar()
            if current is None or previous is None:
                raise RegistryError(f"nothing to roll back to: the active version is "
                                    f"{current!r} and no earlier version exists")
            self._activate(conn, int(previous), user, "rollback")
            return self._versions(conn, int(previous))[0]

    def check(self) -> list[str]:
        """Counts that must agree, and the GiST index that nearest queries rely on."""
        problems: list[str] = []
        with self._engine.connect() as conn:
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            held: dict[int, int] = dict(conn.execute(select(history.c.version, func.count())
                                     .group_by(history.c.version)).all())
            for number, accepted in conn.execute(select(versions.c.id, versions.c.accepted)):
                if held.get(number, 0) != accepted:
                    problems.append(f"version {number} records {accepted} stations but holds "
                                    f"{held.get(number, 0)}")
            active = self._active_id(conn)
            layer = conn.execute(select(func.count()).select_from(stations_table)).scalar_one()
            expected = 0 if active is None else conn.execute(
                select(versions.c.accepted).where(versions.c.id == active)).scalar_one()
            if layer != expected:
                problems.append(f"stations table holds {layer} rows; active version {active} "
                                f"has {expected}")
            gist = conn.execute(text("SELECT count(*) FROM pg_indexes WHERE tablename = "
                                     "'stations' AND indexdef ILIKE '%USING gist%'")).scalar_one()
            if gist != 1:
                problems.append("stations.geom has no GiST index")
        return problems

    def close(self) -> None:
        """Dispose of the connection pool."""
        self._engine.dispose()
