"""The OpenAPI spec: generated from the code, complete, and true (fuzzed with schemathesis)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

from locator import create_app

SPEC = "/api/v1/openapi.json"


def test_every_api_route_is_in_the_spec(app: Flask, client: FlaskClient) -> None:
    spec = client.get(SPEC).get_json()
    documented = {(path, method.upper()) for path, ops in spec["paths"].items()
                  for method in ops}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)  # <int:x> → {x}
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                routes.add((path, method))
    assert routes - documented == set(), "API routes missing from the OpenAPI spec"
    assert documented - routes == set(), "spec paths that the app does not serve"


def test_an_undeclared_route_is_caught(app: Flask) -> None:
    from locator.web.api.openapi import build_spec

    app.add_url_rule("/api/v1/secret", "secret", lambda: "x")
    assert "/api/v1/secret" not in build_spec(app)["paths"]  # so the meta-test above fails


def test_spec_basics(client: FlaskClient) -> None:
    response = client.get(SPEC)
    assert response.status_code == 200 and response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    nearest = spec["paths"]["/api/v1/nearest"]["get"]
    names = [p["name"] for p in nearest["parameters"]]
    assert {"lat", "lon", "place", "k", "kind", "amenity", "open_at"} <= set(names)
    assert set(nearest["responses"]) == {"200", "304", "400", "429"}
    assert spec["paths"]["/api/v1/stations/{station_id}"]["get"]["responses"]["404"]
    assert "synthetic" in spec["components"]["schemas"]["StationProperties"]["properties"]


REQUIRED = {"/api/v1/nearest": "lat=36.06&lon=103.83", "/api/v1/places": "q=cheng"}


def test_spec_and_parser_agree_under_non_default_settings(tiny_path: Any) -> None:
    """Every bounded number the spec states is exactly what the parser accepts: the top of
    each range answers 200 and one step above it 400, with MAX_K=100 and DEFAULT_K=10 (the
    spec once kept saying 50 and 5)."""
    app = create_app({"TESTING": True, "REGISTRY": str(tiny_path), "MAX_K": 100,
                      "DEFAULT_K": 10})
    client = app.test_client()
    spec = client.get(SPEC).get_json()
    k = next(p for p in spec["paths"]["/api/v1/nearest"]["get"]["parameters"]
             if p["name"] == "k")
    assert (k["schema"]["maximum"], k["schema"]["default"]) == (100, 10)
    checked = 0
    for path, ops in spec["paths"].items():
        if "{" in path or path not in (*REQUIRED, "/api/v1/stations", "/api/v1/coverage"):
            continue
        for param in ops["get"]["parameters"]:
            schema, name = param["schema"], param["name"]
            if schema.get("type") not in ("integer", "number") or "maximum" not in schema:
                continue
            cases = [(schema["maximum"] + 1, 400), (schema["minimum"] - 1, 400)]
            if path != "/api/v1/coverage":  # each accepted value there is a city summary
                cases += [(schema["maximum"], 200), (schema["minimum"], 200)]
            for value, status in cases:
                query = {**dict(parse_qsl(REQUIRED.get(path, ""))), name: str(value)}
                answer = client.get(f"{path}?{urlencode(query)}")
                assert answer.status_code == status, (path, name, value, answer.get_json())
                if status == 400:
                    error = answer.get_json()["error"]
                    assert error["param"] == name
                    assert f"between {schema['minimum']:g} and {schema['maximum']:g}" in \
                        error["message"]
                checked += 1
    assert checked >= 16
    assert client.get("/api/v1/nearest?lat=36&lon=103&k=101").get_json()["error"][
        "message"] == "k must be between 1 and 100, got '101'"
    body = client.get("/api/v1/nearest?lat=36.06&lon=103.83").get_json()
    assert body["meta"]["query"]["k"] == 10


def test_docs_page_lists_every_path_without_a_cdn(client: FlaskClient) -> None:
    spec = client.get(SPEC).get_json()
    page = client.get("/api/v1/docs?lang=en")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    for path in spec["paths"]:
        assert f"GET {path}" in html
    assert "swagger" not in html.lower() and "cdn" not in html.lower()
    assert "//" not in "".join(line for line in html.splitlines() if "<script src" in line)


# The shipped registry (documented + synthetic stations, one without a location).
schema = schemathesis.openapi.from_wsgi(SPEC, create_app({"TESTING": True}))


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_spec(case: Any) -> None:
    """No 500, valid JSON, status codes and bodies as the spec says, for generated requests.

    Two checks are skipped where the spec cannot say what the API means: JSON Schema cannot
    say "min lat <= max lat" between the items of ``bbox``, so a schema-valid bbox may be
    rightly refused (400), nor that ``radius_m`` and ``minutes`` of the coverage are
    alternatives (both: 400); and a blank value (``kind=``, ``kind=,water``) means "not given"
    by design (HTML forms send empty fields), so it is accepted though the enum lacks "".
    Nor can parameters say "lat and lon, or place" on ``/api/v1/nearest``, nor which
    ``place`` ids exist: such requests may be rightly refused too.
    """
    query = case.query or {}
    point_choice = case.path == "/api/v1/nearest" and (
        "place" in query or "lat" not in query or "lon" not in query)
    either = {"radius_m", "minutes"} <= set(query)
    excluded = [positive_data_acceptance] if "bbox" in query or point_choice or either else []
    if any(_blank(value) for value in query.values()):
        excluded.append(negative_data_rejection)
    case.call_and_validate(excluded_checks=excluded)


def _blank(value: Any) -> bool:
    """True for a query value sent empty or with an empty comma-separated item."""
    if value is None or isinstance(value, dict):
        return not value  # an empty object is sent as an empty value
    items = value if isinstance(value, list) else str(value).split(",")
    return any(str(item).strip() == "" for item in items) or not items


def test_spec_is_valid_openapi_3_1() -> None:
    """Checked against the OpenAPI 3.1 meta-schema (schemathesis ships it)."""
    schema.validate()  # raises jsonschema_rs.ValidationError naming the bad part
