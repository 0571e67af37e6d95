"""The editors' "to verify" queue: sorted and filtered by the verified day, a page of 500 at a
time, bulk "verified today" in Lanzhou's date with one audit record per station; viewers
see the forms read-only."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from locator.registry import audit
from locator.registry.store import open_store
from locator.stations import hours
from tests.accounts_util import csrf_of, edit_app, sign_in

# 2026-12-08 00:30 in Lanzhou is still 2026-12-07 in UTC
LANZHOU_JUST_AFTER_MIDNIGHT = datetime(2026, 12, 8, 0, 30)


def rows(n: int) -> list[dict[str, Any]]:
    """``n`` stations; every third never verified, the others verified on days in 2024–2026."""
    out = []
    for i in range(n):
        verified = None if i % 3 == 0 else date(2024 + i % 3, 1 + i % 12, 1 + i % 28)
        out.append({"id": f"q{i:04d}", "name": f"站{i}", "kind": "box_station",
                    "lon": 103.80 + (i % 40) * 0.002, "lat": 36.03 + (i // 40) * 0.001,
                    "verified": verified.isoformat() if verified else None})
    return out


@pytest.fixture
def queue_app(tmp_path: Path, write_registry: Callable[[list[dict[str, Any]]], Path],
              monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setattr(hours, "now", lambda: LANZHOU_JUST_AFTER_MIDNIGHT)
    return edit_app(tmp_path, write_registry(rows(1234)), VERIFIED_STALE_DAYS=365)


def listed_ids(page: str) -> list[str]:
    return re.findall(r'<a href="/edit/station/(q\d{4})">', page)


def test_the_queue_sorts_by_verified_day_never_first_and_pages_past_500(
        queue_app: Flask) -> None:
    client = queue_app.test_client()
    sign_in(client, "viewer")
    stations = {r["id"]: r["verified"] for r in rows(1234)}
    first_current = "2025-12-08"  # 365 days before 2026-12-08
    stale = sorted((i for i, v in stations.items() if v is None or v < first_current),
                   key=lambda i: (stations[i] is not None, stations[i] or "", 0))
    seen: list[str] = []
    pages = 0
    url = "/edit/?sort=verified&stale=1"
    while url:
        pages += 1
        page = client.get(url).get_data(as_text=True)
        ids = listed_ids(page)
        assert len(ids) <= 500
        seen += ids
        nxt = re.search(r'<a rel="next" href="([^"]+)"', page)
        url = nxt.group(1).replace("&amp;", "&") if nxt else ""
    assert len(seen) == len(stale) > 500 and pages == 2  # every stale station, two pages
    assert set(seen) == set(stale)
    days = [stations[i] or "" for i in seen]
    assert days == sorted(days)  # never verified first, then the oldest
    assert f"共 {len(stale)} 个驿站" in client.get("/edit/?sort=verified&stale=1").get_data(
        as_text=True)
    newest_first = listed_ids(client.get("/edit/?sort=verified&order=desc")
                              .get_data(as_text=True))
    assert stations[newest_first[0]] == max(v for v in stations.values() if v)
    assert client.get("/edit/?sort=bogus").status_code == 400


def test_bulk_verified_today_uses_lanzhou_date_and_audits_each(queue_app: Flask) -> None:
    editor = queue_app.test_client()
    sign_in(editor, "editor")
    page = editor.get("/edit/?sort=verified&stale=1").get_data(as_text=True)
    boxes = re.findall(r'name="verify" value="([0-9a-f]{20}):(q\d{4})"', page)
    assert len(boxes) == 500
    picked = boxes[:3]
    stale_etag = ("0" * 20, boxes[3][1])  # the list was loaded before someone changed it
    form = {"csrf_token": csrf_of(page), "back": "sort=verified&stale=1",
            "verify": [f"{e}:{i}" for e, i in picked] + [f"{stale_etag[0]}:{stale_etag[1]}"]}
    response = editor.post("/edit/verify", data=form)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/edit/?sort=verified&stale=1")
    after = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "已将 3 个驿站标记为 2026-12-08 核实。" in after
    assert f"在此期间被他人修改，未标记核实：{stale_etag[1]}" in after
    served = {s.id: s for s in queue_app.extensions["locator"].stations}
    assert all(served[i].verified == date(2026, 12, 8) for _, i in picked)
    assert served[stale_etag[1]].verified is None or str(served[stale_etag[1]].verified) < "2025"
    store = open_store(queue_app.config["STORE"])
    try:
        found = audit.entries(store)
    finally:
        store.close()
    verified = [e for e in found if e.action == "verify"]
    assert sorted(e.station_id for e in verified) == sorted(i for _, i in picked)
    assert {e.version for e in verified} == {2} and {e.user for e in verified} == {"editor"}
    assert not set(listed_ids(after)) & {i for _, i in picked}  # off the queue


def test_the_verify_form_defaults_to_lanzhou_today(queue_app: Flask) -> None:
    editor = queue_app.test_client()
    token = sign_in(editor, "editor")
    page = editor.get("/edit/station/q0001").get_data(as_text=True)
    assert 'name="verified" value="2026-12-08" max="2026-12-08"' in page
    etag = re.search(r'name="etag" value="([^"]+)"', page)
    assert etag is not None
    done = editor.post("/edit/station/q0001/verify",
                       data={"csrf_token": token, "etag": etag.group(1), "verified": "2026-12-08"})
    assert done.status_code == 302  # not "in the future", as with UTC's 2026-12-07


def test_viewers_see_read_only_forms(queue_app: Flask) -> None:
    viewer: FlaskClient = queue_app.test_client()
    sign_in(viewer, "viewer")
    page = viewer.get("/edit/station/q0001").get_data(as_text=True)
    assert '<fieldset class="form-fields" disabled>' in page
    assert 'id="save"' not in page and "/verify" not in page and "/retire" not in page
    assert '"readonly":true' in page  # the map's marker cannot be dragged either
    assert 'name="verify"' not in viewer.get("/edit/").get_data(as_text=True)
    editor = queue_app.test_client()
    sign_in(editor, "editor")
    page = editor.get("/edit/station/q0001").get_data(as_text=True)
    assert '<fieldset class="form-fields">' in page and 'id="save"' in page
