"""The nearest fast path answers exactly as Flask would, and leaves everything else to Flask."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from locator import create_app
from locator.web.api.fastpath import NearestFastPath

# A fixed open_at: "now" would differ between two requests that straddle a minute.
PLAIN = [
    "/api/v1/nearest?lat=36.053&lon=103.841",
    "/api/v1/nearest?lat=36.053&lon=103.841&k=3",
    "/api/v1/nearest?lat=36.053&lon=103.841&k=1&max_distance=900",
    "/api/v1/nearest?lat=36.06&lon=103.84&kind=box_station,smart_station",
    "/api/v1/nearest?lat=36.06&lon=103.84&amenity=water&only_24h=true",
    "/api/v1/nearest?lat=36.06&lon=103.84&open_at=2026-11-30T21:30",
    "/api/v1/nearest?lat=36.06&lon=103.84&kind=%E9%9B%B6%E5%B7%A5%E5%B8%82%E5%9C%BA",  # 零工市场
    "/api/v1/nearest?lat=0&lon=0&k=50",
    "/api/v1/nearest?lat=36.06&lon=103.84&max_distance=1",  # no station that close
    "/api/v1/nearest?place=u:620102021&k=2",  # a place (issue 15): meta.origin says how good
    "/api/v1/nearest?place=l:%E5%85%B0%E5%B7%9E%E7%AB%99",  # 兰州站
]


def apps(tiny_path: Path, **config: Any) -> tuple[Flask, Flask]:
    """The same app twice: with the fast path (the default) and without it."""
    base = {"TESTING": True, "REGISTRY": str(tiny_path), **config}
    return create_app(base), create_app({**base, "API_FAST_PATH": False})


def fast_path(app: Flask) -> NearestFastPath:
    found: NearestFastPath = app.extensions["locator.fastpath"]
    return found


def same(a: TestResponse, b: TestResponse) -> None:
    assert a.status == b.status
    assert sorted(a.headers.items()) == sorted(b.headers.items())
    assert a.get_data() == b.get_data()


@pytest.mark.parametrize("url", PLAIN)
def test_plain_queries_are_answered_beside_flask_with_flasks_bytes(tiny_path: Path,
                                                                    url: str) -> None:
    fast, slow = apps(tiny_path)
    fast_client, slow_client = fast.test_client(), slow.test_client()
    fast_client.get(PLAIN[0])  # the first answer goes through Flask and sets the headers
    before = fast_path(fast).answered
    same(fast_client.get(url), slow_client.get(url))
    assert fast_path(fast).answered == before + 1
    assert "locator.fastpath" not in slow.extensions


@pytest.mark.parametrize("headers", [
    {"Accept-Encoding": "gzip, br"},          # the API is not compressed (pages are)
    {"Accept-Language": "en"},                # the answer has no translated text
    {"Cookie": "session=forged; lang=en"},    # public answers use no session or cookie
    {"X-Forwarded-For": "10.1.2.3"},          # no ProxyFix here: the peer address counts
])
def test_request_headers_that_change_nothing_are_served_beside_flask(
        tiny_path: Path, headers: dict[str, str]) -> None:
    fast, slow = apps(tiny_path)
    fast_client = fast.test_client()
    fast_client.get(PLAIN[0])
    same(fast_client.get(PLAIN[1], headers=headers), slow.test_client().get(PLAIN[1],
                                                                           headers=headers))
    assert fast_path(fast).answered == 1


@pytest.mark.parametrize(("url", "headers", "expect"), [
    ("/api/v1/nearest?lat=91&lon=103.8", {}, 400),             # bad value: Flask's error
    ("/api/v1/nearest?lon=103.8", {}, 400),                     # missing lat
    ("/api/v1/nearest?lat=36&lat=37&lon=103.8", {}, 400),      # given twice
    ("/api/v1/nearest?lat=36&lon=103.8&k=0", {}, 400),
    ("/api/v1/nearest?lat=36&lon=103.8&kind=nope", {}, 400),
    ("/api/v1/nearest?lat=36&lon=103.8&lang=en", {}, 200),     # sets the language cookie
    ("/api/v1/nearest?lat=36&lon=103.8&debug=1", {}, 400),     # not a parameter of it
    ("/api/v1/nearest?lat=36&lon=103.8", {"Origin": "https://union.example"}, 200),  # CORS
    ("/api/v1/nearest/?lat=36&lon=103.8", {}, 404),
    ("/api/v1/stations?limit=2", {}, 200),
])
def test_everything_else_goes_through_flask(tiny_path: Path, url: str,
                                            headers: dict[str, str], expect: int) -> None:
    fast, slow = apps(tiny_path, API_CORS_ORIGINS="https://union.example")
    fast_client, slow_client = fast.test_client(), slow.test_client()
    fast_client.get(PLAIN[0])
    before = fast_path(fast).answered
    a, b = fast_client.get(url, headers=headers), slow_client.get(url, headers=headers)
    assert a.status_code == expect
    same(a, b)
    assert fast_path(fast).answered == before


def test_conditional_and_head_requests_keep_flasks_answers(tiny_path: Path) -> None:
    fast, _ = apps(tiny_path)
    client = fast.test_client()
    first = client.get(PLAIN[0])
    etag = first.headers["ETag"]
    again = client.get(PLAIN[0])  # answered beside Flask: the same ETag for the same bytes
    assert again.headers["ETag"] == etag and again.get_data() == first.get_data()
    assert client.get(PLAIN[0], headers={"If-None-Match": etag}).status_code == 304
    head = client.head(PLAIN[0])
    assert head.status_code == 200 and head.get_data() == b""
    assert fast_path(fast).answered == 1


def test_security_headers_are_the_hooks_own(tiny_path: Path) -> None:
    fast, _ = apps(tiny_path)
    client = fast.test_client()
    client.get(PLAIN[0])
    answer = client.get(PLAIN[1])
    assert fast_path(fast).answered == 1
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Cache-Control"].startswith("public, max-age=")
    assert answer.headers["Vary"] == "Origin"
    assert "Set-Cookie" not in answer.headers


def test_https_gets_its_own_headers(tiny_path: Path) -> None:
    fast, _ = apps(tiny_path)
    client = fast.test_client()
    client.get(PLAIN[0])
    client.get(PLAIN[0], base_url="https://localhost")  # recorded through Flask
    secure = client.get(PLAIN[1], base_url="https://localhost")
    plain = client.get(PLAIN[1])
    assert fast_path(fast).answered == 2
    assert "Strict-Transport-Security" in secure.headers
    assert "Strict-Transport-Security" not in plain.headers


def test_the_rate_limit_counts_fast_answers_and_flask_refuses(tiny_path: Path) -> None:
    fast, _ = apps(tiny_path, API_RATE_LIMIT="3 per minute", API_RATE_LIMIT_ENABLED=True)
    client = fast.test_client()
    assert [client.get(PLAIN[0]).status_code for _ in range(3)] == [200, 200, 200]
    assert fast_path(fast).answered == 2
    refused = client.get(PLAIN[1])
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.get_json()["error"]["code"] == "rate_limited"
    other = client.get(PLAIN[1], environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200  # per client


def test_a_swapped_registry_is_served_at_once(tiny_path: Path,
                                              write_registry: Any) -> None:
    from locator.registry import load_registry
    from locator.web import service

    fast, _ = apps(tiny_path)
    client = fast.test_client()
    client.get(PLAIN[0])
    moved = write_registry([{"id": "z", "name": "新站", "kind": "box_station",
                             "lon": 103.841, "lat": 36.053}])
    service.swap(fast, load_registry([moved]))
    body = client.get(PLAIN[1]).get_json()
    assert [f["id"] for f in body["features"]] == ["z"]
    assert fast_path(fast).answered == 1


def test_switched_off_by_config(tiny_path: Path) -> None:
    _, slow = apps(tiny_path)
    assert slow.wsgi_app.__class__ is not NearestFastPath


APPS: dict[str, tuple[Flask, Flask]] = {}  # one pair per test run (hypothesis reuses fixtures)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lat=st.floats(-90, 90), lon=st.floats(-180, 180), k=st.integers(1, 6),
       hours=st.sampled_from(["", "&only_24h=1", "&open_at=2026-12-01T03:00"]))
def test_property_same_bytes_as_flask_anywhere(tiny_path: Path, lat: float, lon: float, k: int,
                                               hours: str) -> None:
    fast, slow = APPS.setdefault(str(tiny_path), apps(tiny_path))
    url = f"/api/v1/nearest?lat={lat!r}&lon={lon!r}&k={k}{hours}"
    fast_client = fast.test_client()
    fast_client.get(PLAIN[0])
    same(fast_client.get(url), slow.test_client().get(url))



def test_a_fault_beside_flask_falls_back_to_flask(tiny_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from locator.web.api import fastpath

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a fault only the fast path has")

    fast, slow = apps(tiny_path)
    client = fast.test_client()
    client.get(PLAIN[0])
    monkeypatch.setattr(fastpath, "nearest_answer", broken)
    same(client.get(PLAIN[1]), slow.test_client().get(PLAIN[1]))  # Flask's own answer
    assert fast_path(fast).answered == 0
