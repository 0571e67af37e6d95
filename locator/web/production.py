"""Production or development, and the start-up refusals production needs.

**How production is detected.** ``PRODUCTION`` (``LOCATOR_PRODUCTION=true|false``) decides
when it is set. Unset, the app is in *development* when ``TESTING`` is on or it runs under
the ``flask`` command (``flask run``, which ``make run`` uses: Flask marks it with the
``FLASK_RUN_FROM_CLI`` environment variable), and in *production* otherwise — gunicorn
(``make serve``), ``locator serve``, any other WSGI server.

**In production** the app refuses to start (:class:`~locator.errors.ConfigError`)

* with debug on (``FLASK_DEBUG``/``LOCATOR_DEBUG``): Werkzeug's debugger runs code;
* with the development key ``dev``, or any ``SECRET_KEY`` under 16 characters.

With ``SECRET_KEY`` unset, production reads ``<instance folder>/secret_key``, made on first
start (64 hex characters from :mod:`secrets`, mode ``0600``; workers starting together
agree on one through an atomic create-if-absent) — so one host needs no set-up, and a
key readable by other users is refused. Several hosts behind one name must share a key:
set ``LOCATOR_SECRET_KEY`` on each. Development uses ``dev``.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from flask import Flask

from locator.errors import ConfigError
from locator.files.atomic import create_with

__all__ = ["DEV_KEY", "MIN_KEY_LENGTH", "SECRET_FILE", "apply", "is_production",
           "secret_from_instance"]

DEV_KEY = "dev"
MIN_KEY_LENGTH = 16
SECRET_FILE = "secret_key"  # noqa: S105 - a file name, not a secret


def is_production(app: Flask) -> bool:
    """Whether ``app`` runs in production (see the module docstring)."""
    setting = app.config.get("PRODUCTION")
    if setting is not None:
        return bool(setting)
    if app.config.get("TESTING"):
        return False
    return os.environ.get("FLASK_RUN_FROM_CLI") != "true"


def apply(app: Flask) -> None:
    """Settle ``PRODUCTION`` and ``SECRET_KEY``; refuse what production must not run with.

    Raises
    ------
    ConfigError
        In production: debug on, the development key, a key under 16 characters, or an
        instance key file others may read.
    """
    production = is_production(app)
    app.config["PRODUCTION"] = production
    key = app.config.get("SECRET_KEY")
    if not production:
        if not key:
            app.config["SECRET_KEY"] = DEV_KEY
        return
    if app.debug or app.config.get("DEBUG"):
        raise ConfigError("debug mode is on in production (FLASK_DEBUG or LOCATOR_DEBUG): it "
                          "would let visitors run code; turn it off, or set "
                          "LOCATOR_PRODUCTION=false on a development machine")
    if key is None or key == "":
        app.config["SECRET_KEY"] = secret_from_instance(Path(app.instance_path))
        return
    if str(key) == DEV_KEY or len(str(key)) < MIN_KEY_LENGTH:
        shown = DEV_KEY if str(key) == DEV_KEY else f"{len(str(key))} characters"
        raise ConfigError(f"PRODUCTION is on but SECRET_KEY is weak (got {shown}; at least "
                          f"{MIN_KEY_LENGTH} random characters needed): set "
                          f"LOCATOR_SECRET_KEY, or unset it to use instance/{SECRET_FILE}")


def secret_from_instance(folder: Path) -> str:
    """The key in ``folder/secret_key``, made (``0600``) if absent.

    Raises
    ------
    ConfigError
        When the file is readable or writable by group or others, or holds a short key.
    """
    path = folder / SECRET_FILE
    if not path.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = secrets.token_hex(32) + "\n"
        # atomic create-if-absent: one key even if workers race
        create_with(path, lambda tmp: tmp.write_text(key, encoding="utf-8"), mode=0o600)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"{str(path)!r} may be read by other users (mode {mode:04o}); "
                          f"run: chmod 600 {path}")
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < MIN_KEY_LENGTH:
        raise ConfigError(f"{str(path)!r} holds a key of {len(key)} characters; at least "
                          f"{MIN_KEY_LENGTH} needed (delete it to have a new one made)")
    return key
