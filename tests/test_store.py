"""The same Store tests against both backends: GeoPackage and a throwaway PostGIS cluster.

The PostGIS cluster is started by this test run (tests/pgcluster.py) and stopped
afterwards. When PostgreSQL/PostGIS are not installed the PostGIS half is
SKIPPED with a loud reason (and FAILS under CI=true, where make test installs them).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from locator.errors import EditConflict, NotFound, QueryError, RegistryError
from locator.files.readers import open_vector_file
from locator.geo.datum import Datum
from locator.geo.geodesic import geodesic_m
from locator.model import Amenity, Entry, Kind, Station
from locator.registry import audit
from locator.registry.reports import NewReport, Reason, Status, new_report
from locator.registry.store import ImportMeta, Store, is_database_url, open_store
from locator.registry.store.gpkg_layer import write_geopackage
from tests.pgcluster import Cluster, ClusterUnavailable, start_cluster

FULL = Station(id="s1", name="城关区 \"东方红\" 驿站, 一号", kind=Kind.SMART_STATION, lon=103.84055,
               lat=36.05282, amenities=frozenset({Amenity.WATER, Amenity.TOILET}),
               opening_hours="Mo-Fr 08:00-20:00; Sa,Su 10:00-16:00", entry=Entry.QR_CODE,
               address="广场南路 =1+1", district_code="620102", subdistrict_code="620102001",
               community_code="620102001001", source="工会通知", datum=Datum.GCJ02,
               precision_m=15.5, verified=date(2024, 5, 1), synthetic=False, note="@备注\t")
BARE = Station(id="s2", name="乙", kind=Kind.PARTNER, lon=None, lat=None)
NEAR = [Station(id=f"n{i}", name=f"站{i}", kind=Kind.BOX_STATION, lon=103.80 + 0.01 * i,
                lat=36.05 + 0.003 * (i % 3)) for i in range(12)]


def meta(source: str = "r.csv", rows: int = 2, rejected: int = 0) -> ImportMeta:
    return ImportMeta(user="tester", source=source, sha256="ab" * 32, rows=rows,
                      rejected=rejected, datum="wgs84",
                      report={"problems": [{"row": 3, "reason": "x"}]})


@pytest.fixture(scope="module")
def pg_cluster() -> Iterator[Cluster]:
    """A PostGIS cluster for this module (fails, or skips loudly, when it cannot start)."""
    try:
        cluster = start_cluster()
    except ClusterUnavailable as exc:
        message = (f"POSTGIS STORE TESTS SKIPPED: {exc}. Run `bash scripts/ensure-postgis.sh` "
                   "(make test does) to install it.")
        if os.environ.get("CI"):
            pytest.fail(message.replace("SKIPPED", "CANNOT RUN IN CI"))
        pytest.skip(message)
    except RuntimeError as exc:
        pytest.fail(f"PostGIS is installed but the throwaway cluster did not start: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture(params=["gpkg", "postgis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each backend."""
    if request.param == "gpkg":
        opened = open_store(tmp_path / "registry.gpkg")
    else:
        from locator.registry.store import postgis, reports_postgis

        cluster: Cluster = request.getfixturevalue("pg_cluster")
        opened = open_store(cluster.url)
        engine: Any = opened._engine  # type: ignore[attr-defined]
        postgis.metadata.drop_all(engine)
        reports_postgis.metadata.drop_all(engine)
        opened.close()
        opened = open_store(cluster.url)
    yield opened
    opened.close()


def test_empty_store(store: Store) -> None:
    assert store.active() is None and store.history() == [] and store.stations() == []
    assert store.check() == []
    with pytest.raises(RegistryError, match="nothing to roll back to"):
        store.rollback(user="x")


def test_every_field_round_trips(store: Store) -> None:
    version = store.write([FULL, BARE], meta())
    assert (version.id, version.accepted, version.rows, version.user, version.active) == (
        1, 2, 2, "tester", True)
    assert store.stations() == [FULL, BARE]
    assert store.report() == {"problems": [{"row": 3, "reason": "x"}]}
    assert store.check() == []


def layer(store: Store) -> list[tuple[Any, ...]]:
    """The feature layer's rows: id, name, amenities, verified and the geometry's x, y."""
    if is_database_url(store.location):
        from sqlalchemy import text

        engine: Any = store._engine  # type: ignore[attr-defined]
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT id, name, amenities, verified, ST_X(geom), ST_Y(geom) FROM stations "
                "ORDER BY fid"))]
    import struct

    con = sqlite3.connect(store.location)
    try:
        rows = con.execute("SELECT id, name, amenities, verified, geom FROM stations "
                           "ORDER BY fid").fetchall()
    finally:
        con.close()
    return [(*r[:4], *(struct.unpack("<dd", r[4][-16:]) if r[4] else (None, None)))
            for r in rows]


def layer_of(stations: list[Station]) -> list[tuple[Any, ...]]:
    return [(s.id, s.name, ";".join(sorted(a.value for a in s.amenities)),
             s.verified.isoformat() if s.verified else None, s.lon, s.lat) for s in stations]


def test_versions_history_and_rollback(store: Store) -> None:
    first = store.write([FULL, BARE], meta("first.csv"))
    assert layer(store) == layer_of([FULL, BARE])
    second = store.write([BARE], meta("second.xlsx", rows=3, rejected=2))
    assert layer(store) == layer_of([BARE])
    assert [v.source for v in store.history()] == ["second.xlsx", "first.csv"]
    assert [v.active for v in store.history()] == [True, False]
    assert store.stations() == [BARE] and store.stations(first.id) == [FULL, BARE]
    assert (second.rows, second.accepted, second.rejected) == (3, 1, 2)
    back = store.rollback(user="boss")
    assert back.id == first.id and store.active() == back
    assert store.stations() == [FULL, BARE]
    assert layer(store) == layer_of([FULL, BARE])  # refilled from the stored rows
    assert [(e.action, e.version, e.user) for e in store.log()] == [
        ("rollback", 1, "boss"), ("import", 2, "tester"), ("import", 1, "tester")]
    with pytest.raises(RegistryError, match="no earlier version"):
        store.rollback(user="boss")
    assert store.check() == []


def test_a_reopened_store_sees_the_same(store: Store) -> None:
    store.write(NEAR, meta())
    again = open_store(store.location)
    try:
        assert again.stations() == NEAR and again.active() == store.active()
    finally:
        again.close()


def test_gpkg_layer_is_a_real_geopackage(tmp_path: Path) -> None:
    store = open_store(tmp_path / "r.gpkg")
    store.write([FULL, BARE], meta())
    store.close()
    con = sqlite3.connect(tmp_path / "r.gpkg")
    assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
    table = open_vector_file(tmp_path / "r.gpkg", layer="stations")
    assert [r.geometry for r in table.rows] == [
        {"type": "Point", "coordinates": (FULL.lon, FULL.lat)}, None]
    assert table.rows[0].fields["name"] == FULL.name


def test_exported_geopackage_reads_back(tmp_path: Path) -> None:
    write_geopackage(tmp_path / "out.gpkg", NEAR)
    table = open_vector_file(tmp_path / "out.gpkg")
    assert [r.fields["id"] for r in table.rows] == [s.id for s in NEAR]
    assert table.meta == {"layer": "stations"}


def test_postgis_nearest_uses_the_gist_index(pg_cluster: Cluster) -> None:
    from sqlalchemy import text

    from locator.registry.store import postgis

    store = postgis.PostgisStore(pg_cluster.url)
    try:
        postgis.metadata.drop_all(store._engine)
        store.close()
        store = postgis.PostgisStore(pg_cluster.url)
        store.write([*NEAR, BARE], meta(rows=13))
        lon, lat = 103.853, 36.051
        got = store.nearest(lon, lat, k=3)
        brute = sorted((float(geodesic_m(s.lon or 0.0, s.lat or 0.0, lon, lat)), s.id)
                       for s in NEAR)[:3]
        assert [g[0] for g in got] == [b[1] for b in brute]
        for (_, metres), (expected, _) in zip(got, brute, strict=True):
            assert metres == pytest.approx(expected, abs=0.01)
        with store._engine.connect() as conn:
            conn.execute(text("SET enable_seqscan = off"))
            plan = "\n".join(r[0] for r in conn.execute(text(
                "EXPLAIN SELECT id FROM stations ORDER BY geom <-> "
                "ST_SetSRID(ST_MakePoint(103.85, 36.05), 4326) LIMIT 3")))
        assert "Index Scan using idx_stations_geom" in plan, plan
        assert store.check() == []
    finally:
        store.close()


def test_write_with_expected_active_is_a_compare_and_swap(store: Store) -> None:
    """Station edits pass the version they were based on; a stale one writes nothing."""
    from locator.errors import EditConflict

    first = store.write([FULL], meta(), expected_active=0)  # 0: the store must be empty
    with pytest.raises(EditConflict, match=f"active version is {first.id}, expected 0"):
        store.write([BARE], meta(), expected_active=0)
    second = store.write([FULL, BARE], meta(), expected_active=first.id)
    with pytest.raises(EditConflict, match=f"expected {first.id}"):
        store.write([BARE], meta(), expected_active=first.id)
    assert [v.id for v in store.history()] == [second.id, first.id]
    assert store.stations() == [FULL, BARE]


def test_edits_and_their_audit_records_on_both_backends(store: Store) -> None:
    """A station edit is one version with its audit record, on either backend."""
    from locator.registry import audit, editing

    store.write([FULL, BARE], meta())
    moved = Station(**{**{f: getattr(BARE, f) for f in BARE.__dataclass_fields__},
                       "lon": 103.8, "lat": 36.06})
    saved = editing.save(store, editing.Action.MOVE, "s2", moved, editing.station_etag(BARE),
                         user="ed", base=list)
    assert store.stations() == [FULL, moved] and saved.etag == editing.station_etag(moved)
    from locator.errors import EditConflict

    with pytest.raises(EditConflict, match="changed by someone else"):
        editing.save(store, editing.Action.RETIRE, "s2", None, editing.station_etag(BARE),
                     user="ed", base=list)
    assert [(e.action, e.user, e.station_id) for e in audit.entries(store)] == [
        ("move", "ed", "s2"), ("import", "tester", "")]
    assert audit.entries(store)[0].before == editing.station_dict(BARE)


def test_a_failed_write_is_a_store_write_failure_and_changes_nothing(store: Store) -> None:
    # text PostgreSQL cannot hold (a NUL) or a SQLite failure: one error type for callers
    from dataclasses import replace

    from locator.errors import StoreWriteFailed

    if not is_database_url(store.location):
        pytest.skip("SQLite stores NUL in text; its disk failures are in test_edit_faults.py")
    store.write([FULL], meta())
    with pytest.raises(StoreWriteFailed):
        store.write([replace(BARE, name="坏\x00名")], meta())
    assert store.stations() == [FULL] and len(store.history()) == 1


def test_stored_columns_are_the_station_fields_in_order() -> None:
    # decode_stations builds each Station from a row positionally
    import dataclasses

    from locator.registry.store import COLUMNS

    assert tuple(f.name for f in dataclasses.fields(Station)) == COLUMNS


@pytest.mark.parametrize("collector_on", [True, False])
def test_decoding_shares_repeated_values_and_leaves_the_collector_as_it_was(
        collector_on: bool) -> None:
    import gc

    from locator.registry.store import decode_stations, encode_station

    # every text a fresh object, as a database hands them out: sharing must come from decoding
    rows = [tuple(v.encode().decode() if isinstance(v, str) else v for v in encode_station(s))
            for s in (FULL, BARE, FULL, BARE)]
    assert rows[0][12] is not rows[2][12]  # the source
    was = gc.isenabled()
    (gc.enable if collector_on else gc.disable)()
    try:
        decoded = decode_stations(iter(rows))
        assert gc.isenabled() is collector_on
    finally:
        (gc.enable if was else gc.disable)()
    assert decoded == [FULL, BARE, FULL, BARE]
    first, _, again, _ = decoded
    assert first is not again
    assert first.amenities is again.amenities and first.source is again.source
    assert first.verified is again.verified and first.verified == date(2024, 5, 1)
    assert decode_stations([]) == []


def test_a_store_of_an_older_release_gains_the_new_columns(store: Store) -> None:
    """Stores made before phone, hours_text and geocoded existed are migrated when opened."""
    from locator.registry.store import ADDED_COLUMNS

    store.write([FULL, BARE], meta())
    location = store.location
    drops = [f'ALTER TABLE {t} DROP COLUMN "{c}"' for t in ("station_history", "stations")
             for c in ADDED_COLUMNS]
    if location.startswith("postgresql"):
        from sqlalchemy import text

        with store._engine.begin() as conn:  # type: ignore[attr-defined]
            for statement in drops:
                conn.execute(text(statement))
    else:
        con = sqlite3.connect(location, isolation_level=None)
        for statement in drops:
            con.execute(statement)
        con.close()
    store.close()
    again = open_store(location)
    try:
        old = again.stations()
        assert [(s.id, s.phone, s.hours_text, s.geocoded) for s in old] == [
            (FULL.id, "", "", None), (BARE.id, "", "", None)]
        new = replace(FULL, phone="0931-8123456", hours_text="全天", geocoded="district")
        again.write([new], meta())
        assert again.stations() == [new] and again.check() == []
    finally:
        again.close()


def test_merge_replace_and_rollback_to_the_served_registry(store: Store) -> None:
    """A fresh store's first import stores the served registry first (version 1); merge adds
    and updates by id and drops demonstration stations; replace makes the file the registry;
    rollbacks walk back to the served registry."""
    from locator.registry import importer

    served = [replace(BARE, id="news-1", name="新闻站"),
              replace(BARE, id="demo-1", name="演示站", synthetic=True)]

    def prepared(*stations: Station) -> importer.Prepared:
        lines = ["id,name,kind,lon,lat"] + [f"{s.id},{s.name},{s.kind.value},{s.lon},{s.lat}"
                                              for s in stations]
        return importer.prepare(("\n".join(lines) + "\n").encode(), name="f.csv", boundary=None)

    a = replace(FULL, id="a", name="甲", lon=103.8, lat=36.05)
    b = replace(FULL, id="b", name="乙", lon=103.81, lat=36.06)
    first = importer.commit(store, prepared(a), user="u", served=lambda: served,
                            served_source="shipped")
    assert [v.id for v in store.history()] == [2, 1] and first.id == 2
    assert [s.id for s in store.stations(1)] == ["news-1", "demo-1"]
    assert [s.id for s in store.stations()] == ["news-1", "a"]  # demo never beside real ones
    second = importer.commit(store, prepared(replace(a, name="甲改"), b), user="u",
                             served=lambda: served)
    assert [(s.id, s.name) for s in store.stations(second.id)] == [
        ("news-1", "新闻站"), ("a", "甲改"), ("b", "乙")]
    third = importer.commit(store, prepared(b), user="u", mode="replace", served=lambda: served)
    assert [s.id for s in store.stations(third.id)] == ["b"]
    assert (store.report(third.id) or {})["removed"] == ["news-1", "a"]
    assert store.rollback(user="u").id == 3
    assert store.rollback(user="u").id == 2
    assert store.rollback(user="u").id == 1  # the registry served before the first import
    assert [s.id for s in store.stations()] == ["news-1", "demo-1"]


# --- workers' reports, beside the stations in the same database ---

def _report(station_id: str = "s1", reason: str = "amenity_missing",
            amenity: str | None = "water", text: str = "没有 热水\n了") -> NewReport:
    return new_report(station_id=station_id, station_version=1, station_etag="e" * 20,
                      reason=reason, amenity=amenity, text=text)


def test_reports_are_kept_counted_and_handled_once(store: Store) -> None:
    store.write([FULL, BARE], meta())
    first = store.reports.add(_report())
    second = store.reports.add(_report("s2", "closed", None, ""))
    store.reports.add(_report("s2", "hours_wrong", None, "周日不开"))
    assert (first.station_id, first.station_version, first.reason, first.amenity,
            first.text, first.status) == ("s1", 1, Reason.AMENITY_MISSING, Amenity.WATER,
                                          "没有 热水 了", Status.OPEN)  # one line, spaces folded
    assert store.reports.open_by_station() == {"s1": 1, "s2": 2}
    assert [r.id for r in store.reports.find()] == [3, 2, 1]  # newest first
    assert [r.id for r in store.reports.find(station_id="s2", limit=1, offset=1)] == [2]
    handled = store.reports.handle(second.id, Status.DISMISSED, user="editor")
    assert (handled.status, handled.handled_by) == (Status.DISMISSED, "editor")
    assert handled.handled_at is not None
    with pytest.raises(EditConflict, match="already dismissed by editor"):
        store.reports.handle(second.id, Status.ACCEPTED, user="other")
    with pytest.raises(NotFound):
        store.reports.handle(99, Status.ACCEPTED, user="editor")
    store.reports.handle(first.id, Status.ACCEPTED, user="editor")
    assert store.reports.counts() == {Status.OPEN: 1, Status.ACCEPTED: 1, Status.DISMISSED: 1}
    assert store.reports.open_by_station() == {"s2": 1}
    assert [r.id for r in store.reports.find(status=Status.OPEN)] == [3]
    assert store.check() == []  # the stations' own checks still hold


def test_every_report_step_is_in_the_audit_log(store: Store) -> None:
    store.write([FULL, BARE], meta())
    made = store.reports.add(_report())
    store.reports.handle(made.id, Status.ACCEPTED, user="editor")
    found = audit.entries(store)
    steps = [(e.action, e.user, e.station_id) for e in found if e.action.startswith("report")]
    assert steps == [("report_accepted", "editor", "s1"), ("report", "", "s1")]
    sent = next(e for e in found if e.action == "report")
    assert sent.after is not None and sent.after["text"] == "没有 热水 了"
    assert found[-1].action == "import"  # the import is older than both steps
    assert [e.at for e in found] == sorted((e.at for e in found), reverse=True)
    assert audit.from_csv(audit.to_csv(found)) == found


def test_an_existing_store_gets_the_reports_table_when_opened(store: Store,
                                                              tmp_path: Path) -> None:
    """A store made before reports existed: its stations stay, and reports work."""
    store.write([FULL], meta())
    location = store.location
    if is_database_url(location):
        engine: Any = store._engine  # type: ignore[attr-defined]
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE station_reports")
    else:
        con = sqlite3.connect(location)
        con.execute("DROP TABLE station_reports")
        con.execute("DELETE FROM gpkg_contents WHERE table_name = 'station_reports'")
        con.commit()
        con.close()
    store.close()
    reopened = open_store(location)
    try:
        assert [s.id for s in reopened.stations()] == ["s1"]
        assert reopened.reports.add(_report()).id == 1
        if not is_database_url(location):
            con = sqlite3.connect(location)
            kinds = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents"))
            con.close()
            assert kinds["station_reports"] == "attributes"  # still a valid GeoPackage
        assert reopened.check() == []
    finally:
        reopened.close()


@pytest.mark.parametrize(("fields", "param"), [
    ({"reason": "gone"}, "reason"), ({"reason": "amenity_missing"}, "amenity"),
    ({"reason": "amenity_missing", "amenity": "sauna"}, "amenity"),
    ({"text": "字" * 501}, "text"),
])
def test_bad_reports_are_refused_naming_the_field(fields: dict[str, str], param: str) -> None:
    with pytest.raises(QueryError) as caught:
        new_report(station_id="s1", station_version=None, station_etag="e",
                   reason=fields.get("reason", "other"), amenity=fields.get("amenity"),
                   text=fields.get("text", ""))
    assert caught.value.param == param
