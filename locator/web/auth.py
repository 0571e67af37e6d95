"""Signing in and out (Flask-Login), roles on views, and the CSRF check of our forms.

* ``/login`` (rate-limited per client by ``LOGIN_RATE_LIMIT``) answers every failure
  with one generic message, and an unknown name costs as long as a wrong password
  (:meth:`locator.registry.accounts.UserStore.authenticate`). ``next=`` is followed only when
  it is a path on this site (:func:`safe_next`): never another host.
* The session cookie is HttpOnly and ``SameSite=Lax``; ``SESSION_COOKIE_SECURE`` makes
  it HTTPS-only (set it behind HTTPS). It carries a server-side session id
  (:meth:`locator.registry.accounts.UserStore.open_session`): signing out deletes the
  session, so a cookie copied before then opens nothing; a session ends after
  ``SESSION_IDLE_MINUTES`` without a request and ``SESSION_MAX_HOURS`` after sign-in, and
  the cookie's own expiry says the same; a password or role change or a removal signs the
  user out everywhere.
* :func:`role_required` guards views: anonymous visitors of pages are sent to the
  login page, JSON clients get ``401``; a signed-in user without the role gets ``403``.
* Forms carry a Flask-WTF CSRF token (``csrf_token``; JSON clients send
  ``X-CSRFToken``), checked app-wide before any view by :mod:`locator.web.http.csrf`.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import timedelta
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
from locator.web.config import settings
from locator.web.http import ratelimit
from locator.web.http.errors import wants_json
from locator.web.http.sessions import STARTED

__all__ = ["Account", "bp", "current_account", "init_app", "refusal", "role_required",
           "safe_next", "users_path"]

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])


class Account:
    """The signed-in user as Flask-Login sees it."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user: User, session_id: str) -> None:
        self.user = user
        self.name = user.name
        self.role = user.role
        self.session_id = session_id

    def get_id(self) -> str:
        """The server-side session id (what the cookie carries; the user is found by it)."""
        return self.session_id

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
    """Set up Flask-Login (the sign-in view is limited per client by its decorator) and the
    session lifetimes."""
    # the signed cookie is refused once older than this (Flask checks its timestamp) and
    # expires with it; every answer to a signed-in visitor renews it
    app.permanent_session_lifetime = timedelta(minutes=settings(app).session_idle_minutes)
    manager = LoginManager(app)
    manager.anonymous_user = Anonymous
    manager.login_view = "auth.login"
    manager.login_message = lazy_gettext("Sign in to see this page.")
    manager.user_loader(_load)
    manager.unauthorized_handler(_unauthorized)
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.globals["role_labels"] = ROLE_LABELS


def _lifetimes() -> dict[str, float]:
    checked = settings()
    return {"idle_s": checked.session_idle_minutes * 60.0,
            "max_s": checked.session_max_hours * 3600.0}


def _load(session_id: str) -> Account | None:
    with UserStore(users_path(current_app)) as users:
        user = users.session_user(session_id, **_lifetimes())
    return None if user is None else Account(user, session_id)


def _unauthorized() -> ResponseReturnValue:
    if wants_json():
        return jsonify({"error": {"code": "unauthorized",
                                  "message": _("Sign in to do this.")}}), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def current_account() -> Account | Anonymous:
    """The signed-in account (or the anonymous one)."""
    return cast(Account | Anonymous, current_user._get_current_object())


def refusal(role: Role) -> ResponseReturnValue | None:
    """The answer to give a request that needs ``role``, or ``None`` when the account has it.

    Anonymous: the sign-in page (``401`` for JSON clients). Too low a role: ``403`` (raised).
    Reads only the session cookie, so a hook may call it before anything reads the body.
    """
    account = current_account()
    if not account.is_authenticated:
        answer: ResponseReturnValue = current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
        return answer
    if not account.can(role):
        abort(403, description=_("Your account may not do this (it needs the role "
                                 "%(role)s).", role=role.value))
    return None


def role_required(role: Role) -> Callable[[F], F]:
    """Only accounts with ``role`` (or a higher one) may call the view."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            refused = refusal(role)
            return refused if refused is not None else view(*args, **kwargs)

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
@ratelimit.limited("login")  # LOGIN_RATE_LIMIT attempts (POSTs) per client
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
    with UserStore(users_path(current_app)) as users:
        session_id = users.open_session(user, **_lifetimes())
    session.clear()  # nothing from before the sign-in survives it
    login_user(Account(user, session_id))
    session.permanent = True  # the cookie expires: SESSION_IDLE_MINUTES, renewed when used
    session[STARTED] = time.time()  # … but never past SESSION_MAX_HOURS from now
    return redirect(target)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out (a POST with a CSRF token, so another site cannot sign you out): the session
    ends on the server, so a copy of the cookie opens nothing afterwards."""
    account = current_account()
    if isinstance(account, Account):
        with UserStore(users_path(current_app)) as users:
            users.end_session(account.session_id)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
