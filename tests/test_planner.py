"""The /planner page, its downloads, /api/v1/coverage and the CLI: one plan, the same answers."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from flask import Flask, request
from flask.testing import FlaskClient
from flask_babel import gettext
from openpyxl import load_workbook
from werkzeug.datastructures import MultiDict

from locator import create_app
from locator.cli import main
from locator.model import Kind
from locator.planning import exports, per_unit
from locator.web import plans
from locator.web.params import Args
from tests.accounts_util import make_users, sign_in
from tests.test_demand import geotiff

Q = "area=620102&n=2&radius=1000"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("planner-data")


@pytest.fixture(scope="module")
def planner_app(data_dir: Path) -> Flask:
    return create_app({"TESTING": True, "PLANNER_RESOLUTION": 8,
                       "PLANNER_DATA_DIR": str(data_dir)})


@pytest.fixture
def pclient(planner_app: Flask) -> FlaskClient:
    return planner_app.test_client()


def computed(app: Flask, query: str) -> Any:
    """The plan the page computes for ``query`` (no cache, no gate)."""
    with app.test_request_context(f"/planner/?{query}"):
        q = plans.page_query(Args(request.args))
        return plans.compute(q).first(q.n)


def test_page_shows_the_table_named_sites_and_the_demo_banner(pclient: FlaskClient) -> None:
    html = pclient.get(f"/planner/?{Q}").get_data(as_text=True)
    assert 'class="demo-banner"' in html
    assert "城关区" in html and 'class="plan-units"' in html
    sites = html[html.index('class="plan-sites"'):html.index("</ol>", html.index("plan-sites"))]
    assert sites.count("<li") == 2 and sites.count("城关区") >= 2  # named by district
    assert sites.count('class="plan-site-link" href="/?lat=') == 2  # the map at the point
    assert 'data-basis="area"' in html and "未加载人口图层" in html  # says: no population
    assert "https://cdn" not in html and "cdnjs" not in html


def test_city_table_sorts_server_side_without_js(pclient: FlaskClient) -> None:
    html = pclient.get("/planner/?n=0&sort=stations&order=desc").get_data(as_text=True)
    body = html[html.index("<tbody>"):html.index("</tbody>")]
    codes = [part.split('"')[0] for part in body.split('data-code="')[1:]]
    assert codes[0] == "620102" and len(codes) == 8  # 城关区 has the most stations
    assert 'aria-sort="descending"' in html


def test_downloads_re_read_identically_and_record_what_they_rest_on(
        pclient: FlaskClient, planner_app: Flask) -> None:
    plan = computed(planner_app, Q)
    raw = pclient.get(f"/planner/units.csv?{Q}").get_data()
    assert raw.startswith("\ufeff".encode())  # the BOM: Excel reads the Chinese
    text = raw.decode("utf-8")
    with planner_app.test_request_context("/"):
        labels = {k: gettext(v) for k, v in exports.UNIT_LABELS.items()}
    assert text == exports.units_csv(plan, labels)
    assert "面积" in text and "(covered_share)" in text  # the page's language + machine names
    assert exports.read_units_csv(text) == [r.as_dict() for r in plan.rows]
    for line in ("# basis,area", "# resolution,8", '# registry_version,"files:',
                 "# synthetic_stations,"):
        assert line in text
    geo = json.loads(pclient.get(f"/planner/plan.geojson?{Q}").get_data(as_text=True))
    assert geo == json.loads(json.dumps(exports.plan_geojson(plan)))
    assert geo["meta"]["target"]["threshold_m"] == 1000 and geo["meta"]["basis"] == "area"
    assert geo["meta"]["synthetic_stations"] > 0 and geo["meta"]["registry_version"]
    site = next(f for f in geo["features"] if f["properties"]["layer"] == "site")
    assert site["properties"]["district"] == "城关区" and site["properties"]["gain_of"] == "km2"
    book = load_workbook(io.BytesIO(pclient.get(f"/planner/plan.xlsx?{Q}").get_data()))
    assert book.sheetnames == ["units", "sites", "meta"]
    meta = {r[0]: r[1] for r in book["meta"].iter_rows(values_only=True)}
    assert meta["basis"] == "area" and meta["resolution"] == "8"
    assert book["sites"].max_row == 3  # header + 2 sites
    # the banner counts the stations the table counts: those in the district
    assert plan.stations == plan.rows[-1].stations < len(planner_app.extensions["locator"].index)


def test_planner_pages_and_downloads_are_compressed(pclient: FlaskClient) -> None:
    for path in ("/planner/", "/planner/report", "/planner/units.csv", "/planner/plan.geojson"):
        r = pclient.get(f"{path}?{Q}", headers={"Accept-Encoding": "gzip"})
        assert r.headers.get("Content-Encoding") == "gzip", path


def test_report_page_says_demonstration_data_and_the_registry(pclient: FlaskClient) -> None:
    html = pclient.get(f"/planner/report?{Q}").get_data(as_text=True)
    assert 'class="plan-demo"' in html and "plan-form" not in html
    assert "stations_demo.geojson" in html


@pytest.mark.parametrize(("query", "param"), [
    ("radius=-1", "radius"), ("radius=abc", "radius"), ("radius=1234", "radius"),
    ("radius=100001", "radius"), ("n=99", "n"), ("n=21", "n"), ("minutes=0", "minutes"),
    ("minutes=7.3", "minutes"), ("radius=500&minutes=5", "minutes"),
    ("mode=car&minutes=5", "mode"), ("pool=moon", "pool"), ("compare=target", "radius2"),
    ("compare=target&radius2=77", "radius2"), ("pool=file&n=2", "pool"), ("area=999999", None),
])
def test_bad_parameters_are_refused(pclient: FlaskClient, query: str, param: str | None) -> None:
    r = pclient.get(f"/planner/units.csv?{query}")
    assert r.status_code in (400, 404)
    if param:
        assert param in r.get_data(as_text=True)


def test_kind_filter_counts_only_those_kinds(pclient: FlaskClient) -> None:
    def rows(query: str) -> list[dict[str, Any]]:
        return exports.read_units_csv(pclient.get(f"/planner/units.csv?{query}")
                                      .get_data(as_text=True))

    every, smart = rows("n=0"), rows("n=0&kind=smart_station")
    both = rows("n=0&kind=smart_station,box_station")
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


def test_partner_pool_suggests_partner_stations_not_yet_counted(planner_app: Flask) -> None:
    plan = computed(planner_app, "n=3&pool=partner")
    every = computed(planner_app, "n=0")
    partners = [s for s in planner_app.extensions["locator"].index.stations
                if s.kind is Kind.PARTNER]
    assert plan.suggestion.steps
    assert {s.candidate.id for s in plan.suggestion.steps} <= {s.id for s in partners}
    assert "partner" not in plan.kinds and plan.pool == "partner"
    in_city = len(per_unit.in_area(every.boundaries.area, partners))
    assert every.rows[-1].stations - plan.rows[-1].stations == in_city > 0


def test_a_changed_n_reuses_the_plan(planner_app: Flask) -> None:
    with planner_app.test_request_context("/"):
        q = plans.page_query(Args(MultiDict({"area": "620102", "n": "5"})))
        five = plans.plan_for(q)
        two = plans.plan_for(replace(q, n=2))
    assert two.suggestion is not None and five.suggestion is not None
    assert [s.candidate for s in two.suggestion.steps] == [
        s.candidate for s in five.suggestion.steps[:2]]
    assert two.coverage is five.coverage  # the same plan, cut


def test_scenarios_compare_today_with_the_sites_and_with_another_radius(
        pclient: FlaskClient) -> None:
    html = pclient.get(f"/planner/?{Q}&compare=sites&lang=en").get_data(as_text=True)
    table = html[html.index('class="plan-compare"'):]
    assert "with the 2 suggested sites" in table
    total = table[table.index('class="plan-compare-total"'):]
    gained = float(total.split("<td>")[3].split("<")[0])
    assert gained > 0
    html = pclient.get(f"/planner/report?{Q}&compare=target&radius2=2000&lang=en").get_data(
        as_text=True)
    assert "Within 1,000 m and within 2,000 m" in html


def test_cli_writes_the_pages_files(tmp_path: Path, planner_app: Flask,
                                    pclient: FlaskClient, data_dir: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCATOR_PLANNER_DATA_DIR", str(data_dir))
    result = CliRunner().invoke(main, ["suggest", "--district", "620102", "--resolution", "8",
                                       "-n", "2", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "演示数据" in result.output and "area, not people" in result.output
    assert "城关区" in result.output.split("before:")[1]  # sites named by where they are
    page = pclient.get(f"/planner/units.csv?{Q}").get_data(as_text=True)
    assert (tmp_path / "units.csv").read_bytes().decode("utf-8") == page
    assert json.loads((tmp_path / "plan.geojson").read_text(encoding="utf-8")) == json.loads(
        pclient.get(f"/planner/plan.geojson?{Q}").get_data(as_text=True))


def test_cli_demand_and_candidates(tmp_path: Path) -> None:
    demand = tmp_path / "people.csv"
    demand.write_text("lon,lat,人口\n103.8818,36.0934,5000\n103.80,36.06,100\n1,2,oops\n",
                      encoding="utf-8")
    cands = tmp_path / "cands.csv"
    cands.write_text("id,name,lon,lat\nbank,<b>银行</b>,103.8818,36.0934\nshop,商店,103.95,36.0\n",
                     encoding="utf-8")
    result = CliRunner().invoke(main, ["suggest", "--district", "620102", "--resolution", "8",
                                       "-n", "1", "--demand", str(demand), "--candidates",
                                       str(cands), "--no-stored", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "row 4" in result.output  # the bad population row is reported
    assert "of the people" in result.output and "+5,000 people" in result.output
    geo = json.loads((tmp_path / "plan.geojson").read_text(encoding="utf-8"))
    sites = [f for f in geo["features"] if f["properties"]["layer"] == "site"]
    assert [s["properties"]["id"] for s in sites] == ["bank"]
    assert geo["meta"]["basis"] == "people" and geo["meta"]["pool"] == "file"


def test_cli_refuses_radius_and_minutes_together(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["coverage", "--radius", "500", "--minutes", "5",
                                       "-o", str(tmp_path)])
    assert result.exit_code != 0 and "not both" in result.output


# --- one truth: page, API and CLI --------------------------------------------------------

AGREE = [  # (page query, API query, CLI arguments)
    ("n=0", "", []),
    ("n=0&radius=1500", "radius_m=1500", ["--radius", "1500"]),
    ("n=0&minutes=15", "minutes=15", ["--minutes", "15"]),
    ("n=0&minutes=10&mode=ebike", "minutes=10&mode=ebike", ["--minutes", "10", "--mode",
                                                            "ebike"]),
    ("n=0&kind=smart_station", "kind=smart_station", ["--kind", "smart_station"]),
    ("n=0&area=620103", "district=620103", ["--district", "620103"]),
    ("n=0&area=620103&level=district", "district=620103&level=district",
     ["--district", "620103", "--level", "district"]),
]


@pytest.mark.parametrize(("page", "api", "cli"), AGREE)
def test_page_api_and_cli_agree(page: str, api: str, cli: list[str], pclient: FlaskClient,
                                data_dir: Path, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    rows = exports.read_units_csv(pclient.get(f"/planner/units.csv?{page}")
                                  .get_data(as_text=True))
    body = pclient.get(f"/api/v1/coverage?{api}").get_json()
    monkeypatch.setenv("LOCATOR_PLANNER_DATA_DIR", str(data_dir))
    monkeypatch.setenv("LOCATOR_PLANNER_RESOLUTION", "8")
    out = CliRunner().invoke(main, ["coverage", "--json", "-o", str(tmp_path), *cli])
    assert out.exit_code == 0, out.output
    shell = json.loads(out.output[out.output.index("{"):])
    assert body == shell
    assert body["resolution"] == 8 and body["target"]["threshold_m"] > 0
    total = rows[-1]
    for key in ("cells", "stations", "covered_share", "covered_km2", "worst_gap_m"):
        assert body[key] == total[key], key
    assert [(u["code"], u["stations"], u["covered_share"]) for u in body["units"]] == [
        (r["code"], r["stations"], r["covered_share"]) for r in rows[:-1]]


def test_api_documents_the_target_and_refuses_off_grid_values(pclient: FlaskClient) -> None:
    body = pclient.get("/api/v1/coverage?minutes=15").get_json()
    assert body["target"]["minutes"] == 15 and body["target"]["mode"] == "walk"
    assert body["target"]["radius_m"] is None and body["radius_m"] < 1000  # 15 min ≠ 1 km
    assert body["basis"] == "area" and body["covered_share_of"] == "area"
    bad = pclient.get("/api/v1/coverage?radius_m=1234")
    assert bad.status_code == 400 and bad.get_json()["error"]["param"] == "radius_m"


# --- the demand layer, uploaded in the browser ---------------------------------------------


def test_an_editor_uploads_a_population_raster_and_shares_become_people(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "PLANNER_RESOLUTION": 8,
                      "PLANNER_DATA_DIR": str(tmp_path / "planner"),
                      "USERS_DB": str(make_users(tmp_path / "users.sqlite"))})
    client = app.test_client()
    assert client.get("/planner/inputs/").status_code == 302  # anonymous: sign in first
    token = sign_in(client, "editor")
    values = np.zeros((40, 60))
    values[10:30, 20:40] = 50.0  # 20,000 people around 城关区
    data = geotiff(values, 103.75, 36.10, 0.003)
    before = client.get("/planner/?n=1&area=620102").get_data(as_text=True)
    assert 'data-basis="area"' in before
    r = client.post("/planner/inputs/demand", data={
        "csrf_token": token, "kind": "auto", "level": "district", "datum": "wgs84",
        "file": (io.BytesIO(data), "worldpop.tif")}, content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:800]
    after = client.get("/planner/?n=1&area=620102&lang=en").get_data(as_text=True)
    assert 'data-basis="people"' in after and "of the people live within" in after
    assert "adds " in after and " people" in after
    body = client.get("/api/v1/coverage?district=620102").get_json()
    assert body["basis"] == "people" and body["demand"] == "worldpop.tif"
    assert body["people"] + body["people_outside_area"] == pytest.approx(20_000, rel=1e-3)
    bad = client.post("/planner/inputs/demand", data={
        "csrf_token": token, "file": (io.BytesIO("名称,人口\n火星区,5\n".encode()), "p.csv")},
        content_type="multipart/form-data")
    assert bad.status_code == 422 and "火星区" in bad.get_data(as_text=True)
    no_polygons = client.post("/planner/inputs/demand", data={
        "csrf_token": token, "level": "community",
        "file": (io.BytesIO("社区,人口\n振兴社区,5\n".encode()), "c.csv")},
        content_type="multipart/form-data")
    assert no_polygons.status_code == 422 and "locator areas import" in no_polygons.get_data(
        as_text=True)
    assert client.get("/api/v1/coverage").get_json()["demand"] == "worldpop.tif"  # kept
    viewer = app.test_client()
    sign_in(viewer, "viewer")
    assert viewer.get("/planner/inputs/").status_code == 403
