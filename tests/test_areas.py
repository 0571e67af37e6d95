"""Area import: formats, a table of bad files and their reports, datums, matching, storage."""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapefile
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon, box, mapping

from locator.areas import store
from locator.areas.imports import match_unit, normalise_name, prepare_areas
from locator.areas.units import AdminUnit, Boundaries, admin_names, code_counts
from locator.errors import RegistryError
from locator.files.problems import RowError
from locator.geo.datum import Datum, convert
from locator.geo.geodesic import geodesic_m
from locator.model import Kind, Station
from locator.planning.plan import coverage_summary
from locator.stations.nearest import NearestIndex

X0, Y0 = 103.86, 36.06  # inside 城关区 (620102)
D = 0.004  # ~400 m: boxes small enough to stay inside the district


def cell(i: int, j: int = 0) -> Polygon:
    """The i-th box east (j-th north) of (X0, Y0)."""
    return box(X0 + i * D, Y0 + j * D, X0 + (i + 1) * D, Y0 + (j + 1) * D)


def feature(props: dict[str, Any], geom: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props,
            "geometry": mapping(geom) if isinstance(geom, Polygon) else geom}


def write_geojson(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


def shapefile_zip(rows: list[tuple[dict[str, Any], Polygon]], *, prj: str | None = None,
                  encoding: str = "utf-8", cpg: bool = True, stem: str = "areas",
                  extra: dict[str, bytes] | None = None) -> bytes:
    """A zipped Shapefile written by pyshp in memory."""
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON,
                          encoding=encoding) as w:
        for name in rows[0][0]:
            w.field(name, "C", size=60)
        for props, poly in rows:
            w.poly([list(poly.exterior.coords)[::-1]])  # clockwise outer ring
            w.record(**props)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{stem}.shp", shp.getvalue())
        z.writestr(f"{stem}.shx", shx.getvalue())
        z.writestr(f"{stem}.dbf", dbf.getvalue())
        if prj is not None:
            z.writestr(f"{stem}.prj", prj)
        if cpg:
            z.writestr(f"{stem}.cpg", encoding)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return out.getvalue()


# --- formats and matching ---------------------------------------------------------------


def test_geojson_matches_by_code_name_and_normalised_name(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "街道.geojson", [
        feature({"code": "620102015"}, cell(0)),                  # by code
        feature({"名称": "五泉街道"}, cell(1)),                    # exact name
        feature({"name": "临夏路街道办事处"}, cell(2)),            # normalised name
        feature({"code": "620102017000", "name": "x"}, cell(3)),  # 12-digit statistical code
    ])
    result = prepare_areas(path, level="subdistrict")
    assert result.problems == ()
    assert [(u.code, u.name, u.district_code) for u in result.units] == [
        ("620102015", "东岗街道", "620102"), ("620102006", "五泉街道", "620102"),
        ("620102004", "临夏路街道", "620102"), ("620102017", "东岗西路街道", "620102")]
    assert [(n.row, "normalised" in n.reason) for n in result.notes] == [(3, True)]
    assert result.rows == 4 and len(result.sha256) == 64


@pytest.mark.parametrize(("name", "level", "folded"), [
    ("东岗街道", "subdistrict", "东岗"), ("东岗街道办事处", "subdistrict", "东岗"),
    ("彭家坪镇", "subdistrict", "彭家坪"), (" 振兴 社区 ", "community", "振兴"),
    ("振兴社区居民委员会", "community", "振兴"), ("（东岗）街道", "subdistrict", "东岗"),
    ("ＡＢ街道", "subdistrict", "AB"), ("街道", "subdistrict", "街道"),
])
def test_normalise_name(name: str, level: str, folded: str) -> None:
    assert normalise_name(name, level) == folded


def test_match_unit_community_by_code_and_ambiguous_names() -> None:
    unit, how = match_unit("community", code="620102015/振兴社区")
    assert (unit.name, unit.parent_code, how) == ("振兴社区", "620102015", "code")
    unit, how = match_unit("community", name="振兴", district="620102")
    assert (unit.name, how) == ("振兴社区", "normalised")
    twice = [u for u in admin_names() if u.level == "community" and u.name == "水挂庄社区"]
    assert len(twice) == 2
    with pytest.raises(RowError, match="ambiguous"):
        match_unit("community", name="水挂庄社区", district="620105")
    unit, _ = match_unit("community", name="水挂庄社区", district="620105",
                         parent=twice[1].parent_name)
    assert unit == twice[1]


def test_unmatched_name_suggests_the_closest_known_one() -> None:
    with pytest.raises(RowError, match="closest known: '东岗街道'") as err:
        match_unit("subdistrict", name="东港街道", district="620102")
    assert err.value.column == "name"


def test_self_intersection_is_repaired_and_reported(tmp_path: Path) -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[X0, Y0], [X0 + D, Y0 + D], [X0 + D, Y0],
                                                  [X0, Y0 + D], [X0, Y0]]]}
    result = prepare_areas(write_geojson(tmp_path / "a.geojson",
                                         [feature({"name": "东岗街道"}, bowtie)]),
                           level="subdistrict")
    assert result.problems == () and len(result.units) == 1
    geom = result.units[0].geometry
    assert geom.is_valid and geom.geom_type == "MultiPolygon"
    assert "Self-intersection" in result.notes[0].reason
    assert "make_valid" in result.notes[0].reason


BAD: list[tuple[str, Any, dict[str, Any], str, str]] = [
    ("missing geometry", None, {"name": "东岗街道"}, "geometry", "missing geometry"),
    ("point", {"type": "Point", "coordinates": [X0, Y0]}, {"name": "东岗街道"}, "geometry",
     "must be Polygon or MultiPolygon"),
    ("line", {"type": "LineString", "coordinates": [[X0, Y0], [X0 + D, Y0]]},
     {"name": "东岗街道"}, "geometry", "must be Polygon or MultiPolygon"),
    ("empty", {"type": "Polygon", "coordinates": []}, {"name": "东岗街道"}, "geometry",
     "empty geometry"),
    ("unclosed", {"type": "Polygon", "coordinates": [[[X0, Y0], [X0 + D, Y0],
                                                      [X0 + D, Y0 + D]]]},
     {"name": "东岗街道"}, "geometry", "unclosed ring"),
    ("collection", {"type": "GeometryCollection", "geometries": []}, {"name": "东岗街道"},
     "geometry", "mixed geometry"),
    ("garbage geometry", {"type": "Polygon", "coordinates": "x"}, {"name": "东岗街道"},
     "geometry", "malformed Polygon"),
    ("outside the city", box(100.0, 30.0, 100.01, 30.01), {"name": "东岗街道"}, "geometry",
     "outside the city boundary"),
    ("unknown name", cell(0), {"name": "东港街"}, "name", "closest known: '东岗街道'"),
    ("unknown code", cell(0), {"code": "620102999"}, "code", "no subdistrict with code"),
    ("no name or code", cell(0), {"other": "x"}, "name", "neither a subdistrict name"),
    ("name in another district", cell(0), {"name": "彭家坪镇"}, "name",
     "in district 620102"),
]


@pytest.mark.parametrize(("label", "geometry", "props", "column", "reason"), BAD,
                         ids=[b[0] for b in BAD])
def test_bad_rows_are_reported_with_row_column_value_and_reason(
        tmp_path: Path, label: str, geometry: Any, props: dict[str, Any], column: str,
        reason: str) -> None:
    path = write_geojson(tmp_path / "a.geojson", [
        feature({"name": "五泉街道"}, cell(5)), feature(props, geometry)])
    result = prepare_areas(path, level="subdistrict")
    assert [u.name for u in result.units] == ["五泉街道"]  # the good row still counts
    assert len(result.problems) == 1, result.problems
    p = result.problems[0]
    assert (p.source, p.row, p.column) == ("a.geojson", 2, column)
    assert reason in p.reason
    if column in props:  # the bad value is named
        assert p.value == repr(props[column])
    elif column == "geometry" and geometry is not None:  # the geometry by its type
        assert p.value == repr(getattr(geometry, "geom_type", None) or geometry["type"])


def test_non_finite_coordinates_and_duplicates(tmp_path: Path) -> None:
    nan = {"type": "Polygon", "coordinates": [[[X0, Y0], [float("nan"), Y0], [X0, Y0 + D],
                                               [X0, Y0]]]}
    path = write_geojson(tmp_path / "a.geojson", [
        feature({"name": "五泉街道"}, cell(0)), feature({"name": "五泉"}, cell(1)),
        feature({"name": "东岗街道"}, nan)])
    result = prepare_areas(path, level="subdistrict")
    reasons = {p.row: p.reason for p in result.problems}
    assert "already row 1" in reasons[2] and "non-finite" in reasons[3]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (b"<OGRVRTDataSource/>", "VRT"),
    (b'{"type": "FeatureCollection", "features": [], "crs": {"type": "name", '
     b'"properties": {"name": "EPSG:3857"}}}', "not WGS-84"),
    (b"PK\x03\x04garbage", "not a valid zip"),
    (b"name,lon,lat\nx,1,2\n", "csv files are not accepted"),
])
def test_unreadable_files_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "areas.dat"
    path.write_bytes(content)
    with pytest.raises(RegistryError, match=message):
        prepare_areas(path, level="subdistrict")


@pytest.mark.parametrize("source", ["/vsizip//tmp/x.zip/a.shp", "https://example.com/a.zip",
                                    "GPKG:/tmp/a.gpkg:layer"])
def test_gdal_paths_and_urls_are_refused(source: str) -> None:
    with pytest.raises(RegistryError, match=r"refused|only local"):
        prepare_areas(source, level="subdistrict")


def test_bad_level_and_field_names(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "a.geojson", [feature({"name": "五泉街道"}, cell(0))])
    with pytest.raises(RegistryError, match="level must be"):
        prepare_areas(path, level="district")
    with pytest.raises(RegistryError, match="'街名' is not a column"):
        prepare_areas(path, level="subdistrict", name_field="街名")
    result = prepare_areas(path, level="subdistrict", name_field="name")
    assert len(result.units) == 1


# --- datums and projections -------------------------------------------------------------


def _vertices(geom: Any) -> Any:
    return shapely.get_coordinates(geom)


@pytest.mark.parametrize("datum", [Datum.GCJ02, Datum.BD09])
def test_shifted_datums_land_within_a_metre(tmp_path: Path, datum: Datum) -> None:
    truth = cell(2)
    xy = _vertices(truth)
    sx, sy = convert(xy[:, 0], xy[:, 1], src=Datum.WGS84, dst=datum)
    shifted = Polygon(np.column_stack([sx, sy]))
    assert geodesic_m(sx, sy, xy[:, 0], xy[:, 1]).min() > 100  # the shift is real
    path = write_geojson(tmp_path / "a.geojson", [feature({"name": "五泉街道"}, shifted)])
    result = prepare_areas(path, level="subdistrict", datum=datum.value)
    got = _vertices(result.units[0].geometry)
    assert geodesic_m(got[:, 0], got[:, 1], xy[:, 0], xy[:, 1]).max() < 1.0


UTM48 = ('PROJCS["WGS_1984_UTM_Zone_48N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",'
         'SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],'
         'UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
         'PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
         'PARAMETER["Central_Meridian",105.0],PARAMETER["Scale_Factor",0.9996],'
         'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]')


def test_shapefile_zip_in_utm_with_gbk_attributes(tmp_path: Path) -> None:
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32648", always_xy=True)
    truth = cell(1)
    utm = shapely.transform(truth, lambda xy: np.column_stack(to_utm.transform(xy[:, 0],
                                                                               xy[:, 1])))
    path = tmp_path / "街道.zip"
    with_prj = shapefile_zip([({"XZQMC": "五泉街道", "XZQDM": "620102006"}, utm)],
                             prj=UTM48, encoding="gbk", cpg=False)
    path.write_bytes(with_prj)
    result = prepare_areas(path, level="subdistrict")
    assert result.problems == () and [u.code for u in result.units] == ["620102006"]
    got, want = _vertices(result.units[0].geometry), _vertices(truth)
    for x, y in want:  # ring order may differ: every true vertex has a twin within 1 m
        assert geodesic_m(got[:, 0], got[:, 1], x, y).min() < 1.0


def test_shapefile_zip_without_prj_is_lon_lat_and_reads_utf8(tmp_path: Path) -> None:
    data = shapefile_zip([({"名称": "五泉街道"}, cell(0)), ({"名称": "东岗街道"}, cell(1))],
                         stem="folder/街道")
    result = prepare_areas(data, level="subdistrict", name="areas.zip")
    assert [u.name for u in result.units] == ["五泉街道", "东岗街道"]
    assert result.units[0].geometry.equals(cell(0))


def _zip(members: dict[str, bytes], symlink: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(info, "/etc/passwd")
    return out.getvalue()


@pytest.mark.parametrize(("make", "message"), [
    (lambda: _zip({"../evil.shp": b"x", "../evil.dbf": b"x"}), "outside the archive"),
    (lambda: _zip({"/abs/a.shp": b"x"}), "outside the archive"),
    (lambda: _zip({"C:/a.shp": b"x"}), "outside the archive"),
    (lambda: _zip({"a.dbf": b"x"}, symlink="a.shp"), "symbolic link"),
    (lambda: _zip({"readme.txt": b"hi"}), "expected one .shp"),
    (lambda: _zip({"a.shp": b"x"}), "no .dbf"),
    (lambda: _zip({"a.shp": b"x", "a.dbf": b"x", "b.shp": b"x", "b.dbf": b"x"}),
     r"found \['a', 'b'\]"),
    (lambda: _zip({"a.shp": b"\0" * (3 * 1024 * 1024), "a.dbf": b"x"}), "zip bomb"),
    (lambda: _zip({"a.shp": b"not a shapefile", "a.dbf": b"x"}), "not a readable Shapefile"),
])
def test_unsafe_or_broken_zips_are_refused(make: Callable[[], bytes], message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        prepare_areas(make(), level="subdistrict", name="areas.zip")


def test_zip_with_two_layers_reads_the_named_one() -> None:
    one = shapefile_zip([({"name": "五泉街道"}, cell(0))], stem="a")
    with zipfile.ZipFile(io.BytesIO(one)) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    both = _zip({**members, **{k.replace("a.", "b."): v for k, v in members.items()}})
    with pytest.raises(RegistryError, match=r"expected one \.shp"):
        prepare_areas(both, level="subdistrict", name="x.zip")
    assert len(prepare_areas(both, level="subdistrict", name="x.zip", layer="b").units) == 1


def test_geopackage(tmp_path: Path) -> None:
    import geopandas as gpd

    frame = gpd.GeoDataFrame({"name": ["五泉街道", "东岗街道"]}, geometry=[cell(0), cell(1)],
                             crs="EPSG:4326")
    path = tmp_path / "areas.gpkg"
    frame.to_file(path, driver="GPKG", layer="jd")
    result = prepare_areas(path, level="subdistrict")
    assert [u.name for u in result.units] == ["五泉街道", "东岗街道"]
    assert result.problems == ()


# --- storage ----------------------------------------------------------------------------


def _imported(tmp_path: Path, names: list[str]) -> Any:
    path = write_geojson(tmp_path / "in.geojson",
                         [feature({"name": n}, cell(i)) for i, n in enumerate(names)])
    return prepare_areas(path, level="subdistrict")


def test_store_round_trip_list_and_remove(tmp_path: Path) -> None:
    folder = tmp_path / "areas"
    assert store.load_areas(folder, "subdistrict") is None
    path = store.save_areas(folder, _imported(tmp_path, ["五泉街道", "东岗街道"]))
    assert path == folder / "subdistrict.geojson"
    stored = store.load_areas(folder, "subdistrict")
    assert stored is not None and [u.name for u in stored.units] == ["五泉街道", "东岗街道"]
    assert stored.units[0].geometry.equals_exact(cell(0), 1e-12)
    assert stored.meta["accepted"] == 2 and stored.meta["source"] == "in.geojson"
    assert [s.level for s in store.list_areas(folder)] == ["subdistrict"]
    assert store.remove_areas(folder, "subdistrict")
    assert not store.remove_areas(folder, "subdistrict")
    assert store.load_areas(folder, "subdistrict") is None


def test_a_failing_write_leaves_the_old_file_intact(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "areas"
    store.save_areas(folder, _imported(tmp_path, ["五泉街道"]))
    before = (folder / "subdistrict.geojson").read_bytes()

    def crash(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        store.save_areas(folder, _imported(tmp_path, ["东岗街道", "五泉街道"]))
    assert (folder / "subdistrict.geojson").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["subdistrict.geojson"]  # no temp left


def test_an_import_without_valid_polygons_is_never_stored(tmp_path: Path) -> None:
    result = _imported(tmp_path, ["不存在街道"])
    assert result.units == () and len(result.problems) == 1
    with pytest.raises(RegistryError, match="no valid subdistrict"):
        store.save_areas(tmp_path / "areas", result)


# --- per-unit tables ----------------------------------------------------------------------


def test_subdistrict_tables_add_up_to_the_district_totals(tmp_path: Path) -> None:
    big = [box(X0 - 0.03, Y0 - 0.02, X0, Y0 + 0.02), box(X0, Y0 - 0.02, X0 + 0.03, Y0 + 0.02)]
    path = write_geojson(tmp_path / "a.geojson", [
        feature({"name": "五泉街道"}, big[0]), feature({"name": "东岗街道"}, big[1])])
    units = prepare_areas(path, level="subdistrict").units
    stations = [Station(f"s{i}", "站", Kind.SMART_STATION, X0 + dx, Y0, synthetic=i > 0)
                for i, dx in enumerate((-0.01, 0.01, 0.02, 0.05))]
    index = NearestIndex(stations)
    city = coverage_summary(index, resolution=8)
    sub = coverage_summary(index, resolution=8, district="620102", level="subdistrict",
                           areas=units)
    district_row = next(u for u in city["units"] if u["code"] == "620102")
    assert [u["name"] for u in sub["units"]] == ["五泉街道", "东岗街道", ""]  # + outside
    for key in ("cells", "stations"):
        assert sum(u[key] for u in sub["units"]) == sub[key] == district_row[key]
    for key in ("area_km2", "covered_km2"):
        assert sum(u[key] for u in sub["units"]) == pytest.approx(sub[key], abs=1e-5)
        assert sub[key] == pytest.approx(district_row[key], abs=1e-5)
    assert [u["stations"] for u in sub["units"][:2]] == [1, 2]
    assert sub["polygons"] is True and "code_counts" not in sub


def test_summary_counts_synthetic_stations_of_the_chosen_district_only() -> None:
    west, east = box(103.70, 36.00, 103.80, 36.10), box(103.80, 36.00, 103.90, 36.10)
    bounds = Boundaries(AdminUnit("A", "甲", "city", west.union(east)),
                        (AdminUnit("W", "西", "district", west),
                         AdminUnit("E", "东", "district", east)))
    stations = [Station(f"s{i}", "站", Kind.BOX_STATION, x, 36.05, synthetic=demo)
                for i, (x, demo) in enumerate([(103.75, True), (103.76, False),
                                               (103.85, True), (103.86, True),
                                               (103.87, True)])]
    index = NearestIndex(stations)
    assert coverage_summary(index, bounds, resolution=7)["synthetic_stations"] == 4
    west_only = coverage_summary(index, bounds, resolution=7, district="W")
    assert (west_only["stations"], west_only["synthetic_stations"]) == (2, 1)
    east_only = coverage_summary(index, bounds, resolution=7, district="E")
    assert east_only["synthetic_stations"] == 3


def test_station_counts_per_code_without_polygons() -> None:
    def st(i: int, sub: str | None, com: str | None = None, demo: bool = False,
           located: bool = True) -> Station:
        return Station(f"s{i}", "站", Kind.BOX_STATION, X0 if located else None,
                       Y0 if located else None, district_code=sub[:6] if sub else None,
                       subdistrict_code=sub, community_code=com, synthetic=demo)

    stations = [st(1, "620102015", "620102015/振兴社区"), st(2, "620102015", demo=True),
                st(3, "620102006", located=False), st(4, "620102999"), st(5, None),
                st(6, "620103102")]
    rows = code_counts(stations, "subdistrict", district="620102")
    top = [(r.code, r.name, r.stations, r.synthetic, r.known) for r in rows[:2]]
    assert top == [("620102015", "东岗街道", 2, 1, True), ("620102006", "五泉街道", 1, 0, True)]
    assert (rows[-1].code, rows[-1].stations, rows[-1].known) == ("620102999", 1, False)
    assert sum(r.stations for r in rows) == 4  # the station without any code is elsewhere
    city = code_counts(stations, "subdistrict")
    assert sum(r.stations for r in city) == 6 and (city[-1].code, city[-1].stations) == ("", 1)
    communities = code_counts(stations, "community", district="620102")
    assert next((r.name, r.stations) for r in communities if r.stations) == ("振兴社区", 1)
    with pytest.raises(ValueError, match="subdistrict or community"):
        code_counts(stations, "district")


def test_summary_without_polygons_gives_code_counts() -> None:
    stations = [Station("a", "站", Kind.BOX_STATION, X0, Y0, district_code="620102",
                        subdistrict_code="620102015")]
    out = coverage_summary(NearestIndex(stations), resolution=7, district="620102",
                           level="subdistrict")
    assert out["polygons"] is False and out["units"] == []
    assert out["code_counts"][0] == {"code": "620102015", "name": "东岗街道",
                                     "level": "subdistrict", "stations": 1, "synthetic": 0,
                                     "known": True}
    assert out["stations"] == 1


def test_community_file_with_subdistrict_and_community_columns(tmp_path: Path) -> None:
    twice = [u for u in admin_names() if u.level == "community" and u.name == "水挂庄社区"]
    x, y = 103.72, 36.10  # 安宁区 (620105)
    path = write_geojson(tmp_path / "sq.geojson", [
        feature({"街道": twice[0].parent_name, "社区": "水挂庄"},
                box(x, y, x + D, y + D)),
        feature({"街道": "", "社区": "水挂庄社区"}, box(x + D, y, x + 2 * D, y + D))])
    result = prepare_areas(path, level="community")
    assert [(u.code, u.name) for u in result.units] == [
        (f"{twice[0].parent_code}/水挂庄社区", "水挂庄社区")]
    assert (result.problems[0].row, result.problems[0].column) == (2, "社区")
    assert "ambiguous" in result.problems[0].reason


def test_code_counts_follow_the_kind_filter() -> None:
    from locator.stations.query import Filters

    stations = [Station(f"s{i}", "站", kind, X0, Y0, district_code="620102",
                        subdistrict_code="620102015")
                for i, kind in enumerate([Kind.SMART_STATION, Kind.BOX_STATION,
                                          Kind.BOX_STATION])]
    unlocated = Station("u", "站", Kind.BOX_STATION, None, None, district_code="620102",
                        subdistrict_code="620102015")
    boxes = Filters(kinds=frozenset({Kind.BOX_STATION}))
    out = coverage_summary(NearestIndex(stations), resolution=7, district="620102",
                           level="subdistrict", filters=boxes,
                           registry_stations=[*stations, unlocated])
    assert out["stations"] == 2 and out["code_counts"][0]["stations"] == 3
