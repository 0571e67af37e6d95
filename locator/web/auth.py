"""Signing in and out (Flask-Login), roles on views, and the CSRF check of our forms.

* ``/login`` (rate-limited per client by ``LOGIN_RATE_LIMIT``) answers every failure
  with one generic message, and an unknown name costs as long as a wrong password
  (:meth:`locator.registry.accounts.UserStore.authenticate`). ``next=`` is followed only when
  it is a path on this site (:func:`safe_next`): never another host.
* The session cookie is HttpOnly and ``SameSite=Lax``; ``SESSION_COOKIE_SECURE`` makes
  it HTTPS-only (set it behind HTTPS). The identity in it includes the user's session
  token, so a password or role change or a removal signs the user out everywhere.
* :func:`role_required` guards views: anonymous visitors of pages are sent to the
  login page, JSON clients get ``401``; a signed-in user without the role gets ``403``.
* Forms carry a Flask-WTF CSRF token (``csrf_token``; JSON clients send
  ``X-CSRFToken``), checked app-wide before any view by :mod:`locator.web.http.csrf`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import AnonymousUserMixin, LoginManager, current_user, login_user, logout_user

from locator.registry.accounts import ROLE_LABELS, Role, User, UserStore, users_location
from locator.web.http import ratelimit
from locator.web.http.errors import wants_json

__all__ = ["Account", "bp", "current_account", "init_app", "role_required",
           "safe_next", "users_path"]

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])


class Account:
    """The signed-in user as Flask-Login sees it."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user: User) -> None:
        self.user = user
        self.name = user.name
        self.role = user.role

    def get_id(self) -> str:
        """Name and session token: see :attr:`locator.registry.accounts.User.session_id`."""
        return self.user.session_id

    def can(self, role: Role) -> bool:
        """Whether this account has ``role`` (or a higher one)."""
        return self.role.allows(role)


class Anonymous(AnonymousUserMixin):  # type: ignore[misc]
    """Nobody signed in: may do nothing that needs a role."""

    name = ""

    def can(self, role: Role) -> bool:
        """Never."""
        return False


def users_path(app: Flask) -> Path:
    """``USERS_DB``, else ``<instance folder>/users.sqlite``."""
    return users_location(app.config, app.instance_path)


def init_app(app: Flask) -> None:
    """Set up Flask-Login, the login blueprint and its rate limit."""
    manager = LoginManager(app)
    manager.anonymous_user = Anonymous
    manager.login_view = "auth.login"
    manager.login_message = lazy_gettext("Sign in to see this page.")
    manager.user_loader(_load)
    manager.unauthorized_handler(_unauthorized)
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.globals["role_labels"] = ROLE_LABELS
    view = app.view_functions["auth.login"]
    limit = str(app.config.get("LOGIN_RATE_LIMIT") or "10 per minute")
    with app.app_context():
        limited: Any = ratelimit.limiter().limit(limit, methods=["POST"])(view)
    app.view_functions["auth.login"] = limited


def _load(session_id: str) -> Account | None:
    with UserStore(users_path(current_app)) as users:
        user = users.by_session_id(session_id)
    return None if user is None else Account(user)


def _unauthorized() -> ResponseReturnValue:
    if wants_json():
        return jsonify({"error": {"code": "unauthorized",
                                  "message": _("Sign in to do this.")}}), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def current_account() -> Account | Anonymous:
    """The signed-in account (or the anonymous one)."""
    return cast(Account | Anonymous, current_user._get_current_object())


def role_required(role: Role) -> Callable[[F], F]:
    """Only accounts with ``role`` (or a higher one) may call the view."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            account = current_account()
            if not account.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if not account.can(role):
                abort(403, description=_("Your account may not do this (it needs the role "
                                         "%(role)s).", role=role.value))
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site, else the editing start page.

    Refused: absolute URLs, scheme-relative ``//host``, backslashes (browsers read
    ``/\\host`` as ``//host``), control characters and anything not starting with ``/``.
    """
    fallback = url_for("edit.index")
    if not target or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The sign-in form; on success go to ``next`` (a local path only)."""
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("auth/login.html", next=target)
    name = request.form.get("name", "")
    password = request.form.get("password", "")
    with UserStore(users_path(current_app)) as users:
        user = users.authenticate(name, password)
    if user is None:
        return render_template("auth/login.html", next=target, failed=True, name=name[:64]), 401
    session.clear()  # nothing from before the sign-in survives it
    login_user(Account(user))
    return redirect(target)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out (a POST with a CSRF token, so another site cannot sign you out)."""
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
