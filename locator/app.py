"""The application factory: the app exists only inside :func:`create_app`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from locator import config, health, i18n, production, service
from locator.web import (
    admin,
    audit_views,
    auth,
    compression,
    csrf,
    edit,
    edit_api,
    errors,
    fastpath,
    finder,
    planner,
    public,
    security,
)

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the locator web app.

    Parameters
    ----------
    test_config : dict, optional
        Overrides applied after defaults, the instance file and ``LOCATOR_*`` variables.
    """
    app = Flask(__name__, instance_relative_config=True,
                template_folder=str(ROOT / "templates"))
    app.json = StrictJSONProvider(app)
    config.load(app, test_config)
    production.apply(app)
    errors.init_app(app)
    i18n.init_app(app)
    health.init_app(app)
    service.init_app(app)
    public.init_app(app)
    compression.init_app(app)
    app.register_blueprint(finder.bp)
    app.register_blueprint(planner.bp)
    admin.init_app(app)
    auth.init_app(app)
    edit.init_app(app)
    edit_api.init_app(app)
    audit_views.init_app(app)
    security.init_app(app)
    csrf.init_app(app)
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
