"""Helpers for tests of the account-gated pages: make accounts, sign in, read CSRF tokens."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from locator.registry.accounts import UserStore

PASSWORD = "correct horse battery"  # noqa: S105 - a test password
ROLES = ("viewer", "editor", "admin")


_TEMPLATE: list[Path] = []


def make_users(path: Path) -> Path:
    """An accounts file with one user per role, named after the role (scrypt is slow on
    purpose, so the file is made once per test run and copied)."""
    if not _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="locator-users-"))
        with UserStore(folder / "users.sqlite") as users:
            for role in ROLES:
                users.add(role, PASSWORD, role)
            users._con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _TEMPLATE.append(folder / "users.sqlite")
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_TEMPLATE[0], path)
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


def edit_app(tmp_path: Path, registry: Path, **config: object) -> Flask:
    """An app whose store holds ``registry`` (imported once by ``setup``) and one account per
    role; the served registry is the store's."""
    from locator import create_app
    from locator.registry import importer
    from locator.registry.store import open_store

    store = open_store(tmp_path / "store.gpkg")
    try:
        importer.commit(store, importer.prepare(registry, boundary=None), user="setup")
    finally:
        store.close()
    return create_app({"TESTING": True, "STORE": str(tmp_path / "store.gpkg"),
                       "USERS_DB": str(make_users(tmp_path / "users.sqlite")),
                       "REGISTRY_BOUNDARY": "off", **config})
