"""The public face for other sites: API v1, its spec, the embed widget, and their HTTP rules.

One ``init_app`` plugs in the blueprints (:mod:`~locator.web.api`,
:mod:`~locator.web.openapi`, :mod:`~locator.web.embed`) and the response hooks: framing
(:mod:`~locator.web.framing`), CORS (:mod:`~locator.web.cors`), ETag/Cache-Control
(:mod:`~locator.web.httpcache`) and rate limiting (:mod:`~locator.web.ratelimit`).
"""

from __future__ import annotations

from flask import Flask

from locator.web import (
    api,
    api_areas,  # noqa: F401  (importing it adds its routes to api.bp)
    cors,
    embed,
    framing,
    httpcache,
    openapi,
    ratelimit,
)

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Register the API, spec and embed blueprints and the response hooks on ``app``."""
    app.register_blueprint(api.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(embed.bp)
    framing.init_app(app)
    cors.init_app(app)
    httpcache.init_app(app)
    ratelimit.init_app(app)
