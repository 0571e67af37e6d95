"""The application factory: the app exists only inside :func:`create_app`.

Every subsystem plugs in with its ``init_app`` and every blueprint is registered here, in
one list whose order matters where a comment says so (nothing registers itself on import).
Flask runs ``before_request`` hooks in the order they were added and ``after_request``
hooks in the reverse order.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from locator import resources
from locator.web import auth, config, health, i18n, production, service
from locator.web.api import areas as api_areas
from locator.web.api import editing as api_editing
from locator.web.api import fastpath, openapi
from locator.web.api import stations as api_stations
from locator.web.http import (
    admission,
    assets,
    cache,
    compression,
    cors,
    csrf,
    errors,
    ratelimit,
    security,
)
from locator.web.http.sessions import PublicReadsSessionInterface
from locator.web.pages import (
    audit,
    edit,
    embed,
    finder,
    inbox,
    offline,
    planner,
    plannerinputs,
    reports,
    share,
    upload,
)

__all__ = ["StrictJSONProvider", "create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the locator web app.

    Parameters
    ----------
    test_config : dict, optional
        Overrides applied after defaults, the instance file and ``LOCATOR_*`` variables.
    """
    # "locator": the package is the app's root (static/, instance path); templates are
    # package data, so a wheel serves them as a checkout does
    app = Flask("locator", instance_relative_config=True,
                template_folder=str(resources.templates_dir()))
    app.json = StrictJSONProvider(app)
    app.session_interface = PublicReadsSessionInterface()  # no cookie on public reads
    config.load(app, test_config)  # first: everything below reads the checked settings
    production.apply(app)  # refuses weak keys before anything is served
    errors.init_app(app)  # handlers for LocatorError and HTTP errors (used by all below)
    i18n.init_app(app)  # locale selection: templates and error pages need it
    health.init_app(app)  # the start-up store check, before the registry is read from it
    service.init_app(app)  # loads the registry (after health: a degraded store is read-only)
    for bp in (health.bp, api_stations.bp, api_areas.bp, openapi.bp, embed.bp, finder.bp,
               planner.bp, plannerinputs.bp, upload.bp, auth.bp, edit.bp, api_editing.bp,
               audit.bp, offline.bp, reports.bp, inbox.bp, share.bp):
        app.register_blueprint(bp)
    assets.init_app(app)  # static files under content-hashed names, cached for a year
    # Response hooks. Flask runs after_request hooks last-added first, so security's
    # headers go on first and cors's Vary last, after compression and the ETag.
    cors.init_app(app)
    cache.init_app(app)  # ETag and Cache-Control on public reads, 304 on a match
    ratelimit.init_app(app)  # the /api/ count, and the limits auth's sign-in view checks
    admission.init_app(app)  # plan slots and the per-client plan limit (after ratelimit)
    compression.init_app(app)
    upload.init_app(app)  # a before_request size check that must run before csrf reads forms
    plannerinputs.init_app(app)  # the same for planner input uploads
    auth.init_app(app)  # Flask-Login
    security.init_app(app)  # every response's headers (CSP, framing, nosniff)
    csrf.init_app(app)  # every state-changing request; after upload's size check
    fastpath.init_app(app)  # last: it answers with the headers the hooks above write
    return app


class StrictJSONProvider(DefaultJSONProvider):
    """JSON that never contains NaN/Infinity and keeps Chinese text readable."""

    ensure_ascii = False
    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialise, refusing non-finite numbers (a bug, not something to emit)."""
        kwargs.setdefault("allow_nan", False)
        return super().dumps(obj, **kwargs)
