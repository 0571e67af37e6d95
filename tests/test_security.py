"""Security headers, nonces, CSRF, request size limits and the 500 page (no browser needed).

The browser side — zero CSP violations on every page, injected script blocked — is in
``test_browser_security.py``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from locator import create_app
from locator.web.http import csp
from locator.web.http.security import content_security_policy, tile_sources
from tests.accounts_util import csrf_of, make_users

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
STATIC_JS = Path(__file__).resolve().parents[1] / "locator" / "static" / "js"
PAGES = ["/", "/?lang=en&tiles=osm", "/embed", "/embed/builder", "/api/v1/docs",
         "/planner/?area=620102", "/login", "/no-such-page"]


@pytest.fixture
def sec_app(tmp_path: Path, tiny_path: Path) -> Flask:
    return create_app({"TESTING": True, "REGISTRY": str(tiny_path), "PLANNER_RESOLUTION": 7,
                       "USERS_DB": str(make_users(tmp_path / "users.sqlite"))})


def policy(response: object) -> dict[str, str]:
    headers = response.headers  # type: ignore[attr-defined]
    values = headers.get_all("Content-Security-Policy")
    assert len(values) == 1, values  # one policy, frame-ancestors included
    return {d.split()[0]: d for d in (p.strip() for p in values[0].split(";")) if d}


@pytest.mark.parametrize("url", [*PAGES, "/api/v1/stations", "/healthz",
                                 "/static/css/app.css", "/api/v1/nearest?lat=x&lon=1"])
def test_every_response_carries_the_headers(sec_app: Flask, url: str) -> None:
    with sec_app.test_client().get(url) as response:
        found = policy(response)
        assert "'unsafe-inline'" not in found["script-src"]
        assert "'unsafe-eval'" not in found["script-src"]
        assert "'unsafe-inline'" not in found["style-src"]
        assert found["object-src"] == "object-src 'none'"
        assert found["base-uri"] == "base-uri 'none'"
        assert found["form-action"] == "form-action 'self'"
        assert found["default-src"] == "default-src 'self'"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "Strict-Transport-Security" not in response.headers  # plain HTTP


def test_hsts_only_over_https(sec_app: Flask) -> None:
    secure = sec_app.test_client().get("/healthz", base_url="https://locator.example")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize("url", [u for u in PAGES if u != "/api/v1/docs"])
def test_every_inline_script_and_style_carries_this_requests_nonce(sec_app: Flask,
                                                                   url: str) -> None:
    client = sec_app.test_client()
    response = client.get(url)
    page = response.get_data(as_text=True)
    inline = re.findall(r"<(?:script|style)\b(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>",
                        page)
    nonce = re.search(r"'nonce-([^']+)'", policy(response)["script-src"])
    if not inline:
        return
    assert nonce is not None, "inline code but no nonce in the policy"
    assert all(f'nonce="{nonce.group(1)}"' in tag for tag in inline), inline
    again = re.search(r"'nonce-([^']+)'", policy(client.get(url))["script-src"])
    assert again is not None and again.group(1) != nonce.group(1)  # a new one per request


def test_no_template_or_script_uses_inline_handlers_or_javascript_urls() -> None:
    handler = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not handler.search(text), path
        assert "javascript:" not in text.lower(), path
        assert not re.search(r"<script(?![^>]*\b(src|nonce)=)(?![^>]*application/json)", text), \
            f"{path}: an inline <script> without nonce"
    for path in STATIC_JS.glob("*.js"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\b(eval|new Function)\s*\(", text), path
        assert not re.search(r"setAttribute\(\s*[\"']on", text), path


def test_with_nonce_marks_only_tags_that_lack_one() -> None:
    html = '<script>a()</script><style>b{}</style><script nonce="x">c()</script><p>script</p>'
    assert csp.with_nonce(html, "N") == ('<script nonce="N">a()</script><style nonce="N">b{}'
                                         '</style><script nonce="x">c()</script><p>script</p>')
    assert csp.with_nonce(html, "") == html  # outside a request: no policy, no change


def test_policy_text_and_tile_sources() -> None:
    assert tile_sources(["https://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}",
                         "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                         "https://t{s}.tianditu.gov.cn/cva_w/wmts"]) == (
        "https://*.tianditu.gov.cn", "https://tile.openstreetmap.org")
    text = content_security_policy("abc", "frame-ancestors 'none'", ["https://a.example"])
    assert "script-src 'self' 'nonce-abc'" in text
    assert "img-src 'self' data: https://a.example" in text
    assert text.endswith("frame-ancestors 'none'")
    assert "nonce" not in content_security_policy(None, "frame-ancestors 'none'")


# --- CSRF -------------------------------------------------------------------------------

def test_a_form_post_without_the_token_is_refused_before_the_view(sec_app: Flask) -> None:
    client = sec_app.test_client()
    refused = client.post("/login", data={"name": "editor", "password": "x" * 12})
    assert refused.status_code == 400
    assert "csrf_failed" in refused.get_data(as_text=True)
    english = client.post("/login?lang=en", data={"name": "editor"})
    assert "did not come from this site" in english.get_data(as_text=True)
    forged = client.post("/login", data={"name": "editor", "password": "x" * 12,
                                         "csrf_token": "forged"})
    assert forged.status_code == 400
    token = csrf_of(client.get("/login").get_data(as_text=True))
    wrong = client.post("/login", data={"name": "editor", "password": "x" * 12,
                                        "csrf_token": token})
    assert wrong.status_code == 401  # the view ran: the token was good


def test_csrf_refusals_are_json_for_json_clients(sec_app: Flask) -> None:
    client: FlaskClient = sec_app.test_client()
    response = client.put("/edit/api/stations/a", json={"name": "x"})
    assert response.status_code == 400  # checked before sign-in, before the view
    assert response.get_json()["error"]["code"] == "csrf_failed"


def test_safe_methods_never_need_a_token(sec_app: Flask) -> None:
    client = sec_app.test_client()
    for method in ("get", "head", "options"):
        assert getattr(client, method)("/api/v1/stations").status_code in (200, 204)


# --- size limits and errors -------------------------------------------------------------

def test_a_body_over_the_limit_is_413_naming_it(tiny_path: Path) -> None:
    app = create_app({"TESTING": True, "REGISTRY": str(tiny_path), "MAX_CONTENT_LENGTH": 1000})
    client = app.test_client()
    page = client.post("/login", data={"name": "x" * 5000})
    assert page.status_code == 413
    assert "5005" in page.get_data(as_text=True) and "1000" in page.get_data(as_text=True)
    english = client.post("/login?lang=en", data={"name": "x" * 5000})
    assert "1000 accepted" in english.get_data(as_text=True)
    api = client.post("/api/v1/nearest", data=b"x" * 2000,
                      headers={"Content-Type": "application/octet-stream"})
    assert api.status_code in (405, 413)  # no POST route there: 405 before the body is read


def test_uploads_may_exceed_the_general_limit_up_to_import_max_bytes(tmp_path: Path,
                                                                     tiny_path: Path) -> None:
    from tests.accounts_util import edit_app, sign_in

    app = edit_app(tmp_path, tiny_path, MAX_CONTENT_LENGTH=1000, IMPORT_MAX_BYTES=200_000)
    client = app.test_client()
    token = sign_in(client, "editor")
    big = client.post("/admin/registry/preview", content_type="multipart/form-data",
                      data={"csrf_token": token, "datum": "wgs84", "mapping": "",
                            "file": (io.BytesIO(b"\x00\xff" * 50_000), "big.csv")})
    assert big.status_code == 422  # read and refused for its content, not for its size
    huge = client.post("/admin/registry/preview", content_type="multipart/form-data",
                       data={"csrf_token": token, "datum": "wgs84", "mapping": "",
                             "file": (io.BytesIO(b"x" * 300_000), "huge.csv")})
    assert huge.status_code == 413 and "265536" in huge.get_data(as_text=True)


@pytest.mark.parametrize(("path", "json_body"), [("/", False), ("/api/v1/stations", True)])
def test_a_bug_shows_an_error_id_never_a_trace(tiny_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture, path: str,
                                               json_body: bool) -> None:
    app = create_app({"TESTING": True, "REGISTRY": str(tiny_path),
                      "PROPAGATE_EXCEPTIONS": False})
    endpoint = app.url_map.bind("localhost").match(path)[0]

    def broken(*_: object, **__: object) -> str:
        raise RuntimeError("secret /etc/passwd detail in a traceback")

    monkeypatch.setitem(app.view_functions, endpoint, broken)
    response = app.test_client().get(path + "?lang=en")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Traceback" not in text and "/etc/passwd" not in text and "RuntimeError" not in text
    if json_body:
        error = response.get_json()["error"]
        assert error["code"] == "internal_error" and re.fullmatch(r"[0-9a-f]{8}",
                                                                  error["incident"])
        incident = error["incident"]
    else:
        found = re.search(r"error ([0-9a-f]{8})", text)
        assert found is not None
        incident = found.group(1)
    assert incident in caplog.text and "secret /etc/passwd" in caplog.text  # for the logs only
    assert "Content-Security-Policy" in response.headers
