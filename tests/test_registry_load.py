"""Loading registry files: good rows served, every bad row reported with row and reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from locator.registry import load_registry
from locator.registry.load import load_files

GOOD = {"id": "ok", "name": "好站", "kind": "box_station", "lon": 103.8, "lat": 36.0}


def with_(**changes: Any) -> dict[str, Any]:
    return {**GOOD, "id": "bad", **changes}


@pytest.mark.parametrize(("row", "column", "reason"), [
    (with_(name=""), "name", "is required"),
    (with_(id=None), "id", "is required"),
    (with_(kind="box"), "kind", "unknown kind; did you mean 'box_station'?"),
    (with_(kind="驿站"), "kind", "unknown kind"),
    (with_(lon="abc"), "lon", "must be a number"),
    (with_(lon=200.0), "lon", "out of range ±180"),
    (with_(lat=95.0), "lat", "out of range ±90"),
    (with_(lat=None), "lat", "is missing"),
    (with_(amenities=["water", "sauna"]), "amenities", "unknown amenity"),
    (with_(opening_hours="Mo-Fr 25:00-26:00"), "opening_hours", "invalid opening_hours"),
    (with_(entry="knock"), "entry", "must be one of open, qr_code, registration"),
    (with_(datum="mars"), "datum", "unknown datum"),
    (with_(precision_m=-5), "precision_m", "must be a finite number ≥ 0"),
    (with_(verified="2024-13-40"), "verified", "must be an ISO date"),
    (with_(synthetic="maybe"), "synthetic", "must be true or false"),
    (with_(id="ok"), "id", "duplicate id (first seen in"),
])
def test_bad_rows_are_reported_and_good_rows_kept(
        write_registry: Callable[[list[dict[str, Any]]], Path],
        row: dict[str, Any], column: str, reason: str) -> None:
    path = write_registry([GOOD, row])
    stations, report = load_files([path])
    assert [s.id for s in stations] == ["ok"]
    assert report.rows == 2 and report.accepted == 1
    (problem,) = report.problems
    assert problem.row == 2 and problem.column == column
    assert reason in problem.reason
    assert problem.source == path.name


def test_non_point_geometry_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "r.geojson"
    path.write_text('{"type":"FeatureCollection","features":[{"type":"Feature",'
                    '"geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]},'
                    '"properties":{"id":"x","name":"n","kind":"box_station"}}]}',
                    encoding="utf-8")
    _, report = load_files([path])
    assert report.problems[0].column == "geometry"


@pytest.mark.parametrize(("text", "reason"), [
    ("", "file unreadable"),
    ("{not json", "file unreadable"),
    ('{"type":"FeatureCollection","features":[{"type":"Feature","geometry":'
     '{"type":"Point","coordinates":[NaN, 36]},"properties":{}}]}', "NaN is not valid JSON"),
    ('{"type":"Feature"}', "not a GeoJSON FeatureCollection"),
    ('{"type":"FeatureCollection","features":{}}', "'features' is not a list"),
])
def test_unreadable_files_are_one_problem_at_row_zero(tmp_path: Path, text: str,
                                                      reason: str) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text(text, encoding="utf-8")
    stations, report = load_files([path])
    assert stations == []
    assert report.problems[0].row == 0 and reason in report.problems[0].reason


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "r.xml"
    path.write_text("<x/>", encoding="utf-8")
    _, report = load_files([path])
    assert "unsupported registry file type '.xml'" in report.problems[0].reason


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
    assert (problem.row, problem.column, problem.reason) == (3, "lon", "must be finite")


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
    assert f"first seen in {first.name} row 1" in report.problems[0].reason


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
