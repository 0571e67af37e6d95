"""Is the app healthy? The start-up store check, ``/healthz``, and the gate every write passes.

At start-up :func:`init_app` checks the GeoPackage store (``STORE``, default
``instance/registry.gpkg``) with :func:`locator.registry.backup.check_file`. When it is
corrupt and its verified backup (``registry.gpkg.bak``, written after every store write)
is sound, the corrupt file is renamed aside (``registry.gpkg.corrupt-<UTC time>``, kept
for inspection, never deleted), the app serves the backup **read-only** and is
*degraded*: ``/healthz`` answers ``{"status": "degraded", "reason": ...}`` and every
write is refused with ``503``. With no sound backup the app refuses to start
(:class:`~locator.errors.ConfigError`) and leaves the file where it is. PostGIS
stores are not checked here (the database server keeps its own integrity).

**For code that writes** (the upload page, station editing, user management — anything
that changes the store): call :func:`ensure_writable` first, inside the request::

    from locator import health
    health.ensure_writable()      # raises StoreUnavailable (HTTP 503) when degraded

Recovery: inspect the ``.corrupt-*`` file, copy ``registry.gpkg.bak`` (or a better copy)
to ``registry.gpkg`` and restart.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from locator.errors import ConfigError, StoreUnavailable
from locator.registry import backup
from locator.registry.importer import store_location
from locator.registry.store import is_database_url

__all__ = ["Health", "bp", "current", "ensure_writable", "init_app", "is_degraded",
           "serving_location"]

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
_KEY = "locator.health"


@dataclass(frozen=True)
class Health:
    """The app's health: ``ok``, or ``degraded`` with why and what is served instead."""

    status: str = "ok"
    reason: str | None = None
    #: the backup served read-only while degraded
    serving: str | None = None
    #: where the corrupt store was set aside
    corrupt_file: str | None = None
    #: a private copy of the backup the registry was read from (the backup stays untouched)
    read_copy: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``/healthz`` body (``read_copy`` is an internal detail and left out)."""
        body = {k: v for k, v in asdict(self).items() if v is not None}
        body.pop("read_copy", None)
        body["writable"] = self.status == "ok"
        return body


def init_app(app: Flask) -> None:
    """Check the store, record the app's health and register ``/healthz``.

    Call before :func:`locator.service.init_app`, which serves
    :func:`serving_location` when degraded.

    Raises
    ------
    ConfigError
        When the store is corrupt and no sound backup exists (the file is left in place).
    """
    app.extensions[_KEY] = check_store(store_location(app.config, app.instance_path))
    app.register_blueprint(bp)


def check_store(location: str) -> Health:
    """Check the store at ``location``; set a corrupt one aside and fall back to its backup.

    Parameters
    ----------
    location : str
        A GeoPackage path or a database URL (URLs are not checked).

    Returns
    -------
    Health
        ``ok``, or ``degraded`` with the backup to serve read-only.
    """
    if is_database_url(location) or not Path(location).is_file():
        return Health()
    path = Path(location)
    problem = backup.check_file(path)
    if problem is None:
        return Health()
    saved = backup.backup_path(path)
    saved_problem = backup.check_file(saved) if saved.is_file() else "there is no backup"
    if saved_problem is not None:
        raise ConfigError(
            f"the registry store {str(path)!r} is corrupt ({problem}) and no sound backup "
            f"exists ({saved_problem}); the file was left in place for inspection: restore "
            f"a copy of it or move it aside, then start again")
    aside = backup.move_aside(path)
    read_copy = path.with_name(f".{path.name}.bak-serving")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{read_copy}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(saved, read_copy)
    log.error("registry store %s is corrupt (%s): set aside as %s; serving the backup %s "
              "read-only, writes refused", path, problem, aside, saved)
    return Health(status="degraded", reason=f"store corrupt: {problem}", serving=str(saved),
                  corrupt_file=str(aside), read_copy=str(read_copy))


def current(app: Flask | None = None) -> Health:
    """The health of ``app`` (default: the current app)."""
    target = app if app is not None else current_app
    health: Health = target.extensions.get(_KEY, Health())
    return health


def is_degraded(app: Flask | None = None) -> bool:
    """Whether the app is serving a backup read-only."""
    return current(app).status != "ok"


def serving_location(app: Flask) -> str | None:
    """The store to read the registry from while degraded (``None`` when healthy)."""
    return current(app).read_copy


def ensure_writable() -> None:
    """Refuse a write while the app is degraded.

    Raises
    ------
    StoreUnavailable
        HTTP 503 when the store was found corrupt and a backup is served read-only.
    """
    health = current()
    if health.status != "ok":
        raise StoreUnavailable(
            _("The registry is read-only for now (%(reason)s); changes are refused until an "
              "administrator restores the store.", reason=health.reason or health.status))


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """``{"status": "ok"}`` or ``{"status": "degraded", "reason": ..., ...}`` (always 200:
    a degraded app still serves readers)."""
    response = jsonify(current().to_dict())
    response.headers["Cache-Control"] = "no-store"
    return response
