"""The session interface: Flask's signed cookie, except that public reads have no session,
and a signed-in session's cookie never outlives ``SESSION_MAX_HOURS`` from its sign-in.

Answers of the public API and the ``/embed`` widget do not depend on who asks, so they
carry no ``Vary: Cookie`` and write no cookie: Flask-Login touches the session on every
request (its remember-me hook), which would otherwise make shared caches key them per
visitor. Skipping the cookie's signature check also takes work off the hot API path. Set
by the app factory (``app.session_interface``), Flask's public extension point for this.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin

from locator.web.config import settings
from locator.web.http.scope import is_public_read

__all__ = ["STARTED", "PublicReadsSessionInterface"]

#: session key: when the sign-in began (seconds since the epoch), set by the sign-in view
STARTED = "_started"


class PublicReadsSessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session, except for public reads: they get an empty read-only one."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """A null session for a public read, else the signed cookie's session."""
        if is_public_read(request):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Write the cookie, except for the null session of a public read."""
        if self.is_null_session(session):
            return
        super().save_session(app, session, response)

    def get_expiration_time(self, app: Flask, session: SessionMixin) -> datetime | None:
        """Flask's (now + ``SESSION_IDLE_MINUTES`` for a signed-in session), but never later
        than ``SESSION_MAX_HOURS`` after the sign-in."""
        expires = super().get_expiration_time(app, session)
        started = session.get(STARTED)
        if expires is None or not isinstance(started, int | float):
            return expires
        ends = datetime.fromtimestamp(started, UTC) + timedelta(
            hours=settings(app).session_max_hours)
        return min(expires, ends)
