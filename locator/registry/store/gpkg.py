"""The embedded store: one GeoPackage file (SQLite in WAL mode), every write one transaction.

The file is a real GeoPackage 1.4: its ``stations`` feature layer (EPSG:4326
points) always holds the active version, so QGIS or ``ogr2ogr`` can open it.
Alongside it, plain SQLite tables keep every version's rows
(``station_history``), the versions themselves (``registry_versions``: who,
when, SHA-256, counts, report), the active pointer (``registry_state``) and a
log of imports and rollbacks; workers' reports live beside them in ``station_reports``
(:mod:`locator.registry.store.reports_sqlite`). ``synchronous=FULL`` plus WAL means a process
killed at any instant leaves either the old or the new version, complete.
"""
# ruff: noqa: S608 - SQL is built only from this module's constant column names

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from locator.errors import EditConflict, RegistryError
from locator.files.atomic import create_with
from locator.model import Station
from locator.registry.reports import ReportStore
from locator.registry.store import (
    ADDED_COLUMNS,
    ImportMeta,
    LogEntry,
    Version,
    backup,
    decode_stations,
    encode_station,
    version_from_row,
)
from locator.registry.store.gpkg_layer import (
    APPLICATION_ID,
    COLS_SQL,
    GPKG_SCHEMA,
    MARKS_SQL,
    NAMES_SQL,
    USER_VERSION,
    fill_layer,
)
from locator.registry.store.reports_sqlite import SqliteReports, ensure_schema

__all__ = ["GpkgStore"]

log = logging.getLogger(__name__)

_HISTORY_SCHEMA = f"""
CREATE TABLE registry_versions (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL,
  user TEXT NOT NULL, source TEXT NOT NULL, sha256 TEXT NOT NULL, rows INTEGER NOT NULL,
  accepted INTEGER NOT NULL, rejected INTEGER NOT NULL, datum TEXT NOT NULL, report TEXT);
CREATE TABLE station_history (version INTEGER NOT NULL REFERENCES registry_versions(id),
  ordinal INTEGER NOT NULL, {COLS_SQL}, PRIMARY KEY (version, ordinal)) WITHOUT ROWID;
CREATE TABLE registry_state (key TEXT PRIMARY KEY, value INTEGER);
CREATE TABLE registry_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,
  user TEXT NOT NULL, action TEXT NOT NULL, version INTEGER NOT NULL);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES
  ('registry_versions', 'attributes', 'registry_versions', 'every import'),
  ('station_history', 'attributes', 'station_history', 'stations of every version'),
  ('registry_state', 'attributes', 'registry_state', 'the active version'),
  ('registry_log', 'attributes', 'registry_log', 'imports and rollbacks');
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, timeout=60, isolation_level=None)
    if con.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        # before WAL, so the header in the main file says GPKG (GDAL reads it raw)
        con.execute(f"PRAGMA application_id={APPLICATION_ID}")
        con.execute(f"PRAGMA user_version={USER_VERSION}")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA foreign_keys=ON")
    return con


def _write_schema(con: sqlite3.Connection) -> None:
    """The store's tables (in the caller's transaction), with no version active."""
    for statement in (GPKG_SCHEMA + _HISTORY_SCHEMA).split(";\n"):
        if statement.strip():
            con.execute(statement)
    con.execute("INSERT INTO registry_state VALUES ('active', NULL)")


def _new_store(path: Path) -> None:
    """Write an empty store into the new file at ``path``."""
    con = _connect(path)
    try:
        con.execute("BEGIN IMMEDIATE")
        _write_schema(con)
        con.execute("COMMIT")
    finally:
        con.close()


class GpkgStore:
    """A versioned registry in one GeoPackage file (created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        #: what failed after this connection's last committed write (see :meth:`_settle`)
        self.warnings: list[str] = []
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not self.path.exists():
            # whole or not at all, readable by the service user only: a worker starting
            # beside the one creating it found a file without tables "corrupt" and stopped
            create_with(self.path, _new_store, mode=0o600)
        self._con = _connect(self.path)
        if not self._has_schema():  # an empty file put there by hand
            self._create()
        self._migrate()
        ensure_schema(self._con)  # stores made before workers' reports get their table
        self.reports: ReportStore = SqliteReports(self._con, self.path)

    def _has_schema(self) -> bool:
        found = self._con.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                  "name = 'registry_state'").fetchone()[0]
        return bool(found == 1)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``; any exception rolls back (unless SQLite
        already did, as on a full disk or an I/O error) and propagates."""
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise

    def _create(self) -> None:
        with self._transaction() as con:
            if not self._has_schema():  # another process may have won the race
                _write_schema(con)

    def _migrate(self) -> None:
        """Add the columns a store made by an older release lacks (``phone``, ``hours_text``,
        ``geocoded``) to both station tables, in one transaction; old rows read as empty."""
        def missing() -> list[tuple[str, str]]:
            return [(table, column) for table in ("station_history", "stations")
                    for column in ADDED_COLUMNS
                    if column not in {r[1] for r in self._con.execute(
                        f"PRAGMA table_info({table})")}]

        if not missing():
            return
        with self._transaction() as con:
            for table, column in missing():  # again, inside the lock: another process may
                con.execute(f'ALTER TABLE {table} ADD COLUMN "{column}" TEXT')  # have done it
        log.info("registry store %s: added columns %s", self.path, ", ".join(ADDED_COLUMNS))
        self.backup()

    # --- reading ---

    def _active_id(self) -> int | None:
        row = self._con.execute("SELECT value FROM registry_state WHERE key = 'active'").fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def _versions(self, where: str = "", args: tuple[Any, ...] = ()) -> list[Version]:
        active = self._active_id()
        rows = self._con.execute(
            "SELECT id, created_at, user, source, sha256, rows, accepted, rejected, datum "
            f"FROM registry_versions {where} ORDER BY id DESC", args).fetchall()
        return [version_from_row(row, active) for row in rows]

    def active(self) -> Version | None:
        """The active version, or ``None`` for an empty store."""
        found = self._versions("WHERE id = (SELECT value FROM registry_state WHERE key = "
                               "'active')")
        return found[0] if found else None

    def history(self) -> list[Version]:
        """Every version, newest first."""
        return self._versions()

    def log(self) -> list[LogEntry]:
        """Every import and rollback, newest first."""
        rows = self._con.execute("SELECT at, user, action, version FROM registry_log "
                                 "ORDER BY id DESC").fetchall()
        return [LogEntry(*row) for row in rows]

    def stations(self, version: int | None = None) -> list[Station]:
        """The stations of ``version`` (default: the active one), in import order."""
        with self._snapshot():
            number = self._active_id() if version is None else version
            if number is None:
                return []
            rows = self._con.execute(f"SELECT {NAMES_SQL} FROM station_history WHERE version = ? "
                                     "ORDER BY ordinal", (number,))
            return decode_stations(rows)  # streamed: no list of raw rows

    def report(self, version: int | None = None) -> dict[str, Any] | None:
        """The validation report stored with ``version`` (default: the active one)."""
        number = self._active_id() if version is None else version
        row = self._con.execute("SELECT report FROM registry_versions WHERE id = ?",
                                (number,)).fetchone()
        return None if row is None or row[0] is None else dict(json.loads(row[0]))

    def _snapshot(self) -> Any:
        return _Snapshot(self._con)

    # --- writing ---

    def write(self, stations: Sequence[Station], meta: ImportMeta, *,
              expected_active: int | None = None) -> Version:
        """Store ``stations`` as a new version and make it active, in one transaction.

        ``expected_active`` (``0``: empty store) makes it a compare-and-swap that raises
        :class:`~locator.errors.EditConflict` when another version is active.
        """
        backup.refuse_writes_if_degraded(self.path)
        with self._transaction() as con:
            if expected_active is not None and (self._active_id() or 0) != expected_active:
                raise EditConflict(f"the store's active version is {self._active_id()!r}, "
                                   f"expected {expected_active!r}")
            cursor = con.execute(
                "INSERT INTO registry_versions (created_at, user, source, sha256, rows, accepted, "
                "rejected, datum, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (_now(), meta.user, meta.source, meta.sha256, meta.rows, len(stations),
                 meta.rejected, meta.datum, json.dumps(meta.report, ensure_ascii=False)))
            number = int(cursor.lastrowid or 0)
            rows = [encode_station(s) for s in stations]  # once, for the history and the layer
            con.executemany(f"INSERT INTO station_history (version, ordinal, {NAMES_SQL}) "
                            f"VALUES (?, ?, {MARKS_SQL})",
                            ((number, i, *row) for i, row in enumerate(rows)))
            self._activate(number, meta.user, "import", rows)
            written = self._versions("WHERE id = ?", (number,))[0]  # read before COMMIT
        self._settle(number)
        return written

    def _activate(self, number: int, user: str, action: str,
                  rows: Sequence[Sequence[Any]] | None = None) -> None:
        """Make version ``number`` active; ``rows`` are its encoded stations (else read)."""
        con = self._con
        con.execute("UPDATE registry_state SET value = ? WHERE key = 'active'", (number,))
        con.execute("INSERT INTO registry_log (at, user, action, version) VALUES (?, ?, ?, ?)",
                    (_now(), user, action, number))
        if rows is None:
            rows = con.execute(f"SELECT {NAMES_SQL} FROM station_history WHERE version = ? "
                               "ORDER BY ordinal", (number,)).fetchall()
        fill_layer(con, rows)

    def rollback(self, *, user: str) -> Version:
        """Make the version before the active one active again (one transaction)."""
        backup.refuse_writes_if_degraded(self.path)
        with self._transaction() as con:
            current = self._active_id()
            row = con.execute("SELECT max(id) FROM registry_versions WHERE id < ?",
                              (current if current is not None else -1,)).fetchone()
            if current is None or row[0] is None:
                raise RegistryError(f"nothing to roll back to: the active version is "
                                    f"{current!r} and no earlier version exists")
            self._activate(int(row[0]), user, "rollback")
            active = self._versions("WHERE id = ?", (int(row[0]),))[0]  # read before COMMIT
        self._settle(active.id)
        return active

    def _settle(self, version: int) -> None:
        """After a committed write: checkpoint the WAL, refresh the backup, record the outcome.

        Nothing here can undo the write, which is durable once ``COMMIT`` returned, so a
        failure (a full disk fails the checkpoint and the backup alike) is logged, kept in
        :attr:`warnings` and in the ``<store>.warning`` file that ``/healthz`` reads — never
        raised, so no caller reports a stored version as "nothing was changed". A later
        write that settles cleanly removes the file.
        """
        problems: list[str] = []
        try:
            self._checkpoint()
        except sqlite3.Error as exc:
            log.error("registry store %s: version %d is stored, but the WAL checkpoint "
                      "failed: %s", self.path, version, exc)
            problems.append(f"version {version} is stored, but the WAL checkpoint failed: "
                            f"{exc}")
        failed = self.backup()
        if failed is not None:
            problems.append(f"version {version} is stored, but its backup was not refreshed: "
                            f"{failed}")
        self.warnings = problems
        backup.record_warnings(self.path, problems)

    def _checkpoint(self) -> None:
        """Copy the WAL's committed pages into the store file (what readers of the file see)."""
        self._con.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def backup(self) -> str | None:
        """Refresh the verified copy ``<store>.bak`` (see :mod:`locator.registry.store.backup`).

        Called after every committed write; call it after any new kind of write too. A
        failed backup is logged and its reason returned, never raised: the write itself is
        already durable.
        """
        try:
            backup.write_backup(self._con, self.path)
        except (OSError, sqlite3.Error) as exc:
            log.exception("registry store %s: the backup was not refreshed", self.path)
            return str(exc)
        return None

    def check(self) -> list[str]:
        """SQLite integrity, GeoPackage header, and counts that must agree."""
        con = self._con
        problems = [f"integrity_check: {r[0]}" for r in con.execute("PRAGMA integrity_check")
                    if r[0] != "ok"]
        if con.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            problems.append("application_id is not GPKG")
        with self._snapshot():
            active = self._active_id()
            for number, accepted in con.execute("SELECT id, accepted FROM registry_versions"):
                held = con.execute("SELECT count(*) FROM station_history WHERE version = ?",
                                   (number,)).fetchone()[0]
                if held != accepted:
                    problems.append(f"version {number} records {accepted} stations but holds "
                                    f"{held}")
            layer = con.execute("SELECT count(*) FROM stations").fetchone()[0]
            expected = 0 if active is None else con.execute(
                "SELECT accepted FROM registry_versions WHERE id = ?", (active,)).fetchone()[0]
            if layer != expected:
                problems.append(f"stations layer holds {layer} rows; active version {active} "
                                f"has {expected}")
        return problems

    def close(self) -> None:
        """Close the connection."""
        self._con.close()


class _Snapshot:
    """A read transaction so that several SELECTs see one consistent version."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def __enter__(self) -> None:
        self.con.execute("BEGIN")

    def __exit__(self, *exc: object) -> None:
        self.con.execute("COMMIT")
