"""CSRF protection for every state-changing request: Flask-WTF's ``CSRFProtect``, app-wide.

Every ``POST``/``PUT``/``PATCH``/``DELETE`` to a route is checked before its view runs
(``GET``/``HEAD``/``OPTIONS`` never change anything here, so they are not). A missing,
wrong or expired token is answered ``400`` with ``{"error": {"code": "csrf_failed"}}``
(JSON under ``/api``, the error page elsewhere) and the view never runs.

**For authors of forms** (sign-in, station editing, user management, uploads):

* in a Jinja form, ``<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">``;
* from JavaScript (``fetch`` with the session cookie), send the token in the
  ``X-CSRFToken`` header: put it in the page (e.g. ``data-csrf="{{ csrf_token() }}"``);
* tokens live in the signed session and expire after ``WTF_CSRF_TIME_LIMIT`` seconds
  (Flask-WTF's default, one hour); on HTTPS the ``Referer`` must be this host too;
* nothing is exempt: ``/api/v1`` is read-only, and the editing API uses the session
  cookie, so it needs the token like any form.
"""

from __future__ import annotations

import logging

from flask import Flask, Response
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect

from locator.web.http.errors import render_http_error

__all__ = ["init_app"]

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Protect every state-changing request of ``app``; ``csrf_token()`` in templates
    (set by Flask-WTF)."""
    CSRFProtect(app)
    app.register_error_handler(CSRFError, _refused)


def _refused(exc: CSRFError) -> Response:
    log.warning("CSRF check failed: %s", exc.description)
    exc.description = _("The form expired or did not come from this site; reload the page "
                        "and try again.")
    return render_http_error(exc, code="csrf_failed")
