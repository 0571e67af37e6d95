"""``ETag`` and ``Cache-Control`` on the API's read responses; ``304`` on ``If-None-Match``.

The ETag is a hash of the body, so it changes exactly when the answer does (a registry
swap, the open-now state turning); ``max-age`` is ``API_CACHE_SECONDS``.

These answers and the ``/embed`` widget do not depend on who asks, so they carry no
``Vary: Cookie`` and write no cookie: Flask-Login touches the session on every request
(its remember-me hook), which would otherwise make shared caches key them per visitor.
"""

from __future__ import annotations

from flask import Flask, Request, Response, current_app, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Make successful ``GET``/``HEAD`` answers under ``/api/`` cacheable and conditional."""
    app.after_request(_conditional)
    app.session_interface = _PublicAnswers()


_PUBLIC = ("/api/", "/embed")


class _PublicAnswers(SecureCookieSessionInterface):
    """The signed-cookie session, except for public reads: they get an empty read-only one.

    Skipping the cookie's signature check also takes work off the hot API path.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.method in ("GET", "HEAD") and request.path.startswith(_PUBLIC):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if self.is_null_session(session):
            return
        super().save_session(app, session, response)


def _conditional(response: Response) -> Response:
    if (request.method not in ("GET", "HEAD") or not request.path.startswith("/api/")
            or response.status_code != 200 or response.direct_passthrough):
        return response
    max_age = int(current_app.config["API_CACHE_SECONDS"])
    if "Cache-Control" in response.headers:  # the view said something: add to it
        response.cache_control.public = True
        response.cache_control.max_age = max_age
    else:  # the hot path: one header write instead of werkzeug's parse-and-rebuild
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.add_etag()
    if "If-None-Match" in request.headers or "If-Modified-Since" in request.headers:
        response.make_conditional(request)  # turns it into a 304 in place when it matches
    return response
