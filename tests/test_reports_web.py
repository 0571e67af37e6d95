"""Workers' reports on the web: the anonymous form, its rate limit and CSRF check, the public
mark (never the text), the editors' inbox, accept-then-edit and dismiss, and the counts."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from locator.registry import audit
from locator.registry.reports import Status
from locator.registry.store import open_store
from tests.accounts_util import csrf_of, edit_app, sign_in
from tests.test_editing import form_of

SECRET = "门口的保安说下周搬走"  # noqa: S105 - a worker's words, not a password
MARK = "有用户报告可能已变化"


@pytest.fixture
def app(tmp_path: Path, tiny_path: Path) -> Flask:
    return edit_app(tmp_path, tiny_path)


def send(client: FlaskClient, station_id: str = "b", **fields: str) -> tuple[int, str]:
    """Fill the report form as a worker would; the status and the page reached."""
    token = csrf_of(client.get(f"/report/{station_id}").get_data(as_text=True))
    data = {"csrf_token": token, "reason": "amenity_missing", "amenity": "water",
            "text": SECRET, **fields}
    response = client.post(f"/report/{station_id}", data=data)
    if response.status_code == 303:
        page = client.get(response.headers["Location"])
        return 303, page.get_data(as_text=True)
    return response.status_code, response.get_data(as_text=True)


def stored(app: Flask) -> list[object]:
    store = open_store(app.config["STORE"])
    try:
        return list(store.reports.find(limit=None))
    finally:
        store.close()


def test_a_report_is_kept_anonymously_with_the_station_and_its_version(app: Flask) -> None:
    worker = app.test_client()
    status, page = send(worker, text=f"  {SECRET}\n  ")
    assert status == 303 and "谢谢" in page
    (report,) = stored(app)
    assert report.station_id == "b" and report.station_version == 1  # type: ignore[attr-defined]
    assert report.text == SECRET and report.status is Status.OPEN  # type: ignore[attr-defined]
    assert len(report.station_etag) == 20  # type: ignore[attr-defined]
    # nothing about the sender is kept: the table has no column for it
    store = open_store(app.config["STORE"])
    try:
        columns = [row[1] for row in store._con.execute(  # type: ignore[attr-defined]
            "PRAGMA table_info(station_reports)")]
    finally:
        store.close()
    assert not {"ip", "remote_addr", "user", "user_agent", "session"} & set(columns)


def test_the_public_sees_a_mark_never_the_text(app: Flask) -> None:
    send(app.test_client())
    public = app.test_client()
    for path in ("/?lat=36.053&lon=103.841", "/embed?lat=36.053&lon=103.841",
                 "/api/v1/nearest?lat=36.053&lon=103.841", "/api/v1/stations/b",
                 "/station/b", "/share/b", "/report/b"):
        body = public.get(path).get_data(as_text=True)
        assert SECRET not in body, path
    finder = public.get("/?lat=36.053&lon=103.841").get_data(as_text=True)
    cards = {m.group(1): m.group(2) for m in re.finditer(
        r'<li class="hit" data-station-id="(\w+)">(.*?)(?=<li class="hit"|</ol>)', finder, re.S)}
    assert MARK in cards["b"] and MARK not in cards["a"]
    assert public.get("/station/b").get_json()["reported"] is True
    assert MARK in public.get("/embed?lat=36.053&lon=103.841").get_data(as_text=True)
    assert public.get("/healthz").get_json()["reports"] == {"open": 1, "accepted": 0,
                                                            "dismissed": 0}


def test_a_report_without_the_form_token_is_refused(app: Flask) -> None:
    response = app.test_client().post("/report/b", data={"reason": "closed"})
    assert response.status_code == 400 and "csrf_failed" in response.get_data(as_text=True)
    assert stored(app) == []


@pytest.mark.parametrize(("fields", "says"), [
    ({"reason": ""}, "请选择驿站有什么问题。"), ({"amenity": ""}, "请选择缺少哪项设施。"),
    ({"reason": "other", "text": "字" * 501}, "文字请不要超过 500 个字。"),
])
def test_a_bad_report_keeps_what_was_typed(app: Flask, fields: dict[str, str],
                                           says: str) -> None:
    status, page = send(app.test_client(), **{"text": "我写的话", **fields})
    assert status == 400 and says in page
    assert ("我写的话" in page) or ("字" * 501 in page)
    assert stored(app) == []


def test_an_unknown_station_cannot_be_reported(app: Flask) -> None:
    assert app.test_client().get("/report/zzz").status_code == 404


def test_reports_are_limited_per_client(tmp_path: Path, tiny_path: Path) -> None:
    app = edit_app(tmp_path, tiny_path, API_RATE_LIMIT_ENABLED=True,
                   REPORT_RATE_LIMIT="2 per minute")
    one = app.test_client()
    assert [send(one)[0] for _ in range(2)] == [303, 303]
    status, page = send(one)
    assert status == 429 and "请求过于频繁" in page
    token = csrf_of(one.get("/report/b").get_data(as_text=True))  # reading is not limited
    refused = one.post("/report/b", data={"csrf_token": token, "reason": "closed"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.2"  # another phone
    assert send(other)[0] == 303
    assert len(stored(app)) == 3


def test_editors_accept_then_save_the_prefilled_edit(app: Flask) -> None:
    send(app.test_client())
    viewer = app.test_client()
    sign_in(viewer, "viewer")
    inbox = viewer.get("/edit/reports/").get_data(as_text=True)
    assert SECRET in inbox and "采纳并修改" not in inbox  # viewers read, never act
    token = csrf_of(inbox)
    assert viewer.post("/edit/reports/1/accept", data={"csrf_token": token}).status_code == 403

    editor = app.test_client()
    token = sign_in(editor, "editor")
    inbox = editor.get("/edit/reports/").get_data(as_text=True)
    assert "缺少列出的设施：饮用水" in inbox and "采纳并修改" in inbox
    accepted = editor.post("/edit/reports/1/accept", data={"csrf_token": token})
    assert accepted.status_code == 302
    assert accepted.headers["Location"].endswith("/edit/station/b?report=1")
    form_page = editor.get(accepted.headers["Location"]).get_data(as_text=True)
    assert "用户报告 1（已采纳）" in form_page and html.escape(SECRET) in form_page
    fields = form_of(form_page)
    assert "water" not in fields.get("amenities", [])  # the reported change, made for them
    assert fields["report"] == "1"
    saved = editor.post("/edit/station/b", data=fields)
    assert saved.status_code == 302
    b = next(s for s in app.extensions["locator"].stations if s.id == "b")
    assert not b.amenities
    store = open_store(app.config["STORE"])
    try:
        found = audit.entries(store)
        report = store.reports.get(1)
    finally:
        store.close()
    assert report is not None and report.status is Status.ACCEPTED
    assert report.handled_by == "editor"
    actions = [e.action for e in found]
    assert actions[:3] == ["edit", "report_accepted", "report"]
    edit_record = store_report_of(app, found[0].version)
    assert edit_record["report"] == 1
    # handled: a second editor finds it done, and workers no longer see the mark
    again = editor.post("/edit/reports/1/accept", data={"csrf_token": token})
    assert again.status_code == 409
    assert MARK not in app.test_client().get("/?lat=36.053&lon=103.841").get_data(as_text=True)


def store_report_of(app: Flask, version: int) -> dict[str, object]:
    """The audit record stored with an edit's version."""
    store = open_store(app.config["STORE"])
    try:
        report = store.report(version) or {}
    finally:
        store.close()
    record: dict[str, object] = report["audit"][0]
    return record


def test_dismissing_keeps_the_station(app: Flask) -> None:
    send(app.test_client(), reason="closed", amenity="")
    editor = app.test_client()
    token = sign_in(editor, "editor")
    response = editor.post("/edit/reports/1/dismiss", data={"csrf_token": token})
    assert response.status_code == 302
    assert "已驳回报告 1。" in editor.get(response.headers["Location"]).get_data(as_text=True)
    assert any(s.id == "b" for s in app.extensions["locator"].stations)
    listed = editor.get("/edit/reports/?status=dismissed").get_data(as_text=True)
    assert re.search(r"已驳回 · editor", listed)
    assert editor.get("/edit/reports/?status=nonsense").status_code == 400


def test_a_closure_report_opens_the_retire_form_ticked(app: Flask) -> None:
    send(app.test_client(), reason="closed", amenity="")
    editor = app.test_client()
    token = sign_in(editor, "editor")
    page = editor.get(editor.post("/edit/reports/1/accept", data={"csrf_token": token})
                      .headers["Location"]).get_data(as_text=True)
    retire = page[page.index('/edit/station/b/retire'):]
    retire = retire[:retire.index("</form>")]
    assert 'name="report" value="1"' in retire and "required checked" in retire
    etag = re.search(r'name="etag" value="([^"]+)"', retire)
    assert etag is not None
    done = editor.post("/edit/station/b/retire", data={"csrf_token": token, "confirm": "1",
                                                       "etag": etag.group(1), "report": "1"})
    assert done.status_code == 302
    assert all(s.id != "b" for s in app.extensions["locator"].stations)
    store = open_store(app.config["STORE"])
    try:
        last = audit.entries(store)[0]
    finally:
        store.close()
    assert last.action == "retire"
    assert store_report_of(app, last.version)["report"] == 1
