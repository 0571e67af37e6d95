"""locator.analysis: GeoDataFrames that say what the API and the planner's files say.

Round trips against the app's own answers (``/api/v1/stations``, ``/api/v1/nearest``,
``/api/v1/registry/report``) and the planner's ``plan.geojson``; the README's example is
run as written.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskClient
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import LineString, Point, shape

from locator import analysis, create_app
from locator.areas.units import load_boundaries
from locator.model import Amenity, Kind
from locator.planning.exports import plan_geojson
from locator.planning.plan import Plan, make_plan
from locator.registry import Registry, load_registry
from locator.stations.query import Filters
from locator.web.service import DEFAULT_REGISTRY, current_registry
from tests.conftest import TINY

ROOT = Path(__file__).resolve().parents[1]
HIT_ROUNDED = ("distance_m", "walk_min", "ebike_min")  # the API rounds these to 0.1
EXPORT_DIGITS = {"area_m2": 1, "worst_m": 1, "gain": 3, "covered_share": 6}  # plan.geojson's


@pytest.fixture(scope="module")
def shipped() -> Registry:
    return load_registry(DEFAULT_REGISTRY)


@pytest.fixture(scope="module")
def shipped_client() -> FlaskClient:
    return create_app({"TESTING": True}).test_client()


@pytest.fixture(scope="module")
def plan(shipped: Registry) -> Plan:
    return make_plan(shipped.index, load_boundaries().district("620102"), resolution=8,
                     radius_m=800, sites=3)


def plain(value: Any) -> Any:
    """A frame's cell as JSON has it: pandas' missing text (NaN) is null."""
    return None if not isinstance(value, list) and pd.isna(value) else value


def api_frame(features: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """The API's features as geopandas reads GeoJSON."""
    return gpd.GeoDataFrame.from_features(features, crs=analysis.CRS)


def test_stations_round_trip_the_api(app: Flask, client: FlaskClient) -> None:
    """The TINY registry (one station without a location) as /api/v1/stations lists it."""
    features = client.get("/api/v1/stations?limit=500").get_json()["features"]
    with app.app_context():
        ours = analysis.to_geodataframe(current_registry())
    assert ours.crs == "EPSG:4326" and len(ours) == len(TINY)
    assert ours.geometry.isna().tolist() == [row["lon"] is None for row in TINY]
    assert_geodataframe_equal(ours, api_frame(features), check_like=True,
                              check_less_precise=True)


def test_the_shipped_stations_round_trip_the_api(shipped: Registry,
                                                 shipped_client: FlaskClient) -> None:
    features = shipped_client.get("/api/v1/stations?limit=500").get_json()["features"]
    ours = analysis.to_geodataframe(shipped)
    assert len(ours) == len(features) == 312 and int(ours["synthetic"].sum()) == 300
    assert_geodataframe_equal(ours, api_frame(features), check_like=True,
                              check_less_precise=True)
    assert list(ours.columns[:-1]) == list(features[0]["properties"])  # the API's order


@pytest.mark.parametrize(("query", "filters"), [
    ("", None),
    ("&kind=smart_station,gig_market", Filters(kinds=frozenset({Kind.SMART_STATION,
                                                                Kind.GIG_MARKET}))),
    ("&amenity=water&max_distance=3000", Filters(amenities=frozenset({Amenity.WATER}))),
])
def test_nearest_rows_are_the_api_features(shipped: Registry, shipped_client: FlaskClient,
                                           query: str, filters: Filters | None) -> None:
    """Same stations, same order, same fields (the API rounds metres and minutes)."""
    points = [(103.83, 36.06), (103.62, 36.10), (104.10, 35.85)]
    max_distance = 3000.0 if "max_distance" in query else None
    ours = analysis.nearest(([p[0] for p in points], [p[1] for p in points]), shipped, k=5,
                            max_distance=max_distance, filters=filters)
    assert ours.crs == "EPSG:4326"
    for p, (lon, lat) in enumerate(points):
        features = shipped_client.get(f"/api/v1/nearest?lat={lat}&lon={lon}&k=5{query}"
                                      ).get_json()["features"]
        rows = ours[ours["point"] == p]
        assert rows["rank"].tolist() == list(range(1, len(features) + 1))
        for (_, row), feature in zip(rows.iterrows(), features, strict=True):
            props = {k: v for k, v in feature["properties"].items()
                     if k not in ("open_state", "next_change")}
            mine = {k: plain(row[k]) for k in props}
            for key in HIT_ROUNDED:
                mine[key] = round(mine[key], 1)
            assert mine == props
            assert row.geometry.equals_exact(shape(feature["geometry"]), 1e-7)
    assert (ours["distance_m"] <= (max_distance or np.inf)).all()


def test_nearest_from_a_frame_in_another_crs_gives_the_same_answers(shipped: Registry) -> None:
    lon, lat = np.array([103.83, 103.70, 103.95]), np.array([36.06, 36.10, 36.00])
    by_arrays = analysis.nearest((lon, lat), shipped, k=4)
    frame = gpd.GeoDataFrame({"label": ["a", "b", "c"]}, index=["x", "y", "z"],
                             geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    by_frame = analysis.nearest(frame.to_crs("EPSG:32648"), shipped, k=4)
    assert by_frame["point"].tolist() == [label for label in "xyz" for _ in range(4)]
    assert by_frame["id"].tolist() == by_arrays["id"].tolist()
    np.testing.assert_allclose(by_frame["distance_m"], by_arrays["distance_m"], atol=1e-3)
    by_series = analysis.nearest(frame.geometry, shipped, k=4)
    assert_geodataframe_equal(by_series, by_frame.assign(distance_m=by_series["distance_m"],
                                                         walk_min=by_series["walk_min"],
                                                         ebike_min=by_series["ebike_min"]))


def test_nearest_rows_are_nearest_index_query(shipped: Registry) -> None:
    """One row per point × rank, exactly the hits of NearestIndex.query, point by point."""
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(103.3, 104.3, 200), rng.uniform(35.8, 36.6, 200)
    ours = analysis.nearest((lon, lat), shipped, k=3)
    expected = [(p, r, h.station.id, h.distance_m)
                for p, (x, y) in enumerate(zip(lon.tolist(), lat.tolist(), strict=True))
                for r, h in enumerate(shipped.index.query(x, y, k=3), start=1)]
    assert list(zip(ours["point"], ours["rank"], ours["id"], ours["distance_m"],
                    strict=True)) == expected


@pytest.mark.parametrize(("points", "message"), [
    (gpd.GeoSeries([Point(103.8, 36.0)]), "no CRS"),
    (gpd.GeoSeries([Point(103.8, 36.0), LineString([(103.8, 36.0), (103.9, 36.0)])],
                   crs="EPSG:4326"), "row 1 is 'LineString'"),
    (([103.8, 103.9], [36.0]), "same size, got 2 and 1"),
    (gpd.GeoSeries([Point(103.8, 36.0), Point()], index=["a", "b"], crs="EPSG:4326"),
     "row 'b' has an empty point"),
])
def test_bad_points_are_refused_by_name(shipped: Registry, points: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        analysis.nearest(points, shipped)


def test_read_registry_is_the_loader_locator_registry_uses(
        write_registry: Callable[[list[dict[str, Any]]], Path]) -> None:
    bad = {"id": "bad", "name": "坏站", "kind": "no_such_kind", "lon": 103.8, "lat": 36.0}
    path = write_registry([*TINY, bad])
    stations, report = analysis.read_registry(path)
    assert stations["id"].tolist() == [row["id"] for row in TINY]
    served = create_app({"TESTING": True, "REGISTRY": str(path)}).test_client()
    assert served.get("/api/v1/registry/report").get_json() == report.to_dict()
    assert [(p.row, p.column) for p in report.problems] == [(len(TINY) + 1, "kind")]
    assert analysis.read_registry([path, path])[1].rows == 2 * (len(TINY) + 1)


def test_plan_frames_match_the_plan_and_its_geojson(plan: Plan) -> None:
    cells = analysis.plan_cells(plan)
    grid, cov = plan.coverage.grid, plan.coverage
    assert len(cells) == len(grid) and cells.crs == "EPSG:4326"
    assert cells["cell"].tolist() == [format(int(c), "x") for c in grid.cells]
    assert (cells["covered"] == (cells["distance_m"] <= cov.threshold_m)).all()
    assert cells.contains(gpd.GeoSeries(gpd.points_from_xy(grid.lon, grid.lat),
                                        crs="EPSG:4326")).all()
    assert cells.attrs["synthetic_stations"] == plan.synthetic_stations > 0

    units = analysis.plan_units(plan)
    assert units.drop(columns="geometry").to_dict("records") == [r.as_dict() for r in plan.rows]
    assert units.geometry.iloc[-1].equals(plan.boundaries.area.geometry)  # the total row

    exported = plan_geojson(plan)["features"]
    for frame, layer in ((analysis.plan_gaps(plan), "gap"),
                         (analysis.plan_suggestions(plan), "site")):
        features = [f for f in exported if f["properties"]["layer"] == layer]
        assert len(frame) == len(features) > 0
        for (_, row), feature in zip(frame.iterrows(), features, strict=True):
            for key, value in feature["properties"].items():
                if key != "layer":
                    digits = EXPORT_DIGITS.get(key)
                    assert (row[key] if digits is None else round(row[key], digits)) == value, key
            assert row.geometry.equals_exact(shape(feature["geometry"]), 1e-6)


def test_a_plan_without_suggestions_has_an_empty_frame_with_its_columns(shipped: Registry
                                                                          ) -> None:
    plan = make_plan(shipped.index, load_boundaries().district("620102"), resolution=7)
    sites = analysis.plan_suggestions(plan)
    assert sites.empty and sites.crs == "EPSG:4326"
    assert list(sites.columns) == ["rank", "id", "name", "district", "district_code",
                                   "subdistrict", "community", "near", "near_m", "gain",
                                   "gain_of", "covered_share", "geometry"]


def test_without_geopandas_the_error_says_what_to_install() -> None:
    script = """
import sys
from importlib.abc import MetaPathFinder
class NotInstalled(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("geopandas", "pandas", "pyogrio"):
            raise ModuleNotFoundError(name, name=name)
sys.meta_path.insert(0, NotInstalled())
from locator import analysis  # importing works: geopandas is needed when called
try:
    analysis.to_geodataframe([])
except ImportError as exc:
    print(exc)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, check=True)
    assert "pip install 'locator[analysis]'" in done.stdout, done.stderr


def test_the_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Python library / analysis"):]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    monkeypatch.chdir(tmp_path)
    exec(compile(code.group(1), "README.md", "exec"), {})  # noqa: S102 - our own README
    gaps = gpd.read_file(tmp_path / "gaps.gpkg")
    assert len(gaps) > 0 and gaps.crs == "EPSG:4326"
