"""The finder as an installable web app that keeps working without signal.

Routes:

* ``GET /manifest.webmanifest?lang=`` — the web app manifest (name, icons, start URL,
  colours) in the page's language.
* ``GET /sw.js`` — the service worker (``static/js/sw.js``) with the list of files it keeps:
  the app shell (the finder's scripts and styles under their content-hashed names, the
  icons) and the offline page in each language. Served from the root so its scope is the
  whole site, revalidated on every visit (``no-cache``): its text changes whenever one of
  the kept files does, and browsers then install the new worker.
* ``GET /offline/<lang>`` — the offline page in one of ``LANGUAGES``: shown by the worker
  when the finder cannot be reached; its script shows the last ``/api/v1/nearest`` answer
  the finder saved in the browser (``offline.js``) with the time it was fetched. (The
  language is in the path: a ``?lang=`` would set the visitor's language cookie when the
  worker fetches every language's page.)
* ``GET /favicon.ico`` — the icon browsers ask for by that name.

What the browser keeps: the shell above and **one** nearest answer (the finder page's
last results: public station data for the point the worker asked about, in their own
browser). No page carrying a session, account or CSRF token is ever stored.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Blueprint, Response, current_app, render_template, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, gettext

from locator.errors import NotFound
from locator.model import AMENITY_LABELS, ENTRY_LABELS, KIND_LABELS, N_
from locator.web.config import settings
from locator.web.http import assets
from locator.web.i18n import select_locale

__all__ = ["RESULTS_CACHE", "SAVED_KEY", "SHELL_FILES", "bp", "precache_urls"]

bp = Blueprint("offline", __name__)

#: Static files the service worker keeps so the offline page looks and works as usual.
SHELL_FILES = ("css/app.css", "js/offline.js", "icons/icon.svg", "icons/icon-192.png",
               "icons/favicon.ico")
#: Where the finder saves its last nearest answer (cache name and key), shared with
#: ``static/js/sw.js``, ``finder.js`` and ``offline.js`` through the pages.
RESULTS_CACHE = "locator-results"
SAVED_KEY = "/offline/last-results"
#: Phrases ``offline.js`` fills in (``%(name)s`` placeholders are replaced there).
OFFLINE_TEXT = {
    "walk": N_("walk %(min)s min"), "ebike": N_("e-bike %(min)s min"),
    "open": N_("Open when fetched"), "closed": N_("Closed when fetched"),
    "unknown": N_("Hours unknown"), "opens": N_("opens %(time)s"),
    "closes": N_("closes %(time)s"), "verified": N_("Verified on %(date)s"),
    "never": N_("Not verified yet"), "stale": N_("may be out of date"), "demo": N_("demo"),
    "entry": N_("Entry: %(how)s"),
}


def precache_urls() -> list[str]:
    """What the service worker stores on install: the shell and each language's offline page."""
    urls = [url_for("static", filename=name) for name in SHELL_FILES]
    urls += [url_for("offline.page", lang=lang) for lang in settings().languages]
    return urls


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest (the page's language; icons under their hashed names)."""
    icons = [{"src": url_for("static", filename="icons/icon.svg"), "sizes": "any",
              "type": "image/svg+xml"},
             *({"src": url_for("static", filename=f"icons/icon-{size}.png"),
                "sizes": f"{size}x{size}", "type": "image/png"} for size in (192, 512)),
             {"src": url_for("static", filename="icons/icon-maskable-512.png"),
              "sizes": "512x512", "type": "image/png", "purpose": "maskable"}]
    lang = select_locale()
    body = {"name": gettext("Lanzhou trade-union station finder"),
            "short_name": gettext("Union stations"),
            "description": gettext("The nearest trade-union stations, open now, and how to "
                                   "get there."),
            "lang": "zh-CN" if lang.startswith("zh") else "en",
            "start_url": url_for("finder.index", lang=lang), "scope": "/",
            "display": "standalone", "background_color": "#ffffff",
            "theme_color": "#b3261e", "icons": icons}
    response = current_app.response_class(json.dumps(body, ensure_ascii=False),
                                          mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker, with the list of URLs it keeps (``no-cache``: always checked)."""
    source = assets.static_file("js/sw.js")
    if source is None:  # pragma: no cover - the file ships with the package
        raise FileNotFoundError("locator/static/js/sw.js is missing")
    keep = precache_urls()
    checked = settings()
    worker: dict[str, Any] = {"precache": keep, "results": RESULTS_CACHE, "saved": SAVED_KEY,
                              "offline": {lang: url_for("offline.page", lang=lang)
                                          for lang in checked.languages},
                              "default_lang": checked.babel_default_locale,
                              "finder": url_for("finder.index")}
    text = source.read_text(encoding="utf-8")
    worker["version"] = hashlib.sha256(
        (json.dumps(worker, sort_keys=True) + text).encode()).hexdigest()[:12]
    body = f"self.LZ = {json.dumps(worker, ensure_ascii=False)};\n{text}"
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline/<lang>")
def page(lang: str) -> ResponseReturnValue:
    """The page the service worker shows offline; ``offline.js`` fills in the saved results."""
    if lang not in settings().languages:
        raise NotFound(f"no offline page in {lang!r}; there is one in each of "
                       f"{', '.join(current_app.config['LANGUAGES'])}")
    with force_locale(lang):
        return _page(lang)


def _page(lang: str) -> ResponseReturnValue:
    labels = {"kinds": {k.value: gettext(v) for k, v in KIND_LABELS.items()},
              "amenities": {a.value: gettext(v) for a, v in AMENITY_LABELS.items()},
              "entries": {e.value: gettext(v) for e, v in ENTRY_LABELS.items()},
              "text": {key: gettext(message) for key, message in OFFLINE_TEXT.items()}}
    response = current_app.make_response(render_template(
        "finder/offline.html", labels=labels, results_cache=RESULTS_CACHE,
        saved_key=SAVED_KEY, lang=lang))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The icon browsers request at the site's root."""
    path = assets.static_file("icons/favicon.ico")
    if path is None:  # pragma: no cover - the file ships with the package
        raise FileNotFoundError("locator/static/icons/favicon.ico is missing")
    return send_file(path, mimetype="image/vnd.microsoft.icon", max_age=7 * 24 * 3600)

