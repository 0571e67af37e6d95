"""Helpers for tests of the account-gated pages: make accounts, sign in, read CSRF tokens."""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient

from locator.accounts import UserStore

PASSWORD = "correct horse battery"  # noqa: S105 - a test password
ROLES = ("viewer", "editor", "admin")


def make_users(path: Path) -> Path:
    """An accounts file with one user per role, named after the role."""
    with UserStore(path) as users:
        for role in ROLES:
            users.add(role, PASSWORD, role)
    return path


def csrf_of(page: str) -> str:
    """The CSRF token of the first form in ``page``."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None, "no csrf_token in the page"
    return match.group(1)


def sign_in(client: FlaskClient, name: str, password: str = PASSWORD, *,
            next_url: str | None = None) -> str:
    """Sign ``name`` in through the login form; returns a CSRF token for later forms."""
    token = csrf_of(client.get("/login").get_data(as_text=True))
    data = {"name": name, "password": password, "csrf_token": token}
    if next_url is not None:
        data["next"] = next_url
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return csrf_of(client.get("/login").get_data(as_text=True))
