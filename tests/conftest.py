"""Shared fixtures: tiny hand-made registries and app/client factories."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from locator import create_app

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "lanzhou"

# Station names that must show as text everywhere: the four the finder issue names, then
# more that break naive HTML/JS/JSON embedding.
HOSTILE_NAMES: list[str] = ["<img src=x onerror=alert(1)>", "${alert(1)}", "`+alert(1)+`",
                            "C:\\站\\"]
HOSTILE_MORE: list[str] = [*HOSTILE_NAMES, "</script><script>alert(1)</script>", "<!-- x",
                           "line\u2028sep\u2029para"]

# A few stations around Dongfanghong Square (东方红广场), WGS-84.
TINY: list[dict[str, Any]] = [
    {"id": "a", "name": "甲站", "kind": "smart_station", "lon": 103.8400, "lat": 36.0530,
     "opening_hours": "24/7", "amenities": ["water", "toilet"], "entry": "qr_code"},
    {"id": "b", "name": "乙站", "kind": "box_station", "lon": 103.8500, "lat": 36.0530,
     "opening_hours": "Mo-Fr 09:00-17:00", "amenities": ["water"]},
    {"id": "c", "name": "丙站", "kind": "gig_market", "lon": 103.8400, "lat": 36.0630,
     "opening_hours": "Mo-Su 18:00-06:00", "amenities": ["ebike_charging", "water"]},
    {"id": "d", "name": "丁站", "kind": "drivers_home", "lon": 103.7000, "lat": 36.1000},
    {"id": "e", "name": "戊站 (location unknown)", "kind": "labor_park", "lon": None, "lat": None},
]


def feature_collection(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """GeoJSON for registry rows given with flat lon/lat."""
    features = []
    for row in rows:
        props = {k: v for k, v in row.items() if k not in ("lon", "lat")}
        geom = (None if row.get("lon") is None
                else {"type": "Point", "coordinates": [row["lon"], row["lat"]]})
        features.append({"type": "Feature", "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "features": features}


@pytest.fixture
def write_registry(tmp_path: Path) -> Callable[[list[dict[str, Any]]], Path]:
    """Write rows as a GeoJSON registry file and return its path."""
    counter = iter(range(1_000_000))

    def write(rows: list[dict[str, Any]]) -> Path:
        path = tmp_path / f"registry-{next(counter)}.geojson"
        path.write_text(json.dumps(feature_collection(rows), ensure_ascii=False),
                        encoding="utf-8")
        return path

    return write


@pytest.fixture
def tiny_path(write_registry: Callable[[list[dict[str, Any]]], Path]) -> Path:
    """The TINY registry on disk."""
    return write_registry(TINY)


@pytest.fixture
def app(tiny_path: Path) -> Iterator[Flask]:
    """An app serving the TINY registry."""
    yield create_app({"TESTING": True, "REGISTRY": str(tiny_path)})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of :func:`app`."""
    return app.test_client()


@pytest.fixture(scope="session")
def shipped_app() -> Flask:
    """An app serving the shipped Lanzhou data, as ``make run`` does."""
    return create_app({"TESTING": True})


@pytest.fixture
def shared() -> Path:
    """The scouted data folder beside the repo; skips when a user's clone lacks it."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (only the project's own machines have it)")
    return SHARED


# --- browser tests: Debian's Chromium driven by Playwright, against servers on 127.0.0.1 ---

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A headless Chromium (skips loudly when /usr/bin/chromium is absent)."""
    if not CHROMIUM.exists():
        pytest.skip(f"BROWSER TESTS SKIPPED: {CHROMIUM} is missing (make test installs the "
                    "Debian package 'chromium' when run as root)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _buffered(app: Flask) -> Callable[..., Iterable[bytes]]:
    """``app`` with each response body read into memory and its iterable closed at once.

    Werkzeug's development server skips ``close()`` on the response iterable when the client
    drops the connection while the server drains the request (the read in its ``finally``
    raises first). A browser that cancels a static-file download — an iframe reloaded by the
    embed builder, say — then leaves Flask's file handle to the garbage collector, and the
    ``ResourceWarning`` fails a random later test under ``filterwarnings = error``. Buffering
    closes every file before a byte is sent; the test pages are small.
    """
    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
    return wsgi


@pytest.fixture
def live_server() -> Iterator[Callable[[Flask], str]]:
    """Serve Flask apps on 127.0.0.1 (a free port each) in threads; returns base URLs."""
    from werkzeug.serving import make_server

    servers: list[Any] = []

    def serve(app: Flask) -> str:
        server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


_CSP_WATCH = """window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.effectiveDirective + " blocked " + (e.blockedURI || "inline") +
                              " at " + e.sourceFile + ":" + e.lineNumber);
});"""


class PageWatch:
    """What a page did: dialogs, script errors, local requests and blocked outside requests."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.local: list[str] = []
        self.blocked: list[str] = []
        page.route("**/*", self._route)
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.add_init_script(_CSP_WATCH)  # every frame records its CSP violations

    def csp_violations(self) -> list[str]:
        """Every Content-Security-Policy violation reported so far, in every frame."""
        found: list[str] = []
        for frame in self.page.frames:
            found += frame.evaluate("window.__cspViolations || []")
        return found

    def _route(self, route: Any) -> None:
        url = urlsplit(route.request.url)
        if url.hostname == "127.0.0.1":
            self.local.append(url.path)
            route.continue_()
        else:  # nothing may leave the machine: tiles are blocked as behind a firewall
            self.blocked.append(route.request.url)
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def screenshot(self, name: str) -> Path:
        """Save a full-page screenshot under test-artifacts/ and return its path."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=False)
        return path


@pytest.fixture
def open_page(chromium: Any) -> Iterator[Callable[..., PageWatch]]:
    """Open a URL in a fresh context (viewport, geolocation…) with every outside request blocked."""
    contexts: list[Any] = []

    def open_(url: str, **context_options: Any) -> PageWatch:
        # requests a service worker answers would pass by the watch's routes: none here
        # (tests/test_browser_phone.py runs the finder's own worker in a context of its own)
        context_options.setdefault("service_workers", "block")
        context = chromium.new_context(**context_options)
        contexts.append(context)
        watch = PageWatch(context.new_page())
        watch.page.goto(url, wait_until="load")
        return watch

    yield open_
    for context in contexts:
        context.close()
