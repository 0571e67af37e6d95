"""Bad registry files, each with its expected report; safe reading; datum accuracy."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from locator.errors import RegistryError
from locator.files.readers import open_vector_file
from locator.geo.datum import Datum, wgs84_to_bd09, wgs84_to_gcj02
from locator.geo.geodesic import geodesic_m
from locator.registry.importer import Prepared, boundary_from_setting, prepare

AREA = boundary_from_setting(None)
HEAD = "id,name,kind,lon,lat"
GOOD = "a1,甲站,box_station,103.84,36.05"


def csv(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


def geojson(*features: object, **extra: object) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features), **extra},
                      ensure_ascii=False).encode()


def feature(geometry: object, fid: str = "g1", kind: str = "box_station") -> dict[str, object]:
    return {"type": "Feature", "geometry": geometry,
            "properties": {"id": fid, "name": "几何站", "kind": kind}}


POINT = {"type": "Point", "coordinates": [103.84, 36.05]}


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", " " * (30 * 1024 * 1024))
    return out.getvalue()


def nested(depth: int) -> bytes:
    return b'{"type":"FeatureCollection","features":' + b"[" * depth + b"]" * depth + b"}"


@dataclass
class Case:
    """A file and what its import must report."""

    name: str
    data: bytes
    file_error: str | None = None
    accepted: int | None = None
    problems: list[tuple[int, str | None, str]] = field(default_factory=list)
    warnings: list[tuple[int, str | None, str]] = field(default_factory=list)


VRT = (b'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd</SrcDataSource>'
       b"</OGRVRTLayer></OGRVRTDataSource>")
BOWTIE = {"type": "Polygon", "coordinates": [[[103.8, 36.0], [103.9, 36.1], [103.9, 36.0],
                                              [103.8, 36.1], [103.8, 36.0]]]}
UNCLOSED = {"type": "Polygon", "coordinates": [[[103.8, 36.0], [103.9, 36.0], [103.9, 36.1]]]}

CASES = [
    Case("gb18030.csv", csv("编号,名称,类型,经度,纬度,地址", "a1,甲站,箱体驿站,103.84,36.05,城关区",
                            "a2,乙站,零工市场,103.85,36.06,七里河区", encoding="gb18030"),
         accepted=2),
    Case("bom.csv", b"\xef\xbb\xbf" + csv(HEAD, GOOD), accepted=1),
    Case("swapped.csv", csv(HEAD, GOOD, "a2,乙站,box_station,36.06,103.85"), accepted=1,
         problems=[(3, "lon/lat", "look swapped")]),
    Case("fullwidth.csv", csv(HEAD, GOOD, "a2,乙站,box_station,１０３.８５,36.06"), accepted=1,
         problems=[(3, "lon", "full-width characters in a number")]),
    Case("vrt.geojson", VRT, file_error="GDAL VRT content refused"),
    Case("bomb.xlsx", zip_bomb(), file_error="possible zip bomb"),
    Case("nan.geojson", b'{"type":"FeatureCollection","features":[{"type":"Feature",'
         b'"geometry":{"type":"Point","coordinates":[NaN,36.05]},"properties":{"id":"n",'
         b'"name":"x","kind":"box_station"}}]}', accepted=0,
         problems=[(1, "geometry", "non-finite coordinate")]),
    Case("infinity.geojson", b'{"type":"FeatureCollection","features":[{"type":"Feature",'
         b'"geometry":{"type":"Point","coordinates":[103.8,-Infinity]},"properties":{"id":"n",'
         b'"name":"x","kind":"box_station"}}]}', accepted=0,
         problems=[(1, "geometry", "non-finite coordinate")]),
    Case("nan.csv", csv(HEAD, GOOD, "a2,乙站,box_station,NaN,36.06", "a3,丙站,box_station,"
                        "103.8,inf"), accepted=1,
         problems=[(3, "lon", "must be a finite number"), (4, "lat", "must be a finite number")]),
    Case("dupes.csv", csv(HEAD, GOOD, "a1,乙站,box_station,103.85,36.06"), accepted=1,
         problems=[(3, "id", "duplicate id: row 2 has it too")]),
    Case("bowtie.geojson", geojson(feature(BOWTIE)), accepted=0,
         problems=[(1, "geometry", "invalid geometry: Self-intersection")]),
    Case("unclosed.geojson", geojson(feature(UNCLOSED)), accepted=0,
         problems=[(1, "geometry", "unclosed ring")]),
    Case("mixed.geojson", geojson(feature(POINT, "p"), feature(
        {"type": "GeometryCollection", "geometries": [POINT]}, "gc"), feature(
        {"type": "LineString", "coordinates": [[103.8, 36.0], [103.9, 36.1]]}, "ls")),
         accepted=1, problems=[(2, "geometry", "mixed geometry"),
                               (3, "geometry", "must be Point, got LineString")]),
    Case("crs3857.geojson", geojson(feature(POINT), crs={
        "type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}),
         file_error="legacy 'crs' member 'urn:ogc:def:crs:EPSG::3857'"),
    Case("empty.csv", b"", file_error="file is empty"),
    Case("blank.geojson", b"  \r\n ", file_error="file is empty"),
    Case("garbage.csv", bytes(range(256)) * 8, file_error="binary content"),
    Case("deep.geojson", nested(5000), file_error="nested deeper than 32 levels"),
    Case("outside.csv", csv(HEAD, GOOD, "a2,北京站,box_station,116.40,39.90"), accepted=1,
         problems=[(3, "lon/lat", "outside the service area")]),
    Case("kind.csv", csv(HEAD, "a1,甲站,box,103.84,36.05"), accepted=0,
         problems=[(2, "kind", "unknown kind; did you mean 'box_station' (箱体驿站)?")]),
    Case("hours.csv", csv(HEAD + ",开放时间", GOOD + ",Mo-Fr 25:00-26:00"), accepted=1,
         warnings=[(2, "开放时间", "opening hours not understood")]),
    Case("missing.csv", csv(HEAD, "a1,甲站,box_station,103.84,"), accepted=0,
         problems=[(2, "lat", "this one is missing")]),
    Case("range.csv", csv(HEAD, "a1,甲站,box_station,103.84,95"), accepted=0,
         problems=[(2, "lat", "out of range: must lie within ±90")]),
    Case("cells.csv", csv(HEAD, GOOD + ",extra"), accepted=0,
         problems=[(2, "row", "the row has 6 cells but the header has 5")]),
    Case("json.csv", geojson(feature(POINT)), file_error="content is geojson but the name says "
                                                        "'.csv'"),
    Case("page.geojson", b"<html><body>hi</body></html>", file_error="XML/HTML content"),
    Case("undecodable.csv", b"id,name\n\x81\xff\xfe,x\n", file_error="neither UTF-8 nor GB18030"),
    Case("header.csv", csv("id,name,name,lon,lat", "a1,x,y,103.8,36.0"),
         file_error="repeated column names in the header: ['name']"),
    Case("twice.csv", csv("id,name,kind,lng,经度,lat", "a1,x,box_station,103.8,103.8,36.0"),
         file_error="columns 'lng' and '经度' both map to 'lon'"),
    Case("props.geojson", geojson({"type": "Feature", "geometry": POINT, "properties": [1]}),
         accepted=0, problems=[(1, "properties", "must be a GeoJSON Feature")]),
    Case("chinese.xlsx", xlsx([["编号", "名称", "类型", "经度", "纬度"],
                               ["x1", "甲站", "司机之家", 103.84, 36.05]]), accepted=1),
    Case("badzip.xlsx", b"PK\x03\x04 not really a zip", file_error="not a valid XLSX"),
    Case("notgpkg.gpkg", b"SQLite format 3\x00" + b"\x00" * 200, file_error="not a GeoPackage"),
    # text that would be stored but must not be: the same rules and limits as the edit form
    Case("controls.csv", csv(HEAD + ",note", "c1,甲\x1b[2J站,box_station,103.84,36.05,",
                             "c2,乙站,box_station,103.84,36.05,备注\x07",
                             'c3,丙站,box_station,103.84,36.05,"两行\n备注' + "很长" * 100 + '"'),
         accepted=1, problems=[(2, "name", "control character U+001B at character 2"),
                               (3, "note", "control character U+0007 at character 3")]),
    Case("controls.geojson", geojson(
        {"type": "Feature", "geometry": POINT,
         "properties": {"id": "nul", "name": "名\x00字", "kind": "box_station"}},
        {"type": "Feature", "geometry": POINT,
         "properties": {"id": "evil\u202egnp.exe", "name": "x", "kind": "box_station"}},
        {"type": "Feature", "geometry": POINT,
         "properties": {"id": "tab\tid", "name": "x", "kind": "box_station"}}),
         accepted=0, problems=[(1, "name", "control character U+0000"),
                               (2, "id", "direction control U+202E (RIGHT-TO-LEFT OVERRIDE)"),
                               (3, "id", "control character U+0009")]),
    Case("long.csv", csv(HEAD, GOOD, "a2," + "长" * 20_000 + ",box_station,103.85,36.06",
                         "a3," + "长" * 2000 + ",box_station,103.85,36.06"), accepted=2,
         problems=[(3, "name", "is 20,000 characters long; the limit is 2,000")]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_file_table(case: Case) -> None:
    if case.file_error is not None:
        with pytest.raises(RegistryError) as caught:
            prepare(case.data, name=case.name, boundary=AREA)
        assert case.file_error in caught.value.message
        assert caught.value.message.startswith(case.name)
        return
    prepared = prepare(case.data, name=case.name, boundary=AREA)
    for severity, expected_all in (("error", case.problems), ("warning", case.warnings)):
        found = [(p.row, p.column, p.reason) for p in prepared.report.problems
                 if p.severity == severity]
        assert len(found) == len(expected_all), found
        for (row, column, reason), expected in zip(found, expected_all, strict=True):
            assert (row, column) == expected[:2] and expected[2] in reason, (row, column, reason)
    assert prepared.report.accepted == case.accepted
    assert prepared.report.rows == case.accepted + len(case.problems)


def test_table_has_at_least_25_bad_files() -> None:
    assert sum(1 for c in CASES if c.file_error or c.problems) >= 25


def test_gb18030_text_is_decoded_not_garbled() -> None:
    prepared = prepare(CASES[0].data, name="gb.csv", boundary=AREA)
    assert prepared.encoding == "gb18030"
    assert [(s.name, s.kind.value, s.address) for s in prepared.stations] == [
        ("甲站", "box_station", "城关区"), ("乙站", "gig_market", "七里河区")]


def test_ignored_columns_are_reported_and_mapping_uses_them() -> None:
    data = csv("id,站名,类型,X坐标,Y坐标,负责人", "a1,甲站,box_station,103.84,36.05,王")
    with pytest.raises(RegistryError, match="'X坐标'"):
        prepare(data, name="m.csv", mapping={"X坐标": "lon", "Q": "lat"}, boundary=AREA)
    prepared = prepare(data, name="m.csv", mapping={"X坐标": "lon", "Y坐标": "lat"},
                       boundary=AREA)
    assert prepared.report.accepted == 1 and prepared.stations[0].lon == 103.84
    notices = [(p.row, p.column) for p in prepared.report.problems]
    assert notices == [(1, "负责人")] and prepared.rejected == 0  # the header is row 1


def test_blank_coordinates_are_placed_by_address_or_rejected() -> None:
    prepared = prepare(csv(HEAD + ",地址", "a1,甲站,box_station,,,",
                           "a2,乙站,box_station,,,城关区"), name="u.csv", boundary=AREA)
    assert [(p.row, p.code) for p in prepared.report.problems] == [
        (2, "no_location"), (3, "placed_by_address")]
    (placed,) = prepared.stations
    assert placed.located and placed.geocoded == "district" and placed.district_code == "620102"
    assert placed.precision_m is not None and placed.precision_m > 5000


def test_a_null_geometry_feature_stays_a_station_of_unknown_location() -> None:
    prepared = prepare(geojson(feature(None)), name="u.geojson", boundary=AREA)
    assert prepared.stations[0].located is False and prepared.report.problems == ()


@pytest.mark.parametrize(("path", "reason"), [
    ("/vsicurl/http://127.0.0.1/x.geojson", "GDAL virtual paths are refused"),
    ("/vsizip//tmp/x.zip/a.geojson", "GDAL virtual paths are refused"),
    ("https://example.org/r.geojson", "only local file paths"),
    ("file:///etc/passwd", "only local file paths"),
    ("GPKG:/tmp/x.gpkg:stations", "only local file paths"),
    ("/dev/zero", "not a regular file"),
    ("/nonexistent/r.csv", "cannot open"),
])
def test_unsafe_paths_are_refused(path: str, reason: str) -> None:
    with pytest.raises(RegistryError, match=reason):
        open_vector_file(path)


def test_size_limit_is_checked_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(csv(HEAD, *[GOOD] * 100))
    with pytest.raises(RegistryError, match="the limit is 1,000"):
        open_vector_file(path, max_bytes=1000)
    with pytest.raises(RegistryError, match="over the limit of 1,000"):
        prepare(path.read_bytes(), name="big.csv", max_bytes=1000)


def test_allowed_formats_restrict_what_opens() -> None:
    with pytest.raises(RegistryError, match="csv files are not accepted here"):
        open_vector_file(csv(HEAD, GOOD), name="a.csv", allowed=("geojson",))


TRUTH = [(103.8343, 36.0611), (103.6200, 36.1000), (104.1500, 35.8500), (103.7000, 36.3500)]


@pytest.mark.parametrize(("datum", "forward"), [(Datum.GCJ02, wgs84_to_gcj02),
                                                (Datum.BD09, wgs84_to_bd09)])
def test_shifted_imports_land_within_a_metre(datum: Datum, forward: Callable[..., tuple[
        float, float]]) -> None:
    lines = [HEAD]
    for i, (lon, lat) in enumerate(TRUTH):
        x, y = forward(lon, lat)
        lines.append(f"p{i},点{i},box_station,{x!r},{y!r}")
    prepared: Prepared = prepare(csv(*lines), name="shifted.csv", datum=datum, boundary=AREA)
    assert prepared.rejected == 0
    for station, (lon, lat) in zip(prepared.stations, TRUTH, strict=True):
        assert station.datum is datum
        assert float(geodesic_m(station.lon or 0.0, station.lat or 0.0, lon, lat)) < 1.0
    # the shift itself is hundreds of metres: importing as WGS-84 would be wrong
    x, y = forward(*TRUTH[0])
    assert float(geodesic_m(x, y, *TRUTH[0])) > 100.0


def test_area_polygons_open_and_validate_with_the_same_helpers() -> None:
    from locator.files.geometry import check_geometry

    square = {"type": "Polygon", "coordinates": [[[103.8, 36.0], [103.9, 36.0], [103.9, 36.1],
                                                  [103.8, 36.1], [103.8, 36.0]]]}
    table = open_vector_file(geojson(feature(square), feature(BOWTIE, "b")), name="areas.geojson",
                             allowed=("geojson", "gpkg"))
    shapes: list[Any] = []
    for row in table.rows:
        try:
            shapes.append(check_geometry(row.geometry, allowed=("Polygon", "MultiPolygon")))
        except ValueError as exc:
            shapes.append(exc)
    assert shapes[0].area == pytest.approx(0.01)
    assert "Self-intersection" in str(shapes[1])
