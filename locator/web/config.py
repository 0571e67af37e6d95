"""Configuration: defaults → instance file → ``LOCATOR_*`` environment → test overrides.

Every key the app reads is defined in :data:`DEFAULTS` with a one-line
description in :data:`DOCS`; a meta-test checks that each one is documented in
the README too.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from locator.errors import ConfigError

__all__ = ["DEFAULTS", "DOCS", "load"]

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,
    "PRODUCTION": None,
    "REGISTRY": None,
    "DEFAULT_CENTER": (103.8343, 36.0611),
    "DEFAULT_K": 5,
    "MAX_K": 50,
    "DEFAULT_TILES": "amap",
    "TIANDITU_KEY": None,
    "DETOUR_FACTOR": 1.3,
    "WALK_KMH": 4.5,
    "EBIKE_KMH": 15.0,
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "LANGUAGES": ("zh_CN", "en"),
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "STORE": None,
    "REGISTRY_BOUNDARY": None,
    "IMPORT_MAX_BYTES": 64 * 1024 * 1024,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "USERS_DB": None,
    "LOGIN_RATE_LIMIT": "10 per minute",
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REGISTRY_POLL_SECONDS": 10.0,
    "EMBED_ALLOWED_ORIGINS": (),
    "API_CORS_ORIGINS": (),
    "API_RATE_LIMIT": "120 per minute",
    "API_RATE_LIMIT_ENABLED": None,
    "API_RATE_LIMIT_STORAGE": "memory://",
    "API_CACHE_SECONDS": 60,
    "API_FAST_PATH": True,
    "PLANNER_RESOLUTION": 9,
    "MAP_MAX_STATIONS": 10_000,
    "AREAS_DIR": None,
    "VERIFIED_STALE_DAYS": 180,
    "REPORT_RATE_LIMIT": "5 per 10 minutes;30 per day",
}

DOCS: dict[str, str] = {
    "SECRET_KEY": "Flask session key; unset means 'dev' in development and, in production, "
                  "instance/secret_key (made on first start, mode 0600).",
    "PRODUCTION": "true/false; unset means production unless TESTING or run by the flask "
                  "command (flask run). Production refuses debug mode and weak keys.",
    "REGISTRY": "Path of a registry file (GeoJSON or CSV) to serve instead of the shipped "
                "Lanzhou data; several paths may be separated by os.pathsep.",
    "DEFAULT_CENTER": "(lon, lat) WGS-84 used when the visitor gives no point: Lanzhou centre.",
    "DEFAULT_K": "How many nearest stations the finder page highlights.",
    "MAX_K": "Largest k the API accepts.",
    "DEFAULT_TILES": "Tile layer of the finder map: amap (GCJ-02), osm or tianditu (WGS-84).",
    "TIANDITU_KEY": "Tianditu API key (tk); the tianditu layer is offered only when set.",
    "DETOUR_FACTOR": "Ratio of route length to straight-line distance used for travel minutes.",
    "WALK_KMH": "Walking speed for walk_min.",
    "EBIKE_KMH": "E-bike speed for ebike_min.",
    "BABEL_DEFAULT_LOCALE": "Language when the visitor has not chosen one.",
    "LANGUAGES": "Languages the visitor can switch to.",
    "BABEL_DEFAULT_TIMEZONE": "Time zone for displayed times and open-now checks.",
    "STORE": "Registry store: a GeoPackage path or a postgresql:// URL (PostGIS); unset means "
             "instance/registry.gpkg. Its active version is served when REGISTRY is unset.",
    "REGISTRY_BOUNDARY": "Service-area polygons (GeoJSON/GeoPackage, WGS-84) imports are checked "
                         "against; unset means the shipped Lanzhou boundary, 'off' no check.",
    "IMPORT_MAX_BYTES": "Largest registry file accepted by import and the upload page (bytes).",
    "MAX_CONTENT_LENGTH": "Largest request body accepted (bytes; 413 above it); the upload "
                          "page accepts IMPORT_MAX_BYTES.",
    "USERS_DB": "SQLite file of the accounts (locator user add|remove|passwd|list); unset "
                "means instance/users.sqlite, whatever the store backend.",
    "LOGIN_RATE_LIMIT": "Sign-in attempts (POST /login) allowed per client (Flask-Limiter "
                        "syntax); over it: 429.",
    "SESSION_COOKIE_SECURE": "true behind HTTPS: the session cookie is then sent over HTTPS "
                             "only (it is always HttpOnly).",
    "SESSION_COOKIE_SAMESITE": "SameSite attribute of the session cookie (Lax: not sent on "
                               "cross-site POSTs).",
    "REGISTRY_POLL_SECONDS": "How often (at most) a request checks the store for a new "
                             "active version made by another process; 0 turns it off.",
    "EMBED_ALLOWED_ORIGINS": "Origins (scheme://host[:port]) whose pages may frame /embed, besides "
                             "the app itself; every other page refuses framing.",
    "API_CORS_ORIGINS": "Origins allowed to read /api/v1 from a browser (GET only); '*' for any.",
    "API_RATE_LIMIT": "Per-client limit on /api/v1 requests, Flask-Limiter syntax "
                      "('120 per minute', '10/second;1000/day').",
    "API_RATE_LIMIT_ENABLED": "Rate limiting on or off; unset means on, except under TESTING.",
    "API_RATE_LIMIT_STORAGE": "Where request counts live: memory:// (one process) or "
                              "redis://host:6379/0 shared by several workers.",
    "API_CACHE_SECONDS": "Cache-Control max-age of API read responses (seconds).",
    "API_FAST_PATH": "Answer plain GET /api/v1/nearest requests beside Flask's per-request "
                     "machinery (same answer and headers, ~0.45 ms less CPU each); false "
                     "sends every request through Flask.",
    "PLANNER_RESOLUTION": "H3 resolution of the /planner coverage grid (9: cells of ~0.1 km²; "
                          "8: ~0.7 km², seven times fewer cells).",
    "MAP_MAX_STATIONS": "Most stations the finder and /embed maps draw: the ones nearest to the "
                        "point (the list and the API always search them all).",
    "AREAS_DIR": "Folder of imported subdistrict/community polygons (locator areas import); "
                 "unset means instance/areas.",
    "VERIFIED_STALE_DAYS": "A station last verified longer ago than this many days (or never) "
                           "is marked as possibly out of date on the pages, in the API "
                           "(stale) and in the editors' queue.",
    "REPORT_RATE_LIMIT": "Workers' reports (POST /report/<id>) allowed per client "
                         "(Flask-Limiter syntax); over it: 429.",
}


def load(app: Flask, test_config: dict[str, Any] | None = None) -> None:
    """Fill ``app.config`` in layers and check it.

    Raises
    ------
    ConfigError
        When ``DEFAULT_CENTER`` is not ``lon,lat`` (production's refusals are in
        :mod:`locator.web.production`).
    """
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("LOCATOR")
    if test_config is not None:
        app.config.from_mapping(test_config)
    center = app.config["DEFAULT_CENTER"]
    if isinstance(center, str):
        try:
            lon, lat = (float(v) for v in center.split(","))
        except ValueError:
            raise ConfigError(
                f"DEFAULT_CENTER must be 'lon,lat', got {center!r}"
            ) from None
        app.config["DEFAULT_CENTER"] = (lon, lat)
    if app.config["REGISTRY"] is None and os.environ.get("LOCATOR_REGISTRY") == "":
        app.config["REGISTRY"] = None
