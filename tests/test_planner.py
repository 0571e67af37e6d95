"""The /planner page, its downloads (re-read identically) and the CLI writing the same files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from locator import create_app
from locator.areas.units import load_boundaries
from locator.cli import main
from locator.planning.plan import make_plan, plan_geojson, read_units_csv, units_csv
from locator.registry import load_registry
from locator.web.service import DEFAULT_REGISTRY

Q = "area=620102&n=2&radius=1000"


@pytest.fixture(scope="module")
def planner_app() -> Flask:
    return create_app({"TESTING": True, "PLANNER_RESOLUTION": 8})


@pytest.fixture
def pclient(planner_app: Flask) -> FlaskClient:
    return planner_app.test_client()


def test_page_shows_the_table_gaps_sites_and_the_demo_banner(pclient: FlaskClient) -> None:
    html = pclient.get(f"/planner/?{Q}").get_data(as_text=True)
    assert 'class="demo-banner"' in html
    assert "城关区" in html and 'class="plan-units"' in html
    assert html.count("<li>", html.index('class="plan-sites"')) >= 2
    assert "https://cdn" not in html and "cdnjs" not in html


def test_city_table_sorts_server_side_without_js(pclient: FlaskClient) -> None:
    html = pclient.get("/planner/?n=0&sort=stations&order=desc").get_data(as_text=True)
    body = html[html.index("<tbody>"):html.index("</tbody>")]
    codes = [part.split('"')[0] for part in body.split('data-code="')[1:]]
    assert codes[0] == "620102" and len(codes) == 8  # 城关区 has the most stations
    assert 'aria-sort="descending"' in html


def test_downloads_re_read_identically(pclient: FlaskClient, planner_app: Flask) -> None:
    with planner_app.app_context():
        registry = planner_app.extensions["locator"]
    plan = make_plan(registry.index, load_boundaries().district("620102"), resolution=8,
                     radius_m=1000, sites=2)
    csv_text = pclient.get(f"/planner/units.csv?{Q}").get_data(as_text=True)
    assert csv_text == units_csv(plan)
    assert read_units_csv(csv_text) == [r.as_dict() for r in plan.rows]
    geo = json.loads(pclient.get(f"/planner/plan.geojson?{Q}").get_data(as_text=True))
    assert geo == json.loads(json.dumps(plan_geojson(plan)))
    assert {f["properties"]["layer"] for f in geo["features"]} == {"gap", "site"}
    assert geo["meta"]["synthetic_stations"] > 0 and geo["meta"]["basis"] == "area"
    # the demonstration banner counts the stations the table counts: those in the district
    assert plan.stations == plan.rows[-1].stations < len(registry.index)
    assert plan.synthetic_stations <= plan.stations


def test_report_page_says_demonstration_data(pclient: FlaskClient) -> None:
    html = pclient.get(f"/planner/report?{Q}").get_data(as_text=True)
    assert 'class="plan-demo"' in html and "plan-form" not in html


@pytest.mark.parametrize(("query", "param"), [
    ("radius=-1", "radius"), ("radius=abc", "radius"), ("n=99", "n"), ("minutes=0", "minutes"),
    ("mode=car&minutes=5", "mode"), ("area=999999", None),
])
def test_bad_parameters_are_refused(pclient: FlaskClient, query: str, param: str | None) -> None:
    r = pclient.get(f"/planner/units.csv?{query}")
    assert r.status_code in (400, 404)
    if param:
        assert param in r.get_data(as_text=True)


def test_cli_writes_the_same_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["suggest", "--district", "620102", "--resolution", "8",
                                       "-n", "2", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "演示数据" in result.output and "area, not people" in result.output
    registry = load_registry(DEFAULT_REGISTRY)
    plan = make_plan(registry.index, load_boundaries().district("620102"), resolution=8,
                     radius_m=1000, sites=2)
    assert (tmp_path / "units.csv").read_text(encoding="utf-8") == units_csv(plan)
    assert json.loads((tmp_path / "plan.geojson").read_text(encoding="utf-8")) == json.loads(
        json.dumps(plan_geojson(plan)))


def test_cli_demand_and_candidates(tmp_path: Path) -> None:
    demand = tmp_path / "people.csv"
    demand.write_text("lon,lat,人口\n103.8818,36.0934,5000\n103.80,36.06,100\n1,2,oops\n",
                      encoding="utf-8")
    cands = tmp_path / "cands.csv"
    cands.write_text("id,name,lon,lat\nbank,<b>银行</b>,103.8818,36.0934\nshop,商店,103.95,36.0\n",
                     encoding="utf-8")
    result = CliRunner().invoke(main, ["suggest", "--district", "620102", "--resolution", "8",
                                       "-n", "1", "--demand", str(demand), "--candidates",
                                       str(cands), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "row 4" in result.output  # the bad population row is reported
    geo = json.loads((tmp_path / "plan.geojson").read_text(encoding="utf-8"))
    sites = [f for f in geo["features"] if f["properties"]["layer"] == "site"]
    assert [s["properties"]["id"] for s in sites] == ["bank"]
    assert geo["meta"]["basis"] == "people"


def test_cli_refuses_radius_and_minutes_together(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["coverage", "--radius", "500", "--minutes", "5",
                                       "-o", str(tmp_path)])
    assert result.exit_code == 2 and "not both" in result.output


def test_kind_filter_counts_only_those_kinds(pclient: FlaskClient) -> None:
    every = read_units_csv(pclient.get("/planner/units.csv?n=0").get_data(as_text=True))
    smart = read_units_csv(pclient.get("/planner/units.csv?n=0&kind=smart_station")
                           .get_data(as_text=True))
    both = read_units_csv(pclient.get("/planner/units.csv?n=0&kind=smart_station,box_station")
                          .get_data(as_text=True))
    assert 0 < smart[-1]["stations"] < both[-1]["stations"] < every[-1]["stations"]
    assert smart[-1]["covered_share"] <= both[-1]["covered_share"]
    html = pclient.get("/planner/?n=0&kind=box_station&kind=smart_station").get_data(
        as_text=True)
    assert html.count(" checked>") == 2 and "kind=box_station,smart_station" in html
    bad = pclient.get("/planner/?kind=spaceship")
    assert bad.status_code == 400 and "spaceship" in bad.get_data(as_text=True)


def test_district_page_counts_stations_per_subdistrict_code(pclient: FlaskClient) -> None:
    html = pclient.get("/planner/?area=620102&n=0&lang=en").get_data(as_text=True)
    section = html[html.index('class="plan-codes"'):]
    assert 'data-level="subdistrict"' in section
    assert "No polygons of this level were imported" in section
    assert '<tr data-code="620102003">' in section  # 雁南街道: two documented stations
