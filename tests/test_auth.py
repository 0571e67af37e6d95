"""Signing in and out, the roles matrix, open-redirect attempts, the login rate limit, cookies."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from locator.registry.accounts import UserStore
from tests.accounts_util import PASSWORD, csrf_of, edit_app, sign_in


@pytest.fixture
def app(tmp_path: Path, tiny_path: Path) -> Flask:
    return edit_app(tmp_path, tiny_path)


def anonymous_token(client: FlaskClient) -> str:
    return csrf_of(client.get("/login").get_data(as_text=True))


def test_sign_in_then_out(app: Flask) -> None:
    client = app.test_client()
    token = sign_in(client, "editor", next_url="/edit/audit")
    assert client.get("/edit/").status_code == 200
    assert "editor" in client.get("/edit/?lang=en").get_data(as_text=True)
    refused = client.post("/logout", data={"csrf_token": "forged"})
    assert refused.status_code == 400  # signing out needs the token too
    assert client.get("/edit/").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/edit/").status_code == 302


def test_sign_in_goes_to_next(app: Flask) -> None:
    client = app.test_client()
    token = anonymous_token(client)
    response = client.post("/login", data={"name": "viewer", "password": PASSWORD,
                                           "csrf_token": token, "next": "/edit/audit?user=x"})
    assert response.headers["Location"] == "/edit/audit?user=x"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example/", "\\\\evil.example",
    "http:/evil.example", "javascript:alert(1)", "/%0d%0aSet-Cookie:x=1", "/\tevil",
    "evil.example", "", "///evil.example", "https:evil.example",
])
def test_next_never_leaves_the_site(app: Flask, target: str) -> None:
    client = app.test_client()
    token = anonymous_token(client)
    response = client.post("/login", data={"name": "viewer", "password": PASSWORD,
                                           "csrf_token": token, "next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert "evil" not in location.split("?")[0].lstrip("/").split("/")[0]


def test_wrong_password_and_unknown_user_get_the_same_answer(app: Flask) -> None:
    answers = []
    for name, password in (("editor", "wrong password!"), ("nobody", PASSWORD)):
        client = app.test_client()
        token = anonymous_token(client)
        response = client.post("/login?lang=en", data={"name": name, "password": password,
                                                       "csrf_token": token})
        page = response.get_data(as_text=True)
        assert response.status_code == 401
        assert "Wrong user name or password." in page
        answers.append(page.replace(name, "NAME").replace(token, "TOKEN"))
        assert client.get("/edit/").status_code == 302  # still signed out
    assert len(set(a.split('name="csrf_token" value="')[0] for a in answers)) == 1


def test_login_without_csrf_is_refused(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/login", data={"name": "editor", "password": PASSWORD})
    assert response.status_code == 400


def test_login_is_rate_limited(tmp_path: Path, tiny_path: Path) -> None:
    app = edit_app(tmp_path, tiny_path, API_RATE_LIMIT_ENABLED=True,
                   LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    token = anonymous_token(client)
    codes = [client.post("/login", data={"name": "editor", "password": "wrong password!",
                                         "csrf_token": token}).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    ok = client.post("/login", data={"name": "editor", "password": PASSWORD,
                                     "csrf_token": token})
    assert ok.status_code == 429  # the right password does not skip the limit
    assert client.get("/login").status_code == 200  # the form itself is not limited


def test_session_cookie_is_httponly_and_lax_and_secure_when_configured(
        tmp_path: Path, tiny_path: Path) -> None:
    for secure in (False, True):
        app = edit_app(tmp_path / str(secure), tiny_path, SESSION_COOKIE_SECURE=secure)
        client = app.test_client()
        token = anonymous_token(client)
        response = client.post("/login", data={"name": "editor", "password": PASSWORD,
                                               "csrf_token": token},
                               base_url="https://localhost" if secure else "http://localhost")
        cookie = next(v for k, v in response.headers.items()
                      if k == "Set-Cookie" and v.startswith("session="))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure


def test_a_password_change_signs_the_user_out(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, "editor")
    assert client.get("/edit/").status_code == 200
    with UserStore(app.config["USERS_DB"]) as users:
        users.set_password("editor", "a brand new password")
    assert client.get("/edit/").status_code == 302


def test_a_forged_session_is_refused(app: Flask) -> None:
    client = app.test_client()
    with client.session_transaction() as forged:  # as if SECRET_KEY were known
        forged["_user_id"] = "not-a-session-id"
    assert client.get("/edit/").status_code == 302


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(app: Flask) -> None:
    # sign-out only cleared the browser's cookie: a copy taken before (a shared computer,
    # a proxy log) kept opening /edit/
    client = app.test_client()
    token = sign_in(client, "editor")
    copied = session_cookie(client)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/edit/").status_code == 302
    assert thief.get("/edit/api/stations/a", headers={"Accept": "application/json"}
                     ).status_code == 401


@pytest.mark.parametrize(("column", "minus_s"), [("seen", 61 * 60), ("started", 12 * 3600 + 1)])
def test_a_session_ends_after_its_idle_and_absolute_lifetimes(app: Flask, column: str,
                                                             minus_s: int) -> None:
    import sqlite3

    client = app.test_client()
    sign_in(client, "editor")
    assert client.get("/edit/").status_code == 200
    con = sqlite3.connect(app.config["USERS_DB"])
    with con:  # an hour without a request, or twelve since sign-in (the defaults)
        con.execute(f"UPDATE sessions SET {column} = {column} - ?", (minus_s,))
    con.close()
    assert client.get("/edit/").status_code == 302


def test_the_cookie_expires_with_the_session(tmp_path: Path, tiny_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    app = edit_app(tmp_path, tiny_path, SESSION_IDLE_MINUTES=30, SESSION_MAX_HOURS=2)
    client = app.test_client()
    sign_in(client, "editor")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is not None
    left = cookie.expires - datetime.now(UTC)
    assert timedelta(minutes=28) < left <= timedelta(minutes=30)
    short = edit_app(tmp_path / "short", tiny_path, SESSION_IDLE_MINUTES=600,
                     SESSION_MAX_HOURS=1)
    client = short.test_client()
    sign_in(client, "editor")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is not None
    left = cookie.expires - datetime.now(UTC)
    assert timedelta(minutes=58) < left <= timedelta(hours=1)  # capped by the absolute limit


# --- the roles matrix: (method, url, JSON?) → status for anonymous, viewer, editor, admin ---

ANY = {"anonymous": 302, "viewer": 200, "editor": 200, "admin": 200}
EDITORS = {"anonymous": 302, "viewer": 403, "editor": 200, "admin": 200}
MATRIX = [
    ("GET", "/edit/", ANY),
    ("GET", "/edit/station/a", ANY),
    ("GET", "/edit/audit", ANY),
    ("GET", "/edit/audit.csv", ANY),
    ("GET", "/edit/audit.json", ANY),
    ("GET", "/edit/new", EDITORS),
    ("GET", "/admin/registry/", EDITORS),
    ("POST", "/edit/new", {**EDITORS, "editor": 400, "admin": 400}),  # empty form: 400
    ("POST", "/edit/station/a", {**EDITORS, "editor": 400, "admin": 400}),  # empty form
    ("POST", "/edit/station/a/retire", {**EDITORS, "editor": 400, "admin": 400}),  # unticked
    ("POST", "/edit/station/a/verify", {**EDITORS, "editor": 400, "admin": 400}),  # no date
    ("GET", "/edit/api/stations/a", {**ANY, "anonymous": 401}),
    ("PUT", "/edit/api/stations/a", {"anonymous": 401, "viewer": 403, "editor": 428,
                                     "admin": 428}),
    ("DELETE", "/edit/api/stations/a", {"anonymous": 401, "viewer": 403, "editor": 428,
                                        "admin": 428}),
    ("POST", "/edit/api/stations", {"anonymous": 401, "viewer": 403, "editor": 400,
                                    "admin": 400}),
]


@pytest.mark.parametrize("who", ["anonymous", "viewer", "editor", "admin"])
def test_roles_matrix(app: Flask, who: str) -> None:
    client = app.test_client()
    token = anonymous_token(client) if who == "anonymous" else sign_in(client, who)
    got = {}
    for method, url, _expected in MATRIX:
        response = client.open(url, method=method, data={"csrf_token": token}
                               if method != "GET" and "/api/" not in url else None,
                               headers={"X-CSRFToken": token})
        got[(method, url)] = response.status_code
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login?next=")
        if response.status_code in (401, 403) and "/api/" in url:
            assert response.get_json()["error"]["code"] in ("unauthorized", "forbidden")
    assert got == {(m, u): e[who] for m, u, e in MATRIX}
    # nothing was written by any of these
    assert [s.id for s in app.extensions["locator"].stations] == ["a", "b", "c", "d", "e"]
