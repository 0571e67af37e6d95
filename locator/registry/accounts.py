"""Accounts: users, roles and hashed passwords in a small SQLite file (no Flask here).

Accounts live in their own SQLite file (``USERS_DB``, default ``instance/users.sqlite``),
whatever the registry store is — GeoPackage or PostGIS. Credentials are kept apart
from the registry on purpose: an import, a rollback or a restored registry backup never
touches them, and people can still sign in while the registry store is degraded.
Each change is one transaction (WAL, ``synchronous=FULL``).

Passwords are hashed with werkzeug's scrypt (salted, memory-hard); a password is never
stored, logged or taken from the command line.

Sign-ins are server-side sessions (table ``sessions``): the signed cookie carries only a
random session id, the file only its SHA-256 (a copy of the file gives no usable cookie).
A session ends when the user signs out (its row is deleted, so a cookie captured before
then opens nothing), when it was idle or alive longer than the lifetimes the caller gives,
and when the user's ``session_token`` changes — a new password, a new role or removing the
user signs that user out everywhere.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from locator.errors import AccountError
from locator.model import N_
from locator.settings import configured_path

__all__ = ["MIN_PASSWORD_LENGTH", "ROLE_LABELS", "Role", "User", "UserStore", "check_name",
           "check_password", "users_location"]

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
_NAME = re.compile(r"^[\w.@-]{1,64}$")
_HASH_METHOD = "scrypt"
# Checked when the user does not exist, so a wrong name costs as long as a wrong password:
# werkzeug's scrypt of a public phrase with its default cost (n=2^15, r=8, p=1), written out
# rather than computed at import (one scrypt, ~0.15 s, in every process that imports this).
_DUMMY_HASH = ("scrypt:32768:8:1$JWSCSZtW1PrUXzon$9cae34cd27a16abcae4a2af690abceff4bbf25b53a9e4e"
               "06dfb87a36400110ec58ff3e083df13f85a783b19a1f880b051d9a02f429ce38c215f2ab5651f74f24")

_SCHEMA = ("""
CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, role TEXT NOT NULL,
  password_hash TEXT NOT NULL, session_token TEXT NOT NULL, created_at TEXT NOT NULL,
  changed_at TEXT NOT NULL)
""", """
CREATE TABLE IF NOT EXISTS sessions (id_hash TEXT PRIMARY KEY, name TEXT NOT NULL,
  token TEXT NOT NULL, started REAL NOT NULL, seen REAL NOT NULL)
""")
#: a session's last-seen time is written at most this often (seconds): idle lifetimes are
#: minutes, and every authenticated request must not be a write
SEEN_EVERY_S = 60.0
_UPDATES = {column: f"UPDATE users SET {column} = ?, session_token = ?, changed_at = ? "  # noqa: S608
                     "WHERE name = ?" for column in ("password_hash", "role")}


class Role(StrEnum):
    """What an account may do; each role may do everything the ones before it may."""

    VIEWER = "viewer"  # read the station list and the audit log
    EDITOR = "editor"  # + edit stations and import registry files
    ADMIN = "admin"  # + everything (user management stays on the command line)

    def allows(self, needed: Role) -> bool:
        """Whether this role includes ``needed``."""
        order = list(Role)
        return order.index(self) >= order.index(needed)

    @classmethod
    def parse(cls, text: str) -> Role:
        """The role named ``text``.

        Raises
        ------
        AccountError
            For an unknown role, naming it and the known ones.
        """
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise AccountError(f"unknown role {text!r}; use one of "
                               f"{', '.join(r.value for r in cls)}") from None


#: Role names for people (message ids; the web layer translates them).
ROLE_LABELS: dict[Role, str] = {Role.VIEWER: N_("viewer"), Role.EDITOR: N_("editor"),
                                Role.ADMIN: N_("administrator")}


@dataclass(frozen=True, slots=True)
class User:
    """One account (never carries the password hash out of this module)."""

    name: str
    role: Role
    session_token: str
    created_at: str
    changed_at: str


def check_name(name: str) -> str:
    """A valid user name (letters, digits, ``_ . @ -``; 1–64 characters), stripped.

    Raises
    ------
    AccountError
        Naming the bad value.
    """
    stripped = name.strip()
    if not _NAME.match(stripped):
        raise AccountError(f"user names are 1-64 letters, digits or _ . @ -, got {name!r}")
    return stripped


def check_password(password: str) -> str:
    """A password long enough to keep (never echoed back in the message).

    Raises
    ------
    AccountError
        When shorter than :data:`MIN_PASSWORD_LENGTH` or absurdly long.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters, got "
                           f"{len(password)}")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"passwords may have at most {MAX_PASSWORD_LENGTH} characters, got "
                           f"{len(password)}")
    return password


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class UserStore:
    """The accounts file (created on first use)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # readable by the service user only (SQLite would make it 0644, and its -wal and
        # -shm files take the database file's mode); an empty file is an empty database
        os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        self._con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=FULL")
        for statement in _SCHEMA:
            self._con.execute(statement)

    def close(self) -> None:
        """Close the connection."""
        self._con.close()

    def __enter__(self) -> UserStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _row(self, name: str) -> tuple[str, str, str, str, str, str] | None:
        row = self._con.execute("SELECT name, role, password_hash, session_token, created_at, "
                                "changed_at FROM users WHERE name = ?", (name,)).fetchone()
        return None if row is None else (row[0], row[1], row[2], row[3], row[4], row[5])

    @staticmethod
    def _user(row: tuple[str, str, str, str, str, str]) -> User:
        return User(row[0], Role(row[1]), row[3], row[4], row[5])

    def get(self, name: str) -> User | None:
        """The user called ``name``, or ``None``."""
        row = self._row(name)
        return None if row is None else self._user(row)

    def open_session(self, user: User, *, idle_s: float, max_s: float) -> str:
        """Start a session for ``user`` (just authenticated); returns its id for the cookie.

        Sessions past ``idle_s`` or ``max_s`` are swept out on the way.
        """
        now = time.time()
        self._con.execute("DELETE FROM sessions WHERE seen < ? OR started < ?",
                          (now - idle_s, now - max_s))
        session_id = secrets.token_urlsafe(32)
        self._con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                          (_hashed(session_id), user.name, user.session_token, now, now))
        return session_id

    def session_user(self, session_id: str, *, idle_s: float, max_s: float) -> User | None:
        """The user of a live session, or ``None`` (unknown, ended, expired, or the user's
        password, role or existence changed since it began). Marks the session as seen."""
        key = _hashed(session_id)
        row = self._con.execute("SELECT name, token, started, seen FROM sessions WHERE "
                                "id_hash = ?", (key,)).fetchone()
        if row is None:
            return None
        name, token, started, seen = row
        now = time.time()
        user = self.get(name)
        if (user is None or not secrets.compare_digest(user.session_token, token)
                or now - seen > idle_s or now - started > max_s):
            self._con.execute("DELETE FROM sessions WHERE id_hash = ?", (key,))
            return None
        if now - seen > SEEN_EVERY_S:
            self._con.execute("UPDATE sessions SET seen = ? WHERE id_hash = ?", (now, key))
        return user

    def end_session(self, session_id: str) -> None:
        """End one session (signing out): a cookie holding its id opens nothing from now on."""
        self._con.execute("DELETE FROM sessions WHERE id_hash = ?", (_hashed(session_id),))

    def sessions(self, name: str) -> int:
        """How many sessions ``name`` has open (including expired ones not yet swept)."""
        found: int = self._con.execute("SELECT count(*) FROM sessions WHERE name = ?",
                                       (name,)).fetchone()[0]
        return found

    def list(self) -> list[User]:
        """Every user, by name."""
        rows = self._con.execute("SELECT name, role, password_hash, session_token, created_at, "
                                 "changed_at FROM users ORDER BY name").fetchall()
        return [self._user(tuple(r)) for r in rows]

    def add(self, name: str, password: str, role: Role | str = Role.VIEWER) -> User:
        """Create a user.

        Raises
        ------
        AccountError
            For a bad name, password or role, or a name already taken.
        """
        name = check_name(name)
        chosen = role if isinstance(role, Role) else Role.parse(role)
        hashed = generate_password_hash(check_password(password), _HASH_METHOD)
        now = _now()
        try:
            self._con.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)",
                              (name, chosen.value, hashed, secrets.token_hex(16), now, now))
        except sqlite3.IntegrityError:
            raise AccountError(f"a user called {name!r} already exists") from None
        found = self.get(name)
        if found is None:  # pragma: no cover - just inserted
            raise AccountError(f"user {name!r} vanished")
        return found

    def _change(self, name: str, column: str, value: str) -> User:
        statement = _UPDATES[column]  # a fixed statement per column: no SQL built from input
        cursor = self._con.execute(statement, (value, secrets.token_hex(16), _now(), name))
        found = self.get(name) if cursor.rowcount else None
        if found is None:
            raise AccountError(f"no user called {name!r}")
        self._con.execute("DELETE FROM sessions WHERE name = ?", (name,))  # (token: dead)
        return found

    def set_password(self, name: str, password: str) -> User:
        """Give ``name`` a new password (signs the user out everywhere)."""
        hashed = generate_password_hash(check_password(password), _HASH_METHOD)
        return self._change(name, "password_hash", hashed)

    def set_role(self, name: str, role: Role | str) -> User:
        """Give ``name`` a new role (signs the user out everywhere)."""
        chosen = role if isinstance(role, Role) else Role.parse(role)
        return self._change(name, "role", chosen.value)

    def remove(self, name: str) -> None:
        """Delete ``name``.

        Raises
        ------
        AccountError
            When there is no such user.
        """
        if not self._con.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount:
            raise AccountError(f"no user called {name!r}")
        self._con.execute("DELETE FROM sessions WHERE name = ?", (name,))

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when ``password`` is theirs, else ``None``.

        An unknown name checks a dummy hash, so the answer takes about as long either way
        and does not tell which of name or password was wrong.
        """
        row = self._row(name.strip()) if _NAME.match(name.strip()) else None
        stored = row[2] if row is not None else _DUMMY_HASH
        good = check_password_hash(stored, password[:MAX_PASSWORD_LENGTH])
        return self._user(row) if row is not None and good else None

    def password_hash(self, name: str) -> str | None:
        """The stored hash (for tests that check nothing is kept in clear)."""
        row = self._row(name)
        return None if row is None else row[2]


def _hashed(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()


def users_location(config: Mapping[str, Any], instance_path: str) -> Path:
    """The accounts file: ``USERS_DB``, else ``<instance folder>/users.sqlite``."""
    return configured_path(config, "USERS_DB", "users.sqlite", instance_path)
