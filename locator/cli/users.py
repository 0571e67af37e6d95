"""``locator user add|remove|passwd|role|list``: accounts for the editing pages.

Passwords are asked at a hidden prompt (twice), or read from standard input with
``--password-stdin`` (one line, for scripts) — never from the command line, where
``ps`` and shell history would show them. The accounts file is ``USERS_DB`` (default
``instance/users.sqlite``) from the same configuration as the web app, or ``--db``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from locator.cli.common import Failed, settings
from locator.errors import AccountError
from locator.registry.accounts import Role, UserStore, users_location

__all__ = ["user"]

_DB_OPTION = click.option("--db", "db", type=click.Path(dir_okay=False, path_type=Path),
                          default=None, help="Accounts file (default: USERS_DB or "
                                             "instance/users.sqlite).")
_STDIN_OPTION = click.option("--password-stdin", is_flag=True,
                             help="Read the password from the first line of standard input.")


@contextmanager
def _users(db: Path | None) -> Iterator[UserStore]:
    if db is None:
        app = settings()
        db = users_location(app.config, app.instance_path)
    users = UserStore(db)
    try:
        yield users
    except AccountError as exc:
        raise Failed(exc.message) from None
    finally:
        users.close()


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@click.group("user")
def user() -> None:
    """Manage the accounts that may sign in to the editing pages."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.VIEWER.value,
              show_default=True, help="viewer: look; editor: edit and import; admin: all.")
@_STDIN_OPTION
@_DB_OPTION
def add(name: str, role: str, password_stdin: bool, db: Path | None) -> None:
    """Create the account NAME."""
    with _users(db) as users:
        made = users.add(name, _password(password_stdin), role)
    click.echo(f"added {made.name} ({made.role.value})")


@user.command("remove")
@click.argument("name")
@_DB_OPTION
def remove(name: str, db: Path | None) -> None:
    """Delete the account NAME (its sessions end at once)."""
    with _users(db) as users:
        users.remove(name)
    click.echo(f"removed {name}")


@user.command("passwd")
@click.argument("name")
@_STDIN_OPTION
@_DB_OPTION
def passwd(name: str, password_stdin: bool, db: Path | None) -> None:
    """Set a new password for NAME (signs NAME out everywhere)."""
    with _users(db) as users:
        users.set_password(name, _password(password_stdin))
    click.echo(f"password of {name} changed")


@user.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@_DB_OPTION
def role(name: str, role: str, db: Path | None) -> None:
    """Give NAME another role (signs NAME out everywhere)."""
    with _users(db) as users:
        changed = users.set_role(name, role)
    click.echo(f"{changed.name} is now {changed.role.value}")


@user.command("list")
@_DB_OPTION
def list_users(db: Path | None) -> None:
    """List the accounts: name, role, created, last changed (UTC)."""
    with _users(db) as users:
        for found in users.list():
            click.echo(f"{found.name}\t{found.role.value}\t{found.created_at}\t"
                       f"{found.changed_at}")
