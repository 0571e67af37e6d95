"""Accounts: hashed passwords, roles, session tokens, bad input, and the ``locator user`` CLI."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from locator.cli import main
from locator.errors import AccountError
from locator.registry.accounts import Role, UserStore

PW = "correct horse battery"


@pytest.fixture
def users(tmp_path: Path) -> UserStore:
    return UserStore(tmp_path / "users.sqlite")


def test_passwords_are_stored_only_as_salted_scrypt_hashes(users: UserStore,
                                                           tmp_path: Path) -> None:
    users.add("wang", PW, "editor")
    users.add("li", PW, "viewer")
    first, second = users.password_hash("wang"), users.password_hash("li")
    assert first is not None and second is not None
    assert first.startswith("scrypt:") and second.startswith("scrypt:")
    assert first != second  # salted: the same password hashes differently
    raw = (tmp_path / "users.sqlite").read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("users.sqlite-*"))
    assert PW.encode() not in raw


def test_authenticate_checks_the_password_and_says_nothing_about_which_part_failed(
        users: UserStore) -> None:
    made = users.add("wang", PW, Role.EDITOR)
    assert users.authenticate("wang", PW) == made
    assert users.authenticate(" wang ", PW) == made  # names are stripped, like at creation
    assert users.authenticate("wang", PW + "x") is None
    assert users.authenticate("nobody", PW) is None  # checks a dummy hash: same cost
    assert users.authenticate("bad name!", PW) is None
    assert users.authenticate("wang", "x" * 5000) is None  # long input is cut, not an error


def test_roles_include_the_lower_ones() -> None:
    assert Role.ADMIN.allows(Role.EDITOR) and Role.EDITOR.allows(Role.VIEWER)
    assert not Role.VIEWER.allows(Role.EDITOR) and not Role.EDITOR.allows(Role.ADMIN)


LIFE = {"idle_s": 3600.0, "max_s": 12 * 3600.0}


def test_a_new_password_or_role_or_removal_ends_old_sessions(users: UserStore) -> None:
    made = users.add("wang", PW, "editor")
    first = users.open_session(made, **LIFE)
    assert users.session_user(first, **LIFE) == made
    changed = users.set_password("wang", PW + "!")
    assert users.session_user(first, **LIFE) is None
    assert users.authenticate("wang", PW) is None and users.authenticate("wang", PW + "!")
    second = users.open_session(changed, **LIFE)
    promoted = users.set_role("wang", "admin")
    assert users.session_user(second, **LIFE) is None
    assert promoted.role is Role.ADMIN
    third = users.open_session(promoted, **LIFE)
    users.remove("wang")
    assert users.session_user(third, **LIFE) is None
    assert users.list() == [] and users.sessions("wang") == 0


def test_sessions_end_when_closed_idle_or_too_old(users: UserStore, tmp_path: Path) -> None:
    made = users.add("wang", PW, "editor")
    closed, idle, old, alive = (users.open_session(made, **LIFE) for _ in range(4))
    users.end_session(closed)
    con = sqlite3.connect(tmp_path / "users.sqlite")
    with con:  # as if time had passed for two of them
        con.execute("UPDATE sessions SET seen = seen - 3601 WHERE id_hash = ?",
                    (hashlib.sha256(idle.encode()).hexdigest(),))
        con.execute("UPDATE sessions SET started = started - 12 * 3600 - 1, seen = seen - 60 "
                    "WHERE id_hash = ?", (hashlib.sha256(old.encode()).hexdigest(),))
    stored = [row[0] for row in con.execute("SELECT id_hash FROM sessions")]
    con.close()
    assert [users.session_user(s, **LIFE) for s in (closed, idle, old)] == [None] * 3
    assert users.session_user(alive, **LIFE) == made
    assert users.session_user("forged-" + alive, **LIFE) is None
    assert users.sessions("wang") == 1  # ended and expired ones are deleted when met
    assert alive not in stored and hashlib.sha256(alive.encode()).hexdigest() in stored


@pytest.mark.parametrize(("call", "message"), [
    (lambda u: u.add("", PW), "user names are 1-64 letters, digits or _ . @ -, got ''"),
    (lambda u: u.add("a b", PW), "got 'a b'"),
    (lambda u: u.add("x:y", PW), "got 'x:y'"),  # ':' separates name and session token
    (lambda u: u.add("x" * 65, PW), "user names are 1-64"),
    (lambda u: u.add("wang", "short"), "passwords need at least 10 characters, got 5"),
    (lambda u: u.add("wang", "x" * 1025), "at most 1024 characters, got 1025"),
    (lambda u: u.add("wang", PW, "root"), "unknown role 'root'; use one of viewer, editor, admin"),
    (lambda u: u.set_password("ghost", PW), "no user called 'ghost'"),
    (lambda u: u.set_role("ghost", "admin"), "no user called 'ghost'"),
    (lambda u: u.remove("ghost"), "no user called 'ghost'"),
])
def test_bad_account_input_is_refused_by_name(users: UserStore, call: object,
                                              message: str) -> None:
    with pytest.raises(AccountError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace(".", r"\.").replace("*", r"\*")):
        call(users)  # type: ignore[operator]
    assert users.list() == []


def test_a_taken_name_is_refused(users: UserStore) -> None:
    users.add("wang", PW)
    with pytest.raises(AccountError, match="a user called 'wang' already exists"):
        users.add("wang", PW)


def test_names_may_be_chinese(users: UserStore) -> None:
    assert users.add("王工", PW).name == "王工"


# --- the CLI ---


def run(db: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--db", str(db)], input=stdin)
    return result.exit_code, result.output


def test_cli_user_add_list_passwd_role_remove(tmp_path: Path) -> None:
    db = tmp_path / "u.sqlite"
    assert run(db, "user", "add", "wang", "--role", "editor", stdin=f"{PW}\n{PW}\n") == (
        0, "Password: \nRepeat for confirmation: \nadded wang (editor)\n")
    assert run(db, "user", "add", "li", "--password-stdin", stdin=f"{PW}\n")[0] == 0
    code, out = run(db, "user", "list")
    assert code == 0 and [line.split("\t")[:2] for line in out.splitlines()] == [
        ["li", "viewer"], ["wang", "editor"]]
    assert run(db, "user", "passwd", "li", "--password-stdin", stdin="another secret 1\n") == (
        0, "password of li changed\n")
    assert run(db, "user", "role", "li", "admin") == (0, "li is now admin\n")
    assert run(db, "user", "remove", "wang") == (0, "removed wang\n")
    with UserStore(db) as users:
        assert users.authenticate("li", "another secret 1") is not None
        assert [u.name for u in users.list()] == ["li"]


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (("user", "add", "wang", "--password-stdin"), "short\n", "at least 10 characters, got 5"),
    (("user", "add", "a b", "--password-stdin"), f"{PW}\n", "got 'a b'"),
    (("user", "remove", "ghost"), None, "no user called 'ghost'"),
    (("user", "passwd", "ghost", "--password-stdin"), f"{PW}\n", "no user called 'ghost'"),
])
def test_cli_errors_are_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...],
                                            stdin: str | None, message: str) -> None:
    code, out = run(tmp_path / "u.sqlite", *args, stdin=stdin)
    assert code == 2 and message in out


def test_cli_never_takes_a_password_argument(tmp_path: Path) -> None:
    code, out = run(tmp_path / "u.sqlite", "user", "add", "wang", "--password", PW)
    assert code == 2 and "No such option '--password'" in out


def test_the_accounts_file_is_one_sqlite_table(tmp_path: Path) -> None:
    UserStore(tmp_path / "u.sqlite").add("wang", PW)
    con = sqlite3.connect(tmp_path / "u.sqlite")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [r[0] for r in con.execute("SELECT name FROM users")] == ["wang"]


def test_the_unknown_name_check_costs_what_a_real_one_does() -> None:
    # the written-out dummy hash must use the parameters new passwords get, or a wrong name
    # would answer faster than a wrong password
    from werkzeug.security import generate_password_hash

    from locator.registry.accounts import _DUMMY_HASH, _HASH_METHOD

    assert _DUMMY_HASH.split("$")[0] == generate_password_hash("x", _HASH_METHOD).split("$")[0]
