"""Station editing: each action, stale edits (409, nothing lost), the audit log and its exports."""

from __future__ import annotations

import html
import itertools
import re
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from locator.errors import EditConflict, NotFound
from locator.geo.datum import Datum, convert
from locator.model import Kind, Station
from locator.registry import audit, editing
from locator.registry.editing import Action
from locator.registry.store import ImportMeta, open_store
from locator.registry.store.gpkg import GpkgStore
from locator.web.health import Health
from tests.accounts_util import edit_app, sign_in

A = Station(id="a", name="甲站", kind=Kind.SMART_STATION, lon=103.84, lat=36.053)
B = Station(id="b", name="乙站", kind=Kind.BOX_STATION, lon=103.85, lat=36.053)


@pytest.fixture
def app(tmp_path: Path, tiny_path: Path) -> Flask:
    return edit_app(tmp_path, tiny_path)


@pytest.fixture
def editor(app: Flask) -> tuple[FlaskClient, str]:
    client = app.test_client()
    return client, sign_in(client, "editor")


def form_of(page: str) -> dict[str, Any]:
    """The station form's fields as a browser would submit them (first form on the page)."""
    form = page[page.index('class="station-form"'):page.index("</form>",
                                                                 page.index('class="station-form"'))]
    data: dict[str, Any] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name is None:
            continue
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                data.setdefault(name.group(1), []).append(value.group(1) if value else "on")
            continue
        data[name.group(1)] = value.group(1) if value else ""
    for select in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        option = (re.search(r'<option value="([^"]*)" selected', select[1])
                  or re.search(r'<option value="([^"]*)"', select[1]))
        data[select[0]] = option.group(1) if option else ""

    return {k: [html.unescape(x) for x in v] if isinstance(v, list) else html.unescape(v)
            for k, v in data.items()}


def served(app: Flask) -> dict[str, Station]:
    return {s.id: s for s in app.extensions["locator"].stations}


def store_of(app: Flask) -> GpkgStore:
    return GpkgStore(Path(app.config["STORE"]))


def entries(app: Flask) -> list[audit.AuditEntry]:
    store = store_of(app)
    try:
        return audit.entries(store)
    finally:
        store.close()


# --- the pure edit ---


def test_apply_edit_each_action_and_its_record() -> None:
    rows = [A, B]
    etag = editing.station_etag(A)
    added, record = editing.apply_edit(rows, Action.ADD, "n", Station("n", "新", Kind.PARTNER,
                                                                      None, None), None)
    assert [s.id for s in added] == ["a", "b", "n"] and record["before"] is None
    moved, record = editing.apply_edit(rows, Action.MOVE, "a", Station(
        "a", "甲站", Kind.SMART_STATION, 103.9, 36.1), etag)
    assert moved[0].lon == 103.9 and record["before"]["lon"] == 103.84
    assert record["after"]["lon"] == 103.9 and record["station_id"] == "a"
    checked, record = editing.apply_edit(rows, Action.VERIFY, "a", None, etag,
                                         verified_on=date(2026, 1, 2))
    assert checked[0].verified == date(2026, 1, 2) and record["after"]["verified"] == "2026-01-02"
    retired, record = editing.apply_edit(rows, Action.RETIRE, "a", None, etag)
    assert retired == [B] and record["after"] is None and record["before"]["name"] == "甲站"
    assert rows == [A, B]  # the input is never changed


@pytest.mark.parametrize(("action", "station_id", "etag", "error", "message"), [
    (Action.EDIT, "a", "stale", EditConflict, "changed by someone else"),
    (Action.RETIRE, "a", None, EditConflict, "changed by someone else"),
    (Action.EDIT, "zz", "x", NotFound, "no station with id 'zz'"),
    (Action.ADD, "a", None, EditConflict, "a station with id 'a' already exists"),
])
def test_apply_edit_refuses(action: Action, station_id: str, etag: str | None,
                            error: type[Exception], message: str) -> None:
    new = Station(station_id, "x", Kind.PARTNER, None, None)
    with pytest.raises(error, match=message):
        editing.apply_edit([A, B], action, station_id, new, etag)


def test_etag_changes_with_any_field() -> None:
    from dataclasses import replace

    assert editing.station_etag(A) == editing.station_etag(replace(A))
    assert editing.station_etag(A) != editing.station_etag(replace(A, note="x"))
    assert editing.station_etag(A) != editing.station_etag(replace(A, lon=103.8400001))


def test_a_save_is_reapplied_when_an_import_lands_in_between(tmp_path: Path) -> None:
    """The compare-and-swap: an edit based on version 1 never overwrites version 2."""
    store = GpkgStore(tmp_path / "s.gpkg")
    meta = ImportMeta(user="t", source="f.csv", sha256="0" * 64, rows=2, rejected=0,
                      datum="wgs84")
    store.write([A, B], meta)
    real_active = store.active
    calls: list[int] = []

    def stale_first() -> Any:
        found = real_active()
        if not calls:  # the first read sees version 1, then an import makes version 2
            calls.append(1)
            store.write([A, B, Station("c", "丙", Kind.PARTNER, None, None)], meta)
        return found

    store.active = stale_first  # type: ignore[method-assign]
    saved = editing.save(store, Action.EDIT, "b", Station("b", "乙站 新", Kind.BOX_STATION,
                                                          103.85, 36.053),
                         editing.station_etag(B), user="ed", base=list)
    store.active = real_active  # type: ignore[method-assign]
    assert [s.name for s in store.stations()] == ["甲站", "乙站 新", "丙"]  # the import kept
    assert saved.version.id == 3
    store.close()


def test_a_save_starts_from_the_served_version_and_never_from_a_stale_one(
        tmp_path: Path) -> None:
    store = GpkgStore(tmp_path / "s.gpkg")
    store.write([A, B], ImportMeta(user="t", source="f.csv", sha256="0" * 64, rows=2,
                                   rejected=0, datum="wgs84"))
    real_stations = store.stations
    read: list[int | None] = []

    def counted(version: int | None = None) -> list[Station]:
        read.append(version)
        return real_stations(version)

    store.stations = counted  # type: ignore[method-assign]
    renamed = Station("b", "乙站 新", Kind.BOX_STATION, 103.85, 36.053)
    editing.save(store, Action.EDIT, "b", renamed, editing.station_etag(B), user="ed",
                 base=list, served=(1, [A, B]))
    assert read == []  # version 1 is what the caller serves: not read back
    # the caller still serves version 1 while version 2 is active: the store is read, and
    # the rename in version 2 is kept
    editing.save(store, Action.VERIFY, "a", None, editing.station_etag(A), user="ed",
                 base=list, served=(1, [A, B]), verified_on=date(2026, 1, 2))
    assert read == [2]
    store.stations = real_stations  # type: ignore[method-assign]
    assert [(s.name, s.verified) for s in store.stations()] == [
        ("甲站", date(2026, 1, 2)), ("乙站 新", None)]
    store.close()


# --- the pages: each action ---


def test_add_a_station(app: Flask, editor: tuple[FlaskClient, str]) -> None:
    client, token = editor
    page = client.get("/edit/new").get_data(as_text=True)
    data = {**form_of(page), "id": "new1", "name": "<b>新站</b>", "kind": "partner",
            "amenities": ["water", "wifi"], "opening_hours": "Mo-Fr 08:00-18:00",
            "lon": "103.8", "lat": "36.06", "coord_datum": "wgs84", "csrf_token": token}
    response = client.post("/edit/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    station = served(app)["new1"]
    assert (station.name, station.kind, station.lon, station.lat) == ("<b>新站</b>",
                                                                      Kind.PARTNER, 103.8, 36.06)
    assert {a.value for a in station.amenities} == {"water", "wifi"}
    [entry, *_rest] = entries(app)
    assert (entry.action, entry.user, entry.station_id, entry.before) == ("add", "editor",
                                                                          "new1", None)
    assert entry.after == editing.station_dict(station)
    assert "<b>新站</b>" not in client.get("/edit/station/new1").get_data(as_text=True)


def test_edit_keeps_untouched_coordinates_exactly(app: Flask,
                                                  editor: tuple[FlaskClient, str]) -> None:
    client, token = editor
    before = served(app)["b"]
    data = {**form_of(client.get("/edit/station/b").get_data(as_text=True)),
            "name": "乙站（新址）", "opening_hours": "24/7", "csrf_token": token}
    assert data["coord_datum"] == "gcj02"  # shown in the Amap tiles' datum
    assert client.post("/edit/station/b", data=data).status_code == 302
    after = served(app)["b"]
    assert (after.name, after.opening_hours) == ("乙站（新址）", "24/7")
    assert (after.lon, after.lat, after.datum) == (before.lon, before.lat, before.datum)
    entry = entries(app)[0]
    assert entry.action == "edit" and entry.before == editing.station_dict(before)
    assert entry.after == editing.station_dict(after)


def test_move_by_typed_gcj02_coordinates(app: Flask, editor: tuple[FlaskClient, str]) -> None:
    client, token = editor
    target = (103.8123456, 36.0654321)  # WGS-84
    gx, gy = convert(*target, src=Datum.WGS84, dst=Datum.GCJ02)
    data = {**form_of(client.get("/edit/station/c").get_data(as_text=True)),
            "lon": f"{float(gx):.9f}", "lat": f"{float(gy):.9f}", "coord_datum": "gcj02",
            "csrf_token": token}
    assert client.post("/edit/station/c", data=data).status_code == 302
    moved = served(app)["c"]
    assert moved.lon == pytest.approx(target[0], abs=1e-8)
    assert moved.lat == pytest.approx(target[1], abs=1e-8)
    assert moved.datum is Datum.GCJ02  # where the coordinate was given
    assert entries(app)[0].action == "move"


def test_verify_records_the_date_and_who(app: Flask, editor: tuple[FlaskClient, str]) -> None:
    client, token = editor
    data = form_of(client.get("/edit/station/a").get_data(as_text=True))
    response = client.post("/edit/station/a/verify", data={
        "csrf_token": token, "etag": data["etag"], "verified": "2026-03-04"})
    assert response.status_code == 302
    assert served(app)["a"].verified == date(2026, 3, 4)
    assert entries(app)[0].action == "verify"
    page = client.get("/edit/station/a?lang=en").get_data(as_text=True)
    assert "2026-03-04" in page and "by editor" in page
    # served from the rows just written: the registry a fresh read of the store would give
    from locator.web.service import registry_from_store

    store = store_of(app)
    try:
        fresh = registry_from_store(store)
    finally:
        store.close()
    now = app.extensions["locator"]
    assert fresh is not None
    assert (now.stations, now.report) == (fresh.stations, fresh.report)


def test_retire_takes_the_station_off_the_map(app: Flask,
                                              editor: tuple[FlaskClient, str]) -> None:
    client, token = editor
    data = form_of(client.get("/edit/station/d").get_data(as_text=True))
    response = client.post("/edit/station/d/retire", data={
        "csrf_token": token, "etag": data["etag"], "confirm": "1"})
    assert response.status_code == 302
    assert "d" not in served(app)
    assert client.get("/api/v1/stations/d").status_code == 404
    entry = entries(app)[0]
    assert entry.before is not None
    assert (entry.action, entry.after, entry.before["id"]) == ("retire", None, "d")
    store = store_of(app)
    assert [s.id for s in store.stations(store.history()[1].id)] == ["a", "b", "c", "d", "e"]
    store.close()


# --- stale edits ---


def test_a_stale_edit_gets_409_and_loses_nothing(app: Flask,
                                                 editor: tuple[FlaskClient, str]) -> None:
    mine, token = editor
    mine_form = form_of(mine.get("/edit/station/a").get_data(as_text=True))
    theirs = app.test_client()
    their_token = sign_in(theirs, "admin")
    their_form = form_of(theirs.get("/edit/station/a").get_data(as_text=True))
    assert theirs.post("/edit/station/a", data={**their_form, "name": "甲站（管理员改）",
                                                "csrf_token": their_token}).status_code == 302
    store = store_of(app)
    versions = len(store.history())
    store.close()
    response = mine.post("/edit/station/a?lang=en", data={
        **mine_form, "name": "甲站（我的改动）", "address": "我填的地址", "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this station" in page
    assert 'value="甲站（我的改动）"' in page and 'value="我填的地址"' in page  # kept as typed
    assert '<td class="theirs">甲站（管理员改）</td>' in page  # beside the current value
    assert served(app)["a"].name == "甲站（管理员改）"
    store = store_of(app)
    assert len(store.history()) == versions  # nothing written
    store.close()
    again = form_of(page)  # saving again from the 409 page replaces theirs, knowingly
    assert again["name"] == "甲站（我的改动）"
    assert mine.post("/edit/station/a", data={**again, "csrf_token": token}).status_code == 302
    assert served(app)["a"].address == "我填的地址"


def test_edits_of_other_stations_do_not_conflict(app: Flask,
                                                 editor: tuple[FlaskClient, str]) -> None:
    client, token = editor
    form_a = form_of(client.get("/edit/station/a").get_data(as_text=True))
    form_b = form_of(client.get("/edit/station/b").get_data(as_text=True))
    assert client.post("/edit/station/b", data={**form_b, "note": "b",
                                                "csrf_token": token}).status_code == 302
    assert client.post("/edit/station/a", data={**form_a, "note": "a",
                                                "csrf_token": token}).status_code == 302
    assert (served(app)["a"].note, served(app)["b"].note) == ("a", "b")


def test_retiring_a_station_someone_just_edited_is_409(app: Flask,
                                                       editor: tuple[FlaskClient, str]) -> None:
    client, token = editor
    old = form_of(client.get("/edit/station/a").get_data(as_text=True))
    assert client.post("/edit/station/a", data={**old, "note": "changed",
                                                "csrf_token": token}).status_code == 302
    response = client.post("/edit/station/a/retire", data={"csrf_token": token,
                                                           "etag": old["etag"], "confirm": "1"})
    assert response.status_code == 409 and "a" in served(app)


# --- the JSON API ---


def test_json_api_etag_if_match_412_428(app: Flask, editor: tuple[FlaskClient, str]) -> None:
    client, token = editor
    got = client.get("/edit/api/stations/a")
    etag = got.headers["ETag"]
    body = {**got.get_json()["station"], "name": "甲站 API"}
    headers = {"X-CSRFToken": token}
    assert client.put("/edit/api/stations/a", json=body, headers=headers).status_code == 428
    done = client.put("/edit/api/stations/a", json=body, headers={**headers, "If-Match": etag})
    assert done.status_code == 200 and done.get_json()["station"]["name"] == "甲站 API"
    assert done.get_json()["station"] == {**got.get_json()["station"], "name": "甲站 API"}
    assert done.headers["ETag"] != etag
    stale = client.put("/edit/api/stations/a", json={**body, "name": "lost?"},
                       headers={**headers, "If-Match": etag})
    assert stale.status_code == 412
    assert stale.get_json()["current"]["name"] == "甲站 API"
    assert stale.headers["ETag"] == done.headers["ETag"]
    assert served(app)["a"].name == "甲站 API"
    gone = client.delete("/edit/api/stations/a", headers={**headers,
                                                          "If-Match": done.headers["ETag"]})
    assert gone.status_code == 204 and "a" not in served(app)
    added = client.post("/edit/api/stations", json={"id": "z", "name": "新", "kind": "partner"},
                        headers=headers)
    assert added.status_code == 201 and "z" in served(app)
    assert client.get("/edit/api/stations/nope").status_code == 404


# --- refusals: bad input, degraded store, full disk, fixed registry ---

BAD_FORMS = [
    ({"name": ""}, "&#39;&#39;: a value is required"),
    ({"kind": "castle"}, "unknown kind"),
    ({"opening_hours": "Mo-Xx 25:00"}, "opening hours not understood"),
    ({"lon": "abc"}, "&#39;abc&#39; is not a number."),
    ({"lat": "91"}, "&#39;91&#39; is out of range ±90."),
    ({"lon": ""}, "is not a number"),
    ({"coord_datum": "mars"}, "Unknown datum &#39;mars&#39;."),
    ({"precision_m": "-1"}, "must be a number of 0 or more"),
    ({"amenities": ["beer"]}, "unknown amenity"),
    ({"entry": "door"}, "unknown entry method"),
    ({"note": "x" * 2001}, "At most 2000 characters."),
    ({"lon": "nan"}, "is out of range"),
]


@pytest.mark.parametrize(("change", "message"), BAD_FORMS)
def test_bad_edit_forms_are_refused_and_kept(app: Flask, editor: tuple[FlaskClient, str],
                                             change: dict[str, Any], message: str) -> None:
    client, token = editor
    data = {**form_of(client.get("/edit/station/a").get_data(as_text=True)),
            "csrf_token": token, **change}
    response = client.post("/edit/station/a?lang=en", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page and "Nothing was saved" in page
    assert served(app)["a"] == GpkgStore(Path(app.config["STORE"])).stations()[0]
    assert [e.action for e in entries(app)] == ["import"]


@pytest.mark.parametrize(("url", "data", "status", "message"), [
    ("/edit/new", {"id": "a", "name": "dup", "kind": "partner"}, 409,
     "A station with id &#39;a&#39; already exists."),
    ("/edit/new", {"id": "", "name": "x", "kind": "partner"}, 400, "is required"),
    ("/edit/station/a/verify", {"verified": "2024-13-01"}, 400, "must look like 2024-05-01"),
    ("/edit/station/a/verify", {"verified": "2999-01-01"}, 400, "is in the future"),
    ("/edit/station/a/retire", {}, 400, "Tick the box"),
    ("/edit/station/zz/retire", {"confirm": "1"}, 404, "No station with id"),
])
def test_bad_action_requests(app: Flask, editor: tuple[FlaskClient, str], url: str,
                             data: dict[str, str], status: int, message: str) -> None:
    client, token = editor
    response = client.post(url + "?lang=en", data={**data, "csrf_token": token})
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert [e.action for e in entries(app)] == ["import"]


def test_text_at_the_import_limit_can_be_edited_and_saved(
        tmp_path: Path, write_registry: Any) -> None:
    # the import and the form share one limit (locator.text.MAX_TEXT): whatever an import
    # accepted, an editor can save again (the import took 20,000 characters, the form 2,000)
    from locator.text import MAX_TEXT

    long = {"id": "long", "name": "长" * MAX_TEXT, "kind": "partner", "lon": 103.84,
            "lat": 36.05, "address": "址" * MAX_TEXT, "note": "注" * MAX_TEXT}
    app = edit_app(tmp_path, write_registry([long]))
    client = app.test_client()
    token = sign_in(client, "editor")
    data = {**form_of(client.get("/edit/station/long").get_data(as_text=True)),
            "opening_hours": "24/7", "csrf_token": token}
    assert client.post("/edit/station/long", data=data).status_code == 302
    assert served(app)["long"].opening_hours == "24/7"
    assert served(app)["long"].name == "长" * MAX_TEXT


def test_outside_the_service_area_is_refused(tmp_path: Path, tiny_path: Path) -> None:
    app = edit_app(tmp_path, tiny_path, REGISTRY_BOUNDARY=None)
    client = app.test_client()
    token = sign_in(client, "editor")
    data = {**form_of(client.get("/edit/station/a").get_data(as_text=True)),
            "lon": "116.4", "lat": "39.9", "coord_datum": "wgs84", "csrf_token": token}
    response = client.post("/edit/station/a?lang=en", data=data)
    assert response.status_code == 400
    assert "is outside the service area" in response.get_data(as_text=True)


def test_every_write_is_refused_with_503_while_degraded(app: Flask,
                                                       editor: tuple[FlaskClient, str]) -> None:
    client, token = editor
    data = form_of(client.get("/edit/station/a").get_data(as_text=True))
    app.extensions["locator.web.health"] = Health(status="degraded", reason="store corrupt: test")
    writes = [("/edit/station/a", {**data, "name": "x"}),
              ("/edit/new", {**data, "id": "q", "name": "q"}),
              ("/edit/station/a/verify", {"etag": data["etag"], "verified": "2026-01-01"}),
              ("/edit/station/a/retire", {"etag": data["etag"], "confirm": "1"})]
    for url, form in writes:
        response = client.post(url, data={**form, "csrf_token": token})
        assert response.status_code == 503, url
        assert "甲站" in client.get("/edit/station/a").get_data(as_text=True)
    api = client.put("/edit/api/stations/a", json={"name": "x", "kind": "partner"},
                     headers={"X-CSRFToken": token, "If-Match": f'"{data["etag"]}"'})
    assert api.status_code == 503 and api.get_json()["error"]["code"] == "store_unavailable"
    assert [e.action for e in entries(app)] == ["import"]


def test_a_full_disk_is_a_clear_507_and_keeps_the_input(
        app: Flask, editor: tuple[FlaskClient, str], monkeypatch: pytest.MonkeyPatch) -> None:
    client, token = editor
    data = {**form_of(client.get("/edit/station/a").get_data(as_text=True)),
            "name": "我的新名字", "csrf_token": token}

    def full(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(GpkgStore, "write", full)
    response = client.post("/edit/station/a?lang=en", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 507
    assert "could not be written (database or disk is full); nothing was changed" in page
    assert 'value="我的新名字"' in page
    assert served(app)["a"].name == "甲站"


def test_a_save_whose_checkpoint_and_backup_fail_is_answered_stored_and_shown(
        app: Flask, editor: tuple[FlaskClient, str], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    # the disk fills between COMMIT and what follows it: the save stands, so the answer,
    # the served registry and the next edit must all say so (it was a 507 "nothing was
    # changed", the registry was not swapped and the next edit got 412); /healthz tells why
    from locator.registry.store import backup

    client, token = editor

    def checkpoint_full(_store: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    def backup_full(*_: object) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(GpkgStore, "_checkpoint", checkpoint_full)
    monkeypatch.setattr(backup, "write_backup", backup_full)
    data = {**form_of(client.get("/edit/station/a").get_data(as_text=True)),
            "name": "满盘之后", "csrf_token": token}
    saved = client.post("/edit/station/a?lang=en", data=data)
    assert saved.status_code == 302
    page = html.unescape(client.get(saved.headers["Location"]).get_data(as_text=True))
    assert "Version 2 is stored, but what follows a write failed" in page
    assert "Saved (version 2)." in page
    assert served(app)["a"].name == "满盘之后"
    store = store_of(app)
    try:
        assert store.active().id == 2  # type: ignore[union-attr]
    finally:
        store.close()
    assert "the WAL checkpoint failed" in caplog.text
    etag = client.get("/edit/api/stations/a").headers["ETag"]
    fields = editing.station_dict(served(app)["a"]) or {}
    again = client.put("/edit/api/stations/a", json={**fields, "note": "再改"},
                       headers={"X-CSRFToken": token, "If-Match": etag})
    assert again.status_code == 200, again.get_data(as_text=True)

    assert client.get("/healthz").get_json() == {"status": "warning", "writable": True,
                                                  "reports": {"open": 0, "accepted": 0,
                                                              "dismissed": 0}}
    admin = app.test_client()
    sign_in(admin, "admin")
    body = admin.get("/healthz").get_json()
    assert body["status"] == "warning" and body["writable"] is True
    assert [w.split(":")[0] for w in body["warnings"]] == [
        "version 3 is stored, but the WAL checkpoint failed",
        "version 3 is stored, but its backup was not refreshed"]

    monkeypatch.undo()  # room again: the next save settles and the warning is over
    etag = client.get("/edit/api/stations/a").headers["ETag"]
    assert client.put("/edit/api/stations/a", json={**fields, "note": "好了"},
                      headers={"X-CSRFToken": token, "If-Match": etag}).status_code == 200
    assert admin.get("/healthz").get_json() == {"status": "ok", "writable": True,
                                                 "reports": {"open": 0, "accepted": 0,
                                                             "dismissed": 0}}


def test_editing_is_refused_while_fixed_files_are_served(tiny_path: Path,
                                                         tmp_path: Path) -> None:
    app = edit_app(tmp_path, tiny_path, REGISTRY=str(tiny_path))
    client = app.test_client()
    token = sign_in(client, "editor")
    assert "Editing is off" in client.get("/edit/?lang=en").get_data(as_text=True)
    response = client.post("/edit/station/a/retire", data={"csrf_token": token, "confirm": "1"})
    assert response.status_code == 409


# --- the audit log ---

HOSTILE = ["=1+1", "'=x", "@SUM(A1)", "-2", "+3", '=HYPERLINK("http://e")',
           "<script>alert(1)</script>", '中,文"引号"']


def test_audit_rows_filters_and_exports_round_trip(app: Flask,
                                                   editor: tuple[FlaskClient, str]) -> None:
    client, token = editor
    for i, name in enumerate(HOSTILE):
        data = form_of(client.get("/edit/station/b").get_data(as_text=True))
        assert client.post("/edit/station/b", data={**data, "name": name, "note": f"n{i}",
                                                    "csrf_token": token}).status_code == 302
    found = entries(app)
    assert [(e.action, e.user, e.station_id) for e in found] == [
        *[("edit", "editor", "b")] * len(HOSTILE), ("import", "setup", "")]
    assert [e.after["name"] for e in found[:-1]] == HOSTILE[::-1]  # type: ignore[index]
    assert [e.version for e in found] == list(range(len(HOSTILE) + 1, 0, -1))
    for newer, older in itertools.pairwise(found[:-1]):
        assert newer.before == older.after  # each change starts where the last ended
    raw = client.get("/edit/audit.csv")
    assert raw.status_code == 200 and raw.mimetype == "text/csv"
    text = raw.get_data().decode("utf-8-sig")
    assert "\r\n'=1+1," not in text  # cells are quoted JSON; names sit inside the JSON text
    assert audit.from_csv(raw.get_data()) == found
    assert audit.from_json(client.get("/edit/audit.json").get_data()) == found
    only = client.get("/edit/audit.json?action=import")
    assert [e.action for e in audit.from_json(only.get_data())] == ["import"]
    by_user = audit.from_json(client.get("/edit/audit.json?user=setup").get_data())
    assert [e.user for e in by_user] == ["setup"]
    today = date.today().isoformat()
    dated = audit.from_json(client.get(f"/edit/audit.json?since={today}&until={today}&"
                                       "station=b").get_data())
    assert len(dated) == len(HOSTILE)
    assert audit.from_json(client.get("/edit/audit.json?until=2000-01-01").get_data()) == []
    page = client.get("/edit/audit").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page


def test_csv_cells_that_look_like_formulas_are_neutralised() -> None:
    entry = audit.AuditEntry("2026-01-01T00:00:00+00:00", "=cmd", "edit", "@id", 2, None,
                             {"name": "=1+1"})
    text = audit.to_csv([entry]).decode("utf-8-sig")
    assert ",'=cmd,edit,'@id,2,," in text
    assert audit.from_csv(audit.to_csv([entry])) == [entry]


@pytest.mark.parametrize(("query", "message"), [
    ("since=yesterday", "since must be a date like 2024-05-01, got &#39;yesterday&#39;"),
    ("until=2024-02-30", "until must be a date"),
    ("since=2024-05-02&until=2024-05-01", "since (2024-05-02) is after until (2024-05-01)"),
    ("action=delete", "Unknown action &#39;delete&#39;"),
])
def test_bad_audit_filters(app: Flask, editor: tuple[FlaskClient, str], query: str,
                           message: str) -> None:
    client, _token = editor
    response = client.get(f"/edit/audit?lang=en&{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_rollback_appears_in_the_audit_log(app: Flask, editor: tuple[FlaskClient, str]) -> None:
    client, token = editor
    data = form_of(client.get("/edit/station/a").get_data(as_text=True))
    client.post("/edit/station/a", data={**data, "note": "x", "csrf_token": token})
    store = open_store(app.config["STORE"])
    store.rollback(user="ops")
    assert [(e.action, e.user, e.version) for e in audit.entries(store)][:2] == [
        ("rollback", "ops", 1), ("edit", "editor", 2)]
    store.close()


def test_the_first_edit_on_a_fresh_install_copies_the_served_registry(tmp_path: Path) -> None:
    from locator import create_app
    from tests.accounts_util import make_users

    app = create_app({"TESTING": True, "STORE": str(tmp_path / "fresh.gpkg"),
                      "USERS_DB": str(make_users(tmp_path / "users.sqlite"))})
    shipped = list(app.extensions["locator"].stations)
    client = app.test_client()
    token = sign_in(client, "editor")
    first = shipped[0]
    data = form_of(client.get(f"/edit/station/{first.id}").get_data(as_text=True))
    response = client.post(f"/edit/station/{first.id}", data={**data, "note": "核实过",
                                                              "csrf_token": token})
    assert response.status_code == 302
    store = store_of(app)
    try:
        [version] = store.history()  # one version: the served registry plus the edit
        rows = store.stations()
    finally:
        store.close()
    assert version.user == "editor" and len(rows) == len(shipped)
    assert rows[1:] == shipped[1:] and rows[0].note == "核实过"
    assert sum(s.synthetic for s in rows) == sum(s.synthetic for s in shipped)  # still flagged


def test_hostile_names_show_as_text_on_every_editing_page(app: Flask,
                                                          editor: tuple[FlaskClient, str]) -> None:
    from tests.conftest import HOSTILE_MORE

    client, token = editor
    for i, name in enumerate(HOSTILE_MORE):
        data = {**form_of(client.get("/edit/new").get_data(as_text=True)), "id": f"h{i}",
                "name": name, "kind": "partner", "csrf_token": token}
        assert client.post("/edit/new", data=data).status_code == 302
    pages = [client.get(url).get_data(as_text=True) for url in (
        "/edit/", "/edit/audit", *(f"/edit/station/h{i}" for i in range(len(HOSTILE_MORE))))]
    for name in HOSTILE_MORE:
        if any(c in name for c in "<>\"'&"):
            assert all(name not in page for page in pages), name
    assert [served(app)[f"h{i}"].name for i in range(len(HOSTILE_MORE))] == [
        n.strip() for n in HOSTILE_MORE]


def test_saving_an_unchanged_form_writes_nothing(app: Flask,
                                                 editor: tuple[FlaskClient, str]) -> None:
    client, token = editor
    data = form_of(client.get("/edit/station/a").get_data(as_text=True))
    response = client.post("/edit/station/a?lang=en", data={**data, "csrf_token": token},
                           follow_redirects=True)
    assert "Nothing changed." in response.get_data(as_text=True)
    assert [e.action for e in entries(app)] == ["import"]
