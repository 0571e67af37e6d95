"""The small things a worker in the street notices: static files cached under hashed names, the
web app manifest, service worker and offline page, the favicon, the navigation header, tile
layers without their key, share links and QR codes, the widget's list, tel: links."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from locator import create_app
from locator.registry import Registry
from locator.stations.nearest import NearestIndex
from locator.web import service
from locator.web.http.assets import IMMUTABLE
from tests.conftest import TINY

POINT = "lat=36.053&lon=103.841"


def static_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html)


def test_static_files_have_hashed_names_cached_for_a_year(client: FlaskClient) -> None:
    urls = static_urls(client.get(f"/?{POINT}").get_data(as_text=True))
    assert len(urls) >= 10
    for url in urls:
        assert re.search(r"\.[0-9a-f]{10}\.(js|css|ico|svg|png)$", url), url
        response = client.get(url)
        response.close()
        assert response.status_code == 200 and response.headers["Cache-Control"] == IMMUTABLE
    plain = client.get("/static/css/app.css")  # the plain name: revalidated, as before
    plain.close()
    assert plain.status_code == 200 and "immutable" not in plain.headers["Cache-Control"]
    old = client.get("/static/css/app.0123456789.css")  # a page from before a deploy
    old.close()
    assert old.status_code == 200 and "immutable" not in old.headers["Cache-Control"]
    assert client.get("/static/css/nothing.0123456789.css").status_code == 404


def test_a_changed_file_gets_a_new_name(tmp_path: Path, tiny_path: Path) -> None:
    app = create_app({"TESTING": True, "REGISTRY": str(tiny_path)})
    static = Path(str(app.static_folder))
    with app.test_request_context():
        from flask import url_for

        before = url_for("static", filename="js/share.js")
        source = static / "js/share.js"
        text = source.read_bytes()
        try:
            source.write_bytes(text + b"\n")
            after = url_for("static", filename="js/share.js")
        finally:
            source.write_bytes(text)
    assert before != after and before.startswith("/static/js/share.")


def test_the_manifest_describes_an_installable_app(client: FlaskClient) -> None:
    page = client.get(f"/?{POINT}").get_data(as_text=True)
    link = re.search(r'<link rel="manifest" href="([^"]+)"', page)
    assert link is not None and link.group(1) == "/manifest.webmanifest?lang=zh_CN"
    response = client.get(link.group(1))
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "兰州工会驿站查找" and manifest["lang"] == "zh-CN"
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/?lang=zh_CN"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512", "any"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    for icon in manifest["icons"]:
        fetched = client.get(icon["src"])
        fetched.close()
        assert fetched.status_code == 200
    english = json.loads(client.get("/manifest.webmanifest?lang=en").get_data(as_text=True))
    assert english["name"] == "Lanzhou trade-union station finder"


def test_the_service_worker_keeps_the_shell_and_nothing_personal(client: FlaskClient) -> None:
    response = client.get("/sw.js")
    assert response.mimetype == "text/javascript" and response.headers["Cache-Control"] == \
        "no-cache"
    body = response.get_data(as_text=True)
    settings = json.loads(body.split("\n", 1)[0].removeprefix("self.LZ = ").rstrip(";"))
    kept = settings["precache"]
    assert "/offline/zh_CN" in kept and "/offline/en" in kept
    assert all(url.startswith(("/static/", "/offline/")) for url in kept), kept
    for url in kept:
        fetched = client.get(url)
        fetched.close()
        assert fetched.status_code == 200, url
        assert "Set-Cookie" not in fetched.headers, url  # (no language cookie from ?lang=)
    # it answers navigations to the finder only; every other request goes to the network
    assert "url.pathname === self.LZ.finder" in body and settings["finder"] == "/"
    assert settings["saved"] == "/offline/last-results"


def test_the_offline_page_in_each_language(client: FlaskClient) -> None:
    zh = client.get("/offline/zh_CN").get_data(as_text=True)
    assert "没有网络连接。" in zh and 'data-saved="/offline/last-results"' in zh
    labels = json.loads(re.search(r'id="offline-labels">(.*?)</script>', zh, re.S)
                        .group(1))  # type: ignore[union-attr]
    assert labels["kinds"]["gig_market"] == "零工市场"
    assert labels["text"]["verified"] == "核实于 %(date)s"
    assert "No connection." in client.get("/offline/en").get_data(as_text=True)
    assert client.get("/offline/fr").status_code == 404


def test_favicon_and_icons(client: FlaskClient) -> None:
    icon = client.get("/favicon.ico")
    data = icon.get_data()
    icon.close()
    assert icon.status_code == 200 and data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = client.get(f"/?{POINT}").get_data(as_text=True)
    assert re.search(r'<link rel="icon" href="/static/icons/favicon\.[0-9a-f]{10}\.ico"', page)
    assert re.search(r'<link rel="apple-touch-icon" href="/static/icons/icon-180\.', page)


@pytest.mark.parametrize("path", ["/", "/embed/builder", "/planner/?area=620102", "/login",
                                  "/api/v1/docs", "/report/a", "/share/a", "/nowhere"])
def test_every_page_links_to_the_others(client: FlaskClient, path: str) -> None:
    page = client.get(path).get_data(as_text=True)
    nav = page[page.index('<nav class="site-nav"'):page.index("</nav>")]
    for href in ('href="/"', 'href="/planner/"', 'href="/embed/builder"',
                 'href="/api/v1/docs"', 'href="/login"'):
        assert href in nav, (path, href)


def test_the_current_page_is_marked_in_the_header(client: FlaskClient) -> None:
    page = client.get("/embed/builder").get_data(as_text=True)
    assert '<a href="/embed/builder" aria-current="page">' in page


@pytest.mark.parametrize("path", ["/?tiles=tianditu", "/embed?tiles=tianditu"])
def test_tianditu_without_a_key_is_a_clear_400(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "LOCATOR_TIANDITU_KEY" in text and "<code>tiles</code>" in text
    builder = client.get("/embed/builder").get_data(as_text=True)
    tiles = re.search(r'<select name="tiles">(.*?)</select>', builder, re.S)
    assert tiles is not None and 'value="tianditu"' not in tiles.group(1)
    assert "高德地图" in tiles.group(1)  # the layers by their names, not their codes


def test_tianditu_with_a_key_is_offered(tiny_path: Path) -> None:
    app = create_app({"TESTING": True, "REGISTRY": str(tiny_path), "TIANDITU_KEY": "abcd1234"})
    client = app.test_client()
    assert client.get(f"/?{POINT}&tiles=tianditu").status_code == 200
    builder = client.get("/embed/builder").get_data(as_text=True)
    assert 'value="tianditu"' in builder


def test_a_shared_link_opens_the_finder_on_the_station(client: FlaskClient) -> None:
    share = client.get("/share/c").get_data(as_text=True)
    assert 'value="http://localhost/?station=c"' in share
    qr = client.get("/share/c/qr.svg")
    assert qr.mimetype == "image/svg+xml" and qr.data.startswith(b"<svg")
    assert b"<script" not in qr.data and b"<path" in qr.data
    finder = client.get(f"/?{POINT}&station=c").get_data(as_text=True)
    shared = finder[finder.index('class="shared-station'):finder.index("</article>")]
    assert "丙站" in shared and "零工市场" in shared and "报告问题" in shared
    assert 'data-shared="c"' in finder
    gone = client.get(f"/?{POINT}&station=zzz").get_data(as_text=True)
    assert "分享的驿站 zzz 已不在名录中。" in gone
    assert client.get("/share/zzz").status_code == 404


def test_the_widget_lists_open_state_freshness_and_directions(client: FlaskClient) -> None:
    widget = client.get(f"/embed?{POINT}&k=3&lang=en").get_data(as_text=True)
    hits = re.findall(r'<li class="embed-hit".*?</li>', widget, re.S)
    assert len(hits) == 3
    for hit in hits:
        assert re.search(r'class="embed-hours state-(open|closed|unknown)"', hit)
        assert "Not verified yet" in hit or "Verified on" in hit
        assert 'class="dir-amap"' in hit and 'class="dir-osm"' in hit
        assert "/report/" in hit
    assert "Open now · Open 24 hours" in hits[0]  # 甲站, 24/7


def test_station_details_in_words(client: FlaskClient) -> None:
    data: dict[str, Any] = client.get("/station/b?lang=en").get_json()
    assert data["hours_line"] == "Hours: Mon to Fri 09:00–17:00"
    assert data["freshness"] == "Not verified yet · may be out of date"
    assert data["report_url"] == "/report/b" and data["share_url"] == "/share/b"
    assert data["reported"] is False and data["reported_text"] == ""


def test_api_says_when_each_station_was_verified(
        write_registry: Callable[[list[dict[str, Any]]], Path]) -> None:
    rows = [{**TINY[0], "verified": "2020-01-02"}, {**TINY[1], "verified": "2099-01-01"},
            TINY[2]]
    app = create_app({"TESTING": True, "REGISTRY": str(write_registry(rows)),
                      "VERIFIED_STALE_DAYS": 30})
    client = app.test_client()
    found = {f["id"]: f["properties"] for f in
             client.get(f"/api/v1/nearest?{POINT}&k=3").get_json()["features"]}
    assert (found["a"]["verified_on"], found["a"]["stale"]) == ("2020-01-02", True)
    assert (found["b"]["verified_on"], found["b"]["stale"]) == ("2099-01-01", False)
    assert (found["c"]["verified_on"], found["c"]["stale"]) == (None, True)
    assert client.get("/api/v1/stations/b").get_json()["properties"]["stale"] is False
    listed = client.get("/api/v1/stations").get_json()["features"]
    assert all("verified_on" in f["properties"] for f in listed)


def test_a_station_with_a_phone_shows_tel_links(app: Flask, client: FlaskClient) -> None:
    """What the finder, popups and widget show once stations carry ``phone``."""
    served = service.served(app)
    stations = [replace(s, phone="0931-8123456" if s.id == "a" else "") for s in served.stations]
    service.swap(app, Registry(tuple(stations), NearestIndex(stations), served.report))
    page = client.get(f"/?{POINT}").get_data(as_text=True)
    assert page.count('href="tel:0931-8123456"') == 1 and "拨打 0931-8123456" in page
    assert client.get("/station/a").get_json()["phones"] == [
        {"url": "tel:0931-8123456", "label": "拨打 0931-8123456"}]
    assert 'href="tel:0931-8123456"' in client.get(f"/embed?{POINT}").get_data(as_text=True)
