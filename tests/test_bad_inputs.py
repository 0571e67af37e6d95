"""The bad-input plan: one table of bad inputs through the web boundary, each answered 4xx with
a message naming the bad value, and nothing stored.

Every row goes through the real app over HTTP — API parameters, page query strings, the
registry upload form and the station forms and editing API — signed in as an editor, with
the CSRF token where a form needs one. After each row: the store holds the same versions,
the served registry is unchanged and no upload was kept.

Deeper tables live beside the code they test and are not repeated here:
``test_registry_files.py`` (25+ malformed files at the reader level: encodings, zip bombs,
GDAL path tricks), ``test_api_v1.py`` (bbox, place search and coverage parameters),
``test_api.py`` (nearest parameters), ``test_editing.py`` (editing conflicts, 409/412/428)
and ``test_security.py`` (CSRF, 413 and 500 answers).
"""

from __future__ import annotations

import html
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from locator.registry.store import open_store
from locator.web import service
from tests.accounts_util import edit_app, sign_in

CSV_HEAD = "id,name,kind,lon,lat\n"


@dataclass(frozen=True)
class Case:
    """One bad input: where it goes, what it is, and the answer it must get."""

    name: str
    method: str
    url: str
    status: int
    fragments: tuple[str, ...]  # each must appear in the answer (the bad value among them)
    form: dict[str, str] = field(default_factory=dict)
    upload: bytes | None = None  # POSTed as the registry file (name below)
    filename: str = "stations.csv"
    json_body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw_json: bytes | None = None  # sent as it is, as application/json


def api(name: str, query: str, fragment: str, *, path: str = "/api/v1/nearest",
        status: int = 400) -> Case:
    return Case(name, "GET", f"{path}?{query}", status, (fragment,))


def upload(name: str, data: bytes, fragment: str, *, status: int = 422,
           filename: str = "stations.csv", **form: str) -> Case:
    return Case(name, "POST", "/admin/registry/preview", status, (fragment,), form=form,
                upload=data, filename=filename)


def station(case: str, fragment: str, /, status: int = 400, **fields: str) -> Case:
    form = {"id": "new1", "name": "新站", "kind": "smart_station", "lon": "103.84",
            "lat": "36.06", "coord_datum": "wgs84", **fields}
    return Case(case, "POST", "/edit/new", status, (fragment,), form=form)


def nested(depth: int) -> bytes:
    return ('{"type":"FeatureCollection","features":[' + '{"a":' * depth + "1"
            + "}" * depth + "]}").encode()


CASES = [
    # --- API parameters (GET /api/v1/...) ---
    api("lat out of range", "lat=91&lon=103.8", "got '91'"),
    api("lat not a number", "lat=north&lon=103.8", "got 'north'"),
    api("lon not finite", "lat=36&lon=inf", "got 'inf'"),
    api("lat missing", "lon=103.8", "'lat' is required"),
    api("k zero", "lat=36&lon=103.8&k=0", "got '0'"),
    api("k over MAX_K", "lat=36&lon=103.8&k=51", "got '51'"),
    api("k fractional", "lat=36&lon=103.8&k=2.5", "got '2.5'"),
    api("unknown kind", "lat=36&lon=103.8&kind=spaceship", "'spaceship'"),
    api("unknown amenity", "lat=36&lon=103.8&amenity=jacuzzi", "'jacuzzi'"),
    api("open_at not a time", "lat=36&lon=103.8&open_at=teatime", "got 'teatime'"),
    api("only_24h not a boolean", "lat=36&lon=103.8&only_24h=maybe", "got 'maybe'"),
    api("max_distance negative", "lat=36&lon=103.8&max_distance=-5", "got '-5'"),
    api("parameter given twice", "lat=36&lat=37&lon=103.8", "'lat' given 2 times"),
    api("stations limit too large", "limit=501", "got '501'", path="/api/v1/stations"),
    api("stations offset negative", "offset=-1", "got '-1'", path="/api/v1/stations"),
    api("unknown station id", "", "'nope<x>'", path="/api/v1/stations/nope<x>",
        status=404),
    api("places limit zero", "q=城关&limit=0", "got '0'", path="/api/v1/places"),
    api("coverage radius too small", "radius_m=10", "got '10'", path="/api/v1/coverage"),
    api("lat in full-width digits", "lat=３６&lon=103.8", "got '３６'"),
    api("k in Arabic-Indic digits", "lat=36&lon=103.8&k=٣", "got '٣'"),
    api("offset with an underscore", "offset=1_0", "got '1_0'", path="/api/v1/stations"),
    # --- page query strings ---
    api("finder lat out of range", "lat=999&lon=103.8", "got '999'", path="/"),
    api("finder k not a number", "k=many", "got 'many'", path="/"),
    api("widget zoom out of range", "zoom=99", "got '99'", path="/embed"),
    api("widget unknown tiles", "tiles=google", "got 'google'", path="/embed"),
    api("planner radius not a number", "radius=far", "got 'far'", path="/planner/"),
    api("finder lat in full-width digits", "lat=３６&lon=103.8", "got '３６'", path="/"),
    api("finder k with an underscore", "k=1_0", "got '1_0'", path="/"),
    # --- registry uploads (POST /admin/registry/preview as an editor) ---
    upload("empty file", b"", "stations.csv: file is empty"),
    upload("garbage bytes", b"\x00\x01\x02\xff" * 64, "stations.csv: binary content"),
    upload("unknown datum", (CSV_HEAD + "u1,甲,box_station,103.84,36.05\n").encode(),
           "unknown datum 'mars'", status=400, datum="mars"),
    upload("mapping without =", (CSV_HEAD + "u1,甲,box_station,103.84,36.05\n").encode(),
           "'lonlat'", mapping="lonlat"),
    upload("mapping to an unknown field", b"a,b\n1,2\n", "'a=colour'", mapping="a=colour"),
    upload("GeoJSON in Web Mercator", json.dumps(
        {"type": "FeatureCollection", "crs": {"type": "name", "properties": {
            "name": "urn:ogc:def:crs:EPSG::3857"}}, "features": []}).encode(),
           "'urn:ogc:def:crs:EPSG::3857'", filename="s.geojson"),
    upload("JSON nested 40 deep", nested(40), "nested deeper than 32", filename="s.geojson"),
    upload("a VRT named .geojson", b'<OGRVRTDataSource><OGRVRTLayer name="x">'
           b"<SrcDataSource>/etc/passwd</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>",
           "s.geojson: GDAL VRT content refused", filename="s.geojson"),
    upload("file over IMPORT_MAX_BYTES", CSV_HEAD.encode() + b"x" * 20_000,
           "stations.csv: file is over the limit of 10,000 bytes"),
    # --- station forms (POST /edit/new as an editor) ---
    station("latitude out of range", "'95' is out of range ±90", lat="95"),
    station("longitude not a number", "'east' is not a number", lon="east"),
    station("unknown kind in the form", "spaceship", kind="spaceship"),
    station("bad opening hours", "'Mo-Xx 25:00': opening hours not understood",
            opening_hours="Mo-Xx 25:00"),
    station("outside the service area", "lon=116.400000, lat=39.900000", lon="116.4",
            lat="39.9"),
    station("duplicate id", "id 'a' already exists", status=409, id="a"),
    station("longitude in full-width digits", "'１０３.８４' is not a number", lon="１０３.８４"),
    station("precision with an underscore", "'1_0' is not a number", precision_m="1_0"),
    station("a control character in the name", "control character U+001B", name="甲\x1b站"),
    station("a direction override in the id", "U+202E (RIGHT-TO-LEFT OVERRIDE)",
            id="evil\u202egnp.exe"),
    # --- the editing API (JSON) ---
    Case("edit API without If-Match", "PUT", "/edit/api/stations/a", 428, ("If-Match",),
         json_body={"name": "x", "kind": "partner"}),
    Case("edit API with a stale ETag", "PUT", "/edit/api/stations/a", 412, ("stale",),
         json_body={"name": "x", "kind": "partner"}, headers={"If-Match": '"stale"'}),
    Case("edit API lat in Arabic-Indic digits", "PUT", "/edit/api/stations/a", 400,
         ("'٣٦.٠٥' is not a number",), json_body={"name": "x", "kind": "partner",
                                                  "lon": "103.84", "lat": "٣٦.٠٥"},
         headers={"If-Match": '"any"'}),
    Case("edit API NUL in a name", "POST", "/edit/api/stations", 400,
         ("control character U+0000",), json_body={"id": "n1", "name": "名\x00字",
                                                  "kind": "partner"}),
    Case("edit API body nested 100,000 deep", "PUT", "/edit/api/stations/a", 400,
         ("nested deeper than 4 levels",), raw_json=b"[" * 100_000 + b"]" * 100_000,
         headers={"If-Match": '"any"'}),
    Case("edit API body over MAX_CONTENT_LENGTH", "PUT", "/edit/api/stations/a", 413,
         ("2097183 bytes sent, 1048576 accepted",),
         raw_json=b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'", "kind": "partner"}',
         headers={"If-Match": '"any"'}),
]


def test_the_plan_has_at_least_30_bad_inputs() -> None:
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Flask, FlaskClient, str]:
    folder = tmp_path_factory.mktemp("bad-inputs")
    registry = folder / "tiny.geojson"
    from tests.conftest import TINY, feature_collection

    registry.write_text(json.dumps(feature_collection(TINY)), encoding="utf-8")
    app = edit_app(folder, registry, IMPORT_MAX_BYTES=10_000, PLANNER_RESOLUTION=7,
                   REGISTRY_BOUNDARY=None)
    client = app.test_client()
    client.get("/?lang=en")  # messages in English (the language cookie), whatever is translated
    return app, client, sign_in(client, "editor")


def stored(app: Flask) -> tuple[list[int], list[str], list[str]]:
    store = open_store(str(app.config["STORE"]))
    try:
        versions = [v.id for v in store.history()]
    finally:
        store.close()
    uploads = Path(app.instance_path) / "uploads"
    kept = sorted(p.name for p in uploads.glob("*.bin")) if uploads.is_dir() else []
    with app.app_context():
        served = [s.id for s in service.current_registry().stations]
    return versions, served, kept


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_naming_the_value_and_nothing_is_stored(
        world: tuple[Flask, FlaskClient, str], case: Case) -> None:
    app, client, token = world
    before = stored(app)
    headers = {"X-CSRFToken": token, **case.headers}
    if case.upload is not None:
        data: dict[str, Any] = {"datum": "wgs84", "mapping": "", **case.form,
                                "csrf_token": token,
                                "file": (io.BytesIO(case.upload), case.filename)}
        response = client.post(case.url, data=data, content_type="multipart/form-data")
    elif case.json_body is not None:
        response = client.open(case.url, method=case.method, json=case.json_body,
                               headers=headers)
    elif case.raw_json is not None:
        response = client.open(case.url, method=case.method, data=case.raw_json,
                               content_type="application/json", headers=headers)
    elif case.method == "POST":
        response = client.post(case.url, data={**case.form, "csrf_token": token})
    else:
        response = client.get(case.url)
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == case.status, text[:800]
    for fragment in case.fragments:
        assert fragment in text, f"{fragment!r} not named in: {text[:800]}"
    assert stored(app) == before
