"""Is the app healthy? The start-up store check, ``/healthz``, and the gate every write passes.

At start-up :func:`init_app` checks the GeoPackage store (``STORE``, default
``instance/registry.gpkg``) with :func:`locator.registry.store.backup.check_file`. When it is
corrupt and its verified backup (``registry.gpkg.bak``, written after every store write)
is sound:

1. a marker ``registry.gpkg.degraded`` (JSON: reason, corrupt file, time) is written, so
   every store write is refused from then on;
2. the corrupt file is renamed aside (``registry.gpkg.corrupt-<UTC time>``, with its
   ``-wal``/``-shm``), kept for inspection, never deleted;
3. a copy of the backup takes its place, so every reader — the served registry, the
   upload and editing pages, the CLI — reads the last good version and nothing creates an
   empty store there.

Server workers starting together take turns (an exclusive lock on
``.registry.gpkg.check.lock``): one restores, the others find the marker.

While the marker exists the app is *degraded*, also across restarts: ``/healthz`` answers
``{"status": "degraded", "writable": false}`` and every web write is refused with ``503``.
With no sound backup the app refuses to start (:class:`~locator.errors.ConfigError`) and
leaves the file where it is. PostGIS stores are not checked here (the database server
keeps its own integrity). Before the check, the store's folder is swept of temporary files
that killed writes left (:func:`locator.files.atomic.remove_leftovers`).

A write whose ``COMMIT`` succeeded stands even when what follows it fails (the WAL
checkpoint or the backup, on a full disk): it is answered as stored, and the app's status
is ``warning`` — with what failed — until a later write completes cleanly
(:func:`note_write`, and the store's ``<store>.warning`` file for the other workers).

``/healthz`` tells anyone the status and whether writes are accepted; the reasons, file
paths and warnings only to a signed-in administrator (they name files on the server).

**For code that writes** (the upload page, station editing, user management — anything
that changes the store): call :func:`ensure_writable` first, inside the request::

    from locator.web import health
    health.ensure_writable()      # raises StoreUnavailable (HTTP 503) when degraded

Recovery: inspect the ``.corrupt-*`` file; keep the restored store (or copy a better one
to ``registry.gpkg``), delete ``registry.gpkg.degraded`` and restart.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app, flash, has_request_context, jsonify
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from locator.errors import ConfigError, StoreUnavailable
from locator.files.atomic import fsync_dir, locked_temp, remove_leftovers, write_atomic
from locator.registry.accounts import Role
from locator.registry.importer import store_location
from locator.registry.store import backup, is_database_url
from locator.web import reported

__all__ = ["Health", "bp", "check_store", "current", "ensure_writable", "init_app",
           "is_degraded", "marker_path", "note_served", "note_write"]

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
_KEY = "locator.web.health"
_WRITE = "locator.web.health.write"  # (version, problems) of this process's last write


@dataclass(frozen=True)
class Health:
    """The app's health: ``ok``; ``warning`` (a stored write's checkpoint or backup failed);
    or ``degraded``, with why and what is served instead."""

    status: str = "ok"
    reason: str | None = None
    #: the backup served read-only while degraded
    serving: str | None = None
    #: where the corrupt store was set aside
    corrupt_file: str | None = None
    #: when the corruption was found (UTC, ISO 8601)
    since: str | None = None
    #: what failed after the last committed write (the write itself stands)
    warnings: tuple[str, ...] = ()

    def to_dict(self, *, details: bool = True) -> dict[str, Any]:
        """The ``/healthz`` body; without ``details`` only ``status`` and ``writable`` (the
        rest names files on the server)."""
        writable = self.status != "degraded"
        if not details:
            return {"status": self.status, "writable": writable}
        body = {k: v for k, v in asdict(self).items() if v is not None and v != ()}
        body["writable"] = writable
        return body


def init_app(app: Flask) -> None:
    """Check the store and record the app's health (``/healthz`` is :data:`bp`).

    Call before :func:`locator.web.service.init_app`, so a restored store is what it loads.

    Raises
    ------
    ConfigError
        When the store is corrupt and no sound backup exists (the file is left in place).
    """
    location = store_location(app.config, app.instance_path)
    if not is_database_url(location):  # what killed writes left (a backup: the store's size)
        for leftover in remove_leftovers(Path(location).parent, Path(location).name):
            log.warning("removed %s, left by a write that was interrupted", leftover)
    app.extensions[_KEY] = check_store(location)


def marker_path(store: Path) -> Path:
    """The file whose presence keeps the app degraded (and the store read-only)."""
    return backup.degraded_marker(store)


def check_store(location: str) -> Health:
    """Check the store at ``location``; replace a corrupt one by its backup (kept aside).

    Parameters
    ----------
    location : str
        A GeoPackage path or a database URL (URLs are not checked).

    Returns
    -------
    Health
        ``ok``, or ``degraded`` (found corrupt now, or earlier and not yet cleared).

    Raises
    ------
    ConfigError
        When the store is corrupt and no sound backup exists.
    """
    if is_database_url(location):
        return Health()
    path = Path(location)
    if not path.is_file() and not marker_path(path).is_file():
        return Health()  # no store yet (a restore writes its marker before the file moves)
    # server workers start together: they check a sound store side by side (a shared lock;
    # ~0.15 s each at 200,000 stations), but restore one at a time (an exclusive lock, the
    # check done again under it), so the others find the restored file and the marker
    # instead of racing on the rename
    lock_fd = os.open(path.with_name(f".{path.name}.check.lock"),
                      os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(lock_fd, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH)
        if path.is_file() and backup.check_file(path) is None:
            return _as_marked(path)
        fcntl.flock(lock, fcntl.LOCK_EX)  # (drops the shared lock first: no deadlock)
        return _check_locked(path)


def _check_locked(path: Path) -> Health:
    problem = backup.check_file(path) if path.is_file() else None
    if problem is None:
        return _as_marked(path)
    saved = backup.backup_path(path)
    saved_problem = backup.check_file(saved) if saved.is_file() else "there is no backup"
    if saved_problem is not None:
        raise ConfigError(
            f"the registry store {str(path)!r} is corrupt ({problem}) and no sound backup "
            f"exists ({saved_problem}); the file was left in place for inspection: restore "
            f"a copy of it or move it aside, then start again")
    aside, marker = backup.aside_path(path), marker_path(path)
    health = Health(status="degraded", reason=f"store corrupt: {problem}", serving=str(saved),
                    corrupt_file=str(aside),
                    since=datetime.now(UTC).isoformat(timespec="seconds"))
    # the copy first: if it fails (a full disk) the corrupt file stays where it is, no store
    # goes missing, and the next start tries again
    with locked_temp(path, mode=0o600) as tmp:
        shutil.copyfile(saved, tmp)
        with open(tmp, "rb") as copied:
            os.fsync(copied.fileno())
        # then the marker: from here on every store write is refused, before the file moves
        write_atomic(marker, json.dumps(health.to_dict(), ensure_ascii=False, indent=1)
                     .encode("utf-8"), mode=0o600)
        backup.move_aside(path, aside)
        os.replace(tmp, path)
    fsync_dir(path.parent)
    log.error("registry store %s is corrupt (%s): set aside as %s; its backup %s is served "
              "read-only and writes are refused until %s is removed", path, problem, aside,
              saved, marker)
    return health


def _as_marked(path: Path) -> Health:
    """The health of a sound store: degraded while its marker is there, else ok."""
    marker = marker_path(path)
    return _from_marker(marker) if marker.is_file() else Health()


def _from_marker(marker: Path) -> Health:
    try:
        found = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        found = {"reason": f"unreadable marker {str(marker)!r}: {exc}"}
    fields = {k: str(found[k]) for k in ("reason", "serving", "corrupt_file", "since")
              if isinstance(found, dict) and found.get(k) is not None}
    return Health(status="degraded", reason=fields.get("reason", f"marker {str(marker)!r}"),
                  serving=fields.get("serving"), corrupt_file=fields.get("corrupt_file"),
                  since=fields.get("since"))


def current(app: Flask | None = None) -> Health:
    """The health of ``app`` (default: the current app), with the warnings of the last write."""
    target = app if app is not None else current_app
    health: Health = target.extensions.get(_KEY, Health())
    location = store_location(target.config, target.instance_path)
    found = [] if is_database_url(location) else backup.read_warnings(Path(location))
    _version, mine = target.extensions.get(_WRITE, (None, []))
    warnings = tuple(dict.fromkeys([*found, *mine]))
    if not warnings:
        return health
    return replace(health, warnings=warnings,
                   status="degraded" if health.status == "degraded" else "warning")


def note_write(app: Flask, version: int, warnings: list[str]) -> None:
    """Remember what failed after this process wrote ``version`` (``[]``: nothing did), and
    tell the person who wrote it (a flashed message on their next page).

    The store also records it for every process (``<store>.warning``), but on the full disk
    that made the backup fail that file may not be writable either.
    """
    app.extensions[_WRITE] = (version, list(warnings))
    if warnings and has_request_context():
        flash(_("Version %(id)d is stored, but what follows a write failed: %(problems)s. An "
                "administrator should look at /healthz.", id=version,
                problems="; ".join(warnings)))


def note_served(app: Flask, version: int | None) -> None:
    """A newer version is served: this process's warnings about older writes are done with
    (the write that made it settled — or recorded its own warnings)."""
    noted: int | None = app.extensions.get(_WRITE, (None, []))[0]
    if noted is not None and version is not None and version > noted:
        app.extensions.pop(_WRITE, None)


def is_degraded(app: Flask | None = None) -> bool:
    """Whether the app is serving a backup read-only."""
    return current(app).status == "degraded"


def ensure_writable() -> None:
    """Refuse a write while the app is degraded.

    Raises
    ------
    StoreUnavailable
        HTTP 503 when the store was found corrupt and a backup is served read-only.
    """
    health = current()
    if health.status == "degraded":
        raise StoreUnavailable(
            _("The registry is read-only for now (%(reason)s); changes are refused until an "
              "administrator restores the store.", reason=health.reason or health.status))


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """``{"status": "ok" | "warning" | "degraded", "writable": ..., "reports": ...}`` (always
    200: a degraded app still serves readers), with workers' reports counted by status
    (``"reports": {"open": …, "accepted": …, "dismissed": …}``, at most
    :data:`locator.web.reported.TTL` seconds old); a signed-in administrator also sees why,
    where and since when."""
    response = jsonify({**current().to_dict(details=current_user.can(Role.ADMIN)),
                        "reports": reported.counts()})
    response.headers["Cache-Control"] = "no-store"
    return response
