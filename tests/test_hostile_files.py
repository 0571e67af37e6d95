"""Files made to stall or exhaust the reader: hostile GeoPackages, JSON built against the depth
check, a Shapefile naming a codec that is no text encoding.

Each hostile read runs in a child process under a hard address-space limit and a wall-clock
timeout that only catches hangs (the old reader spun forever on the view and grew to
gigabytes on the generated column); the figures of how fast refusals come are in
``bench/untrusted_files.py``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from locator.areas.files import read_area_table
from locator.errors import RegistryError
from locator.files import containers
from locator.files.readers import json_depth_exceeds, open_vector_file, parse_json
from locator.model import Kind, Station
from locator.registry.store.gpkg_layer import write_geopackage
from tests.test_areas import cell, shapefile_zip

ROOT = Path(__file__).resolve().parents[1]
HANG_S = 60  # only a hang takes this long: refusals come in milliseconds
MEMORY_CAP = 3 << 30  # address space of the reading child (the old reader wanted ~12 GB)
STATIONS = [Station(id=f"s{i}", name=f"站{i}", kind=Kind.BOX_STATION, lon=103.8 + i * 1e-3,
                    lat=36.05) for i in range(50)]


def geopackage(path: Path, *statements: str) -> Path:
    """A real one-layer GeoPackage of :data:`STATIONS`, then ``statements`` run on it."""
    write_geopackage(path, STATIONS)
    con = sqlite3.connect(path)
    try:
        for statement in statements:
            con.execute(statement)
        con.commit()
    finally:
        con.close()
    return path


HOSTILE = {
    # 16 KB that hung the importer: the reader's first query never ends
    "view named gpkg_contents with an endless recursive CTE": (
        "ALTER TABLE gpkg_contents RENAME TO real_contents",
        "CREATE VIEW gpkg_contents AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 "
        "FROM r) SELECT c.* FROM real_contents c, r"),
    # 400 MB per row, computed whenever a row is read
    "generated column of printf('%.*c', 4e8)": (
        "ALTER TABLE stations ADD COLUMN big TEXT GENERATED ALWAYS AS "
        "(printf('%.*c', 400000000, 'x')) VIRTUAL",),
    "data layer is a view": (
        "ALTER TABLE stations RENAME TO stored",
        "CREATE VIEW stations AS SELECT * FROM stored"),
    "gpkg_geometry_columns is a view": (
        "ALTER TABLE gpkg_geometry_columns RENAME TO real_columns",
        "CREATE VIEW gpkg_geometry_columns AS SELECT * FROM real_columns"),
}

CHILD = textwrap.dedent("""
    import json, resource, sys, time
    limit = int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from locator.errors import RegistryError
    from locator.files.readers import open_vector_file
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        open_vector_file(sys.argv[1])
        outcome = "read"
    except RegistryError as exc:
        outcome = exc.message
    except BaseException as exc:
        outcome = f"{type(exc).__name__}: {exc}"
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(json.dumps({"outcome": outcome, "seconds": time.perf_counter() - started,
                      "grown_mb": grown / 1024}))
""")


def read_in_child(path: Path) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(MEMORY_CAP)],
                          capture_output=True, text=True, cwd=ROOT, timeout=HANG_S,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    found: dict[str, object] = json.loads(done.stdout)
    return found


@pytest.mark.parametrize("statements", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_geopackages_are_refused_promptly_within_a_memory_cap(
        tmp_path: Path, statements: tuple[str, ...]) -> None:
    path = geopackage(tmp_path / "hostile.gpkg", *statements)
    assert path.stat().st_size < 64 * 1024
    found = read_in_child(path)
    print(found)
    outcome = str(found["outcome"])
    assert "refused" in outcome and ("not a table" in outcome or "generated" in outcome), outcome
    assert float(str(found["grown_mb"])) < 100


def test_the_same_geopackage_without_the_trap_reads(tmp_path: Path) -> None:
    table = open_vector_file(geopackage(tmp_path / "plain.gpkg"))
    assert [r.fields["id"] for r in table.rows] == [s.id for s in STATIONS]


def test_geopackages_written_by_gdal_keep_their_rtree_triggers_and_still_read(
        tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    path = tmp_path / "gdal.gpkg"
    frame = gpd.GeoDataFrame({"id": ["g1", "g2"], "name": ["甲", "乙"],
                              "kind": ["box_station", "partner"]},
                             geometry=[Point(103.84, 36.05), Point(103.85, 36.06)],
                             crs="EPSG:4326")
    frame.to_file(path, driver="GPKG", layer="stations", engine="pyogrio")
    con = sqlite3.connect(path)
    triggers = con.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
                           ).fetchone()[0]
    con.close()
    assert triggers > 0  # GDAL's spatial index triggers: allowed, they only run on writes
    assert [r.fields["id"] for r in open_vector_file(path).rows] == ["g1", "g2"]


def test_a_read_that_outlasts_its_deadline_is_refused(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # the backstop behind the structure checks: with them switched off, the endless view
    # reaches SQLite and the progress handler stops it
    path = geopackage(tmp_path / "view.gpkg", *HOSTILE[
        "view named gpkg_contents with an endless recursive CTE"])
    monkeypatch.setattr(containers, "_require_tables", lambda con, *names: None)
    with pytest.raises(RegistryError, match=r"took over 0\.5 s: refused"):
        containers.read_gpkg(path.read_bytes(), "view.gpkg", None, seconds=0.5)


def test_a_corrupt_page_met_mid_read_is_a_clear_refusal(tmp_path: Path) -> None:
    data = bytearray(geopackage(tmp_path / "plain.gpkg").read_bytes())
    con = sqlite3.connect(tmp_path / "plain.gpkg")
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'stations'").fetchone()[0]
    page = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    start = (root - 1) * page
    data[start:start + page] = b"\xff" * page  # the data layer's b-tree page: garbage
    with pytest.raises(RegistryError, match="not a readable GeoPackage: database disk image"):
        open_vector_file(bytes(data), name="corrupt.gpkg")


# --- JSON: the depth check is linear, whatever the text --------------------------------

TEN_MB = 10 * 1024 * 1024
ADVERSARIAL_JSON = {
    # 8 s at 40 KB and over 60 s at 10 MB for the old backtracking tokenizer
    "escaped quotes, never closed": b'"' + b'\\"' * (TEN_MB // 2),
    "escaped quotes in a string": b'["' + b'\\"' * (TEN_MB // 2) + b'"]',
    "bare quotes": b'"' * TEN_MB,
    "backslashes": b'["' + b"\\" * TEN_MB + b'"]',
    "brackets inside a string": b'["' + b"[" * TEN_MB + b'"]',
    "deep nesting": b"[" * (TEN_MB // 2) + b"]" * (TEN_MB // 2),
}


@pytest.mark.timeout(HANG_S)
@pytest.mark.parametrize("data", list(ADVERSARIAL_JSON.values()), ids=list(ADVERSARIAL_JSON))
def test_ten_megabytes_of_adversarial_json_is_answered_not_hung(data: bytes) -> None:
    try:
        parse_json(data)
    except RegistryError as exc:
        assert "JSON" in exc.message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='"\\[]{}ab\u4e2d '),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(alphabet='"\\[]{}k', max_size=4), inner, max_size=3),
    max_leaves=30)


def depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(value=json_values, ascii_only=st.booleans(), limit=st.integers(0, 8))
def test_the_depth_check_agrees_with_the_parsed_depth(value: object, ascii_only: bool,
                                                      limit: int) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert json_depth_exceeds(text, limit) == (depth(value) > limit)


def test_the_depth_check_carries_its_state_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    from locator.files import readers

    text = json.dumps([{"a\\\"[": ["]]]", [[[]]]]}, "\\\\"]).encode()  # depth 6
    for chunk in (1, 2, 3, 7):
        monkeypatch.setattr(readers, "_JSON_CHUNK", chunk)
        assert (json_depth_exceeds(text, 5), json_depth_exceeds(text, 6)) == (True, False)


# --- Shapefile .cpg: an allow-list of text encodings ------------------------------------


@pytest.mark.parametrize("label", ["base64_codec", "zlib", "no-such-codec", "rot13"])
def test_a_cpg_naming_no_allowed_encoding_is_a_clear_refusal(label: str) -> None:
    data = shapefile_zip([({"name": "东岗西路街道"}, cell(0))], cpg=False,
                         extra={"areas.cpg": label.encode()})
    with pytest.raises(RegistryError, match=f"'{label}', which is not accepted"):
        read_area_table(data, name="areas.zip")


@pytest.mark.parametrize(("label", "codec"), [("UTF-8", "utf-8"), ("utf8", "utf-8"),
                                              ("ANSI 936", "gb18030"), ("GBK", "gb18030"),
                                              ("CP936", "gb18030"), ("GB2312", "gb18030")])
def test_the_cpg_labels_gis_software_writes_are_read(label: str, codec: str) -> None:
    data = shapefile_zip([({"name": "东岗西路街道"}, cell(0))], cpg=False,
                         encoding="gbk" if codec == "gb18030" else "utf-8",
                         extra={"areas.cpg": label.encode()})
    table = read_area_table(data, name="areas.zip")
    assert table.encoding == codec and table.rows[0].fields["name"] == "东岗西路街道"
