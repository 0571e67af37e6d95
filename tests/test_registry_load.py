"""Loading registry files: good rows served, every bad row reported with row and reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from locator.model import Amenity
from locator.registry import load_registry
from locator.registry.load import load_files

GOOD = {"id": "ok", "name": "好站", "kind": "box_station", "lon": 103.8, "lat": 36.0}


def with_(**changes: Any) -> dict[str, Any]:
    return {**GOOD, "id": "bad", **changes}


@pytest.mark.parametrize(("row", "column", "code"), [
    (with_(name=""), "name", "required"),
    (with_(kind="box"), "kind", "unknown_kind"),
    (with_(kind="驿站"), "kind", "unknown_kind"),
    (with_(lon="abc"), "geometry", "bad_geometry"),
    (with_(lon=200.0), "lon", "out_of_range"),
    (with_(lat=95.0), "lat", "out_of_range"),
    (with_(lat=None), "geometry", "bad_geometry"),
    (with_(datum="mars"), "datum", "unknown_datum"),
    (with_(precision_m=-5), "precision_m", "negative"),
    (with_(synthetic="maybe"), "synthetic", "bad_bool"),
    (with_(id="ok"), "id", "duplicate_id"),
])
def test_bad_rows_are_reported_and_good_rows_kept(
        write_registry: Callable[[list[dict[str, Any]]], Path],
        row: dict[str, Any], column: str, code: str) -> None:
    path = write_registry([GOOD, row])
    stations, report = load_files([path])
    assert [s.id for s in stations] == ["ok"]
    assert report.rows == 2 and report.accepted == 1 and report.rejected == 1
    (problem,) = report.problems
    assert (problem.row, problem.column, problem.code) == (2, column, code)
    assert problem.severity == "error" and problem.reason
    assert problem.source == path.name


@pytest.mark.parametrize(("row", "column", "code", "kept"), [
    (with_(amenities=["water", "sauna"]), "amenities", "amenity_unknown",
     {"amenities": frozenset({Amenity.WATER}), "note": "未识别的设施：sauna"}),
    (with_(opening_hours="Mo-Fr 25:00-26:00"), "opening_hours", "hours_unknown",
     {"opening_hours": None, "hours_text": "Mo-Fr 25:00-26:00"}),
    (with_(entry="knock"), "entry", "unknown_entry", {"entry": None}),
    (with_(verified="2024-13-40"), "verified", "bad_date", {"verified": None}),
])
def test_doubtful_values_are_warnings_and_the_station_is_kept(
        write_registry: Callable[[list[dict[str, Any]]], Path],
        row: dict[str, Any], column: str, code: str, kept: dict[str, Any]) -> None:
    stations, report = load_files([write_registry([GOOD, row])])
    assert [s.id for s in stations] == ["ok", "bad"]
    (problem,) = report.problems
    assert (problem.row, problem.column, problem.code, problem.severity) == (
        2, column, code, "warning")
    assert {k: getattr(stations[1], k) for k in kept} == kept
    assert report.rejected == 0 and report.warned == 1


def test_every_problem_of_a_row_is_reported(
        write_registry: Callable[[list[dict[str, Any]]], Path]) -> None:
    row = with_(name="", kind="box", lat=95.0, entry="knock", opening_hours="看情况")
    _, report = load_files([write_registry([GOOD, row])])
    assert sorted(p.code for p in report.problems) == sorted(
        ["required", "unknown_kind", "out_of_range", "unknown_entry", "hours_unknown"])
    assert {p.row for p in report.problems} == {2} and report.rejected == 1


def test_non_point_geometry_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "r.geojson"
    path.write_text('{"type":"FeatureCollection","features":[{"type":"Feature",'
                    '"geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]},'
                    '"properties":{"id":"x","name":"n","kind":"box_station"}}]}',
                    encoding="utf-8")
    _, report = load_files([path])
    assert report.problems[0].column == "geometry"


@pytest.mark.parametrize(("text", "reason"), [
    ("", "file is empty"),
    ("{not json", "not valid JSON"),
    ('{"type":"FeatureCollection","features":{}}', "'features' is not a list"),
])
def test_unreadable_files_are_one_problem_at_row_zero(tmp_path: Path, text: str,
                                                      reason: str) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text(text, encoding="utf-8")
    stations, report = load_files([path])
    assert stations == []
    assert report.problems[0].row == 0 and reason in report.problems[0].reason


def test_a_nan_coordinate_rejects_its_row_not_the_file(tmp_path: Path) -> None:
    path = tmp_path / "r.geojson"
    path.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","geometry":'
                    '{"type":"Point","coordinates":[NaN, 36]},"properties":{"id":"x","name":'
                    '"n","kind":"box_station"}}]}', encoding="utf-8")
    stations, report = load_files([path])
    assert stations == [] and [(p.row, p.code) for p in report.problems] == [(1, "bad_geometry")]


def test_content_not_the_name_decides_the_format(tmp_path: Path) -> None:
    path = tmp_path / "r.xml"
    path.write_text("<x/>", encoding="utf-8")
    _, report = load_files([path])
    assert "XML/HTML content is not a registry file" in report.problems[0].reason


def test_csv_rows_are_numbered_as_a_spreadsheet_shows_them(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("id,name,kind,lon,lat,amenities\n"
                    "a,甲,box_station,103.8,36.0,water;toilet\n"
                    "b,乙,box_station,nan,36.0,\n"
                    "c,丙,gig_market,103.9,36.1,\n", encoding="utf-8-sig")
    stations, report = load_files([path])
    assert [s.id for s in stations] == ["a", "c"]
    assert {a.value for a in stations[0].amenities} == {"water", "toilet"}
    (problem,) = report.problems
    assert (problem.row, problem.column, problem.code) == (3, "lon", "not_finite")


def test_unlocated_stations_are_listed_but_not_indexed(tiny_path: Path) -> None:
    registry = load_registry([tiny_path])
    assert len(registry.stations) == 5
    assert len(registry.index) == 4
    assert [s.id for s in registry.unlocated] == ["e"]
    assert registry.report.problems == ()


def test_duplicate_ids_across_files(write_registry: Callable[[list[dict[str, Any]]], Path]) -> None:
    first, second = write_registry([GOOD]), write_registry([GOOD])
    stations, report = load_files([first, second])
    assert len(stations) == 1
    assert report.problems[0].source == second.name
    assert report.problems[0].params == {"first": f"1 ({first.name})"}


def test_only_spreadsheets_get_their_formula_apostrophe_removed(
        tmp_path: Path, write_registry: Callable[[list[dict[str, Any]]], Path]) -> None:
    # export writes '=… into CSV/XLSX cells so a spreadsheet shows text; GeoJSON is literal
    csv_path = tmp_path / "r.csv"
    csv_path.write_text("id,name,kind,lon,lat,note\nc,\"'=1+1\",box_station,103.8,36.0,"
                        "''=quoted\n", encoding="utf-8")
    geojson_path = write_registry([{**GOOD, "id": "g", "name": "'=1+1", "note": "''=quoted"}])
    stations, report = load_files([csv_path, geojson_path])
    assert report.problems == ()
    assert [(s.name, s.note) for s in stations] == [("=1+1", "'=quoted"),
                                                    ("'=1+1", "''=quoted")]
