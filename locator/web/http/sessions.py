"""The session interface: Flask's signed cookie, except that public reads have no session.

Answers of the public API and the ``/embed`` widget do not depend on who asks, so they
carry no ``Vary: Cookie`` and write no cookie: Flask-Login touches the session on every
request (its remember-me hook), which would otherwise make shared caches key them per
visitor. Skipping the cookie's signature check also takes work off the hot API path. Set
by the app factory (``app.session_interface``), Flask's public extension point for this.
"""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin

from locator.web.http.scope import is_public_read

__all__ = ["PublicReadsSessionInterface"]


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
