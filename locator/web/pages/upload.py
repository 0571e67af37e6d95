"""The registry upload page for planners: upload → preview (report, changes, map) → commit.

Editors and admins may import (the same accounts as station editing, see
:mod:`locator.web.auth`): anonymous visitors are sent to the sign-in page, viewers get
``403``. Every form carries the Flask-WTF CSRF token. The upload is validated by the
same :mod:`locator.registry.importer` code as ``locator import``; its bytes wait in
``instance/uploads`` until the planner commits (the SHA-256 is checked again), the new
version records the account that imported it (so imports appear in the audit log under
that name), and the served registry is swapped atomically after the commit.

Guards that hold before any work: an app-level hook refuses everyone but editors before
anything reads the body (CSRF reads the form), and only then lifts the size limit to
``IMPORT_MAX_BYTES``: an anonymous 50 MB multipart body is answered without being parsed.
A preview remembers the store version it was compared with, and the commit is a
compare-and-swap on it: an edit or import made meanwhile is never silently undone — the
planner sees what changed and can preview the same file again. Previews are kept ``0600``
for a day, one per session, and all of them together in at most :data:`PREVIEW_QUOTA`
times ``IMPORT_MAX_BYTES`` (the oldest go first).

The shared ``ADMIN_TOKEN`` sign-in is gone: a token names nobody (the audit log needs a
who) and cannot be revoked for one person. The first account is made on the server with
``locator user add NAME --role admin`` — shell access is the bootstrap.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from shapely.geometry import mapping

from locator.areas.store import imported_units
from locator.errors import (
    ConfigError,
    EditConflict,
    LocatorError,
    RegistryError,
    StoreWriteFailed,
)
from locator.maps.layers import safe_json
from locator.model import KIND_LABELS, N_, Station
from locator.registry import importer
from locator.registry.accounts import Role
from locator.registry.columns import parse_mapping
from locator.registry.messages import FIELD_LABELS, SEVERITY_LABELS, render_problem
from locator.registry.store import Store, open_store
from locator.registry.template import template_csv, template_xlsx
from locator.web import auth, health, service
from locator.web.config import settings

__all__ = ["bp", "init_app"]

log = logging.getLogger(__name__)
bp = Blueprint("admin", __name__, url_prefix="/admin/registry")
_PREVIEW_ID = "registry_preview"
_HEX_ID = re.compile(r"[0-9a-f]{32}")
PREVIEW_HOURS = 24
#: all kept previews together: at most this many times ``IMPORT_MAX_BYTES``
PREVIEW_QUOTA = 8


def init_app(app: Flask) -> None:
    """Register the blueprint.

    Raises
    ------
    ConfigError
        When the retired ``ADMIN_TOKEN`` is still configured (say so rather than ignore it).
    """
    if app.config.get("ADMIN_TOKEN"):
        raise ConfigError("ADMIN_TOKEN is no longer used: the upload page now takes accounts "
                          "with the editor or admin role; create one with `locator user add "
                          "NAME --role admin` and remove ADMIN_TOKEN from the configuration")
    app.before_request(_guard)  # app-level: runs before anything parses the body


def _guard() -> ResponseReturnValue | None:
    """Before anything reads the body: the upload pages are for editors only, and only their
    requests may be as large as ``IMPORT_MAX_BYTES`` (every other keeps the app's limit)."""
    if request.blueprint != "admin":
        return None
    refused = auth.refusal(Role.EDITOR)  # reads the session cookie, not the body
    if refused is not None:
        return refused
    request.max_content_length = settings().import_max_bytes + 64 * 1024
    return None


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _store() -> Store:
    return open_store(importer.store_location(current_app.config, current_app.instance_path))


def _uploads() -> Path:
    """The folder of previewed uploads (``0700``)."""
    instance = Path(current_app.instance_path)
    for folder in (instance, instance / "uploads"):  # (parents=True would make it 0755)
        folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _keep(data: bytes) -> str:
    """Keep ``data`` as a new preview (``0600``) and return its id.

    This session's previous preview goes, so do previews older than :data:`PREVIEW_HOURS`,
    and then the oldest others until all fit in :data:`PREVIEW_QUOTA` × ``IMPORT_MAX_BYTES``
    (their planners are asked to upload again).
    """
    folder = _uploads()
    previous = session.get(_PREVIEW_ID) or {}
    if _HEX_ID.fullmatch(str(previous.get("id", ""))):
        (folder / f"{previous['id']}.bin").unlink(missing_ok=True)
    budget = PREVIEW_QUOTA * settings().import_max_bytes - len(data)
    stale = time.time() - PREVIEW_HOURS * 3600
    kept: list[tuple[float, int, Path]] = []
    for old in folder.glob("*.bin"):
        with contextlib.suppress(OSError):
            info = old.stat()
            if info.st_mtime < stale:
                old.unlink()
            else:
                kept.append((info.st_mtime, info.st_size, old))
    for _mtime, size, old in sorted(kept, reverse=True):  # the newest keep their place
        budget -= size
        if budget < 0:
            old.unlink(missing_ok=True)
    preview_id = secrets.token_hex(16)
    fd = os.open(folder / f"{preview_id}.bin", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return preview_id


@bp.get("/")
def index() -> ResponseReturnValue:
    """The upload form with the store's recent versions."""
    store = _store()
    try:
        versions = store.history()[:10]
    finally:
        store.close()
    return render_template("admin/upload.html", versions=versions, datums=("wgs84", "gcj02",
                                                                           "bd09"))


@bp.get("/template.<fmt>")
def template(fmt: str) -> ResponseReturnValue:
    """The registry template to fill in: XLSX (with a sheet explaining every column, in the
    page's language) or CSV."""
    if fmt == "csv":
        return Response(template_csv(), mimetype="text/csv; charset=utf-8", headers={
            "Content-Disposition": "attachment; filename=registry-template.csv"})
    if fmt == "xlsx":
        return Response(template_xlsx(_), mimetype=_XLSX, headers={
            "Content-Disposition": "attachment; filename=registry-template.xlsx"})
    abort(404)


def _prepare(data: bytes, name: str, datum: str, mapping_text: str) -> importer.Prepared:
    return importer.prepare(
        data, name=name, datum=datum, mapping=parse_mapping(mapping_text),
        boundary=importer.boundary_from_setting(settings().registry_boundary),
        max_bytes=settings().import_max_bytes,
        areas=imported_units(current_app.config, current_app.instance_path))


def _mode() -> str:
    mode = request.form.get("mode", "merge")
    if mode not in importer.MODES:
        raise RegistryError(_("Unknown import mode %(mode)r.", mode=mode))
    return mode


def _served() -> list[Station]:
    return list(service.current_registry().stations)


@bp.post("/preview")
def preview() -> ResponseReturnValue:
    """Validate the upload and show what a commit would change in the registry being
    served; nothing is written."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("admin/error.html", message=_("Choose a file to upload.")), 400
    name = Path(upload.filename.replace("\\", "/")).name[:200] or "upload"
    return _preview(upload.read(), name, request.form.get("datum", "wgs84"),
                    request.form.get("mapping", ""))


@bp.post("/preview-again")
def preview_again() -> ResponseReturnValue:
    """Preview the pending upload again, against the registry as it is now."""
    pending, path = _pending()
    return _preview(path.read_bytes(), pending["name"], pending["datum"], pending["mapping"],
                    pending.get("mode", "merge"))


def _pending() -> tuple[dict[str, Any], Path]:
    """This session's previewed upload (the form names it) and its kept file."""
    pending = session.get(_PREVIEW_ID)
    if not pending or request.form.get("preview") != pending.get("id") \
            or not _HEX_ID.fullmatch(str(pending.get("id"))):
        abort(400, description=_("Nothing to commit: upload the file again."))
    path = _uploads() / f"{pending['id']}.bin"
    if not path.is_file():
        abort(400, description=_("Nothing to commit: upload the file again."))
    return pending, path


def _preview(data: bytes, name: str, datum: str, mapping_text: str, mode: str | None = None
             ) -> ResponseReturnValue:
    try:
        mode = mode or _mode()
        prepared = _prepare(data, name, datum, mapping_text)
    except LocatorError as exc:
        return render_template("admin/error.html", message=file_error(exc, _)), exc.status
    served = _served()
    store = _store()
    try:  # what the import merges into: the active version, or (none yet) what is served
        active = store.active()
        base = store.stations(active.id) if active is not None else served
    finally:
        store.close()
    preview_id = _keep(data)
    session[_PREVIEW_ID] = {"id": preview_id, "name": name, "sha256": prepared.sha256,
                            "datum": datum, "mapping": mapping_text, "mode": mode,
                            "base": 0 if active is None else active.id,  # what commit must find
                            "at": datetime.now(UTC).isoformat(timespec="seconds")}
    changes = importer.diff(served, importer.merged(prepared, base, mode))
    return render_template(
        "admin/preview.html", prepared=prepared, changes=changes, mode=mode,
        preview_id=preview_id, map_data=safe_json(_map_data(changes)),
        problems=[(p, render_problem(p, _)) for p in prepared.report.problems[:1000]],
        field_labels={k: _(v) for k, v in FIELD_LABELS.items()},
        severity_labels={k: _(v) for k, v in SEVERITY_LABELS.items()},
        kind_labels={k.value: _(v) for k, v in KIND_LABELS.items()})


def _map_data(changes: importer.Changes) -> dict[str, Any]:
    def point(s: Any) -> dict[str, Any]:
        return {"id": s.id, "name": s.name, "lon": s.lon, "lat": s.lat}

    area = importer.boundary_from_setting(settings().registry_boundary)
    return {
        "added": [point(s) for s in changes.added if s.located][:5000],
        "removed": [point(s) for s in changes.removed if s.located][:5000],
        "moved": [{**point(new), "from": [old.lon, old.lat], "metres": round(m, 1)}
                  for old, new, m in changes.moved if old.located and new.located][:5000],
        "area": None if area is None else json.loads(json.dumps(mapping(area))),
    }


@bp.post("/commit")
def commit() -> ResponseReturnValue:
    """Import the previewed file for real (same checks again), then serve it.

    Refused (``409``, showing what changed) when the store's active version is no longer
    the one the preview was compared with: committing would undo those changes unseen.
    """
    pending, path = _pending()
    data = path.read_bytes()
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        health.ensure_writable()  # 503 while a corrupt store's backup is served read-only
        prepared = _prepare(data, pending["name"], pending["datum"], pending["mapping"])
        if prepared.sha256 != pending["sha256"]:
            raise RegistryError(_("The uploaded file changed since the preview."))
        store = _store()
        try:
            try:
                version = importer.commit(
                    store, prepared, user=auth.current_account().name,
                    allow_partial=request.form.get("allow_partial") == "1",
                    mode=pending.get("mode", "merge"), served=_served,
                    served_source=served_label(), expected_active=pending.get("base"))
            except EditConflict:
                return _stale(store, pending), 409
            except (sqlite3.Error, OSError) as exc:  # (PostGIS failures arrive as OSError)
                raise StoreWriteFailed(_("The registry store could not be written (%(error)s); "
                                         "nothing was changed.", error=str(exc))) from None
            served = _serve(app, store)
        finally:
            store.close()
    except LocatorError as exc:
        return render_template("admin/error.html", message=file_error(exc, _)), exc.status
    path.unlink(missing_ok=True)
    session.pop(_PREVIEW_ID, None)
    if served:
        flash(_("Version %(id)d is now served: %(n)d stations.", id=version.id,
                n=version.accepted))
    else:
        flash(_("Version %(id)d is stored (%(n)d stations) but could not be loaded here yet; "
                "it is served once the server reloads it (see the server log).", id=version.id,
                n=version.accepted))
    health.note_write(app, version.id, store.warnings)
    return redirect(url_for("admin.index"))


def served_label() -> str:
    """How the registry served before the first import is named in the store's history."""
    setting = settings().registry
    return ", ".join(p.name for p in service.registry_paths(setting))


_FILE_ERRORS = {
    "no_rows": N_("%(file)s: the file has a header but no rows."),
    "no_valid_rows": N_("%(file)s: no row is valid; the registry was not changed."),
    "rows_rejected": N_("%(file)s: %(rejected)d rows were rejected; fix them or tick \"import "
                        "the accepted rows\"."),
}


def file_error(exc: LocatorError, gettext: Any) -> str:
    """A file-level refusal in the page's language when it has a known reason, else as is."""
    template = _FILE_ERRORS.get(str(exc.details.get("reason_code", "")))
    if template is None:
        return exc.message
    name = str(exc.details.get("file") or exc.message.split(":", 1)[0])
    return str(gettext(template) % {"file": name, "rejected": exc.details.get("rejected", 0)})


def _serve(app: Flask, store: Store) -> bool:
    """Serve the store's active version now; ``False`` (logged) when that fails — the
    version is stored all the same, and other workers or the next start load it."""
    try:
        service.reload_from_store(app, store)
    except Exception:  # the commit stands: never answer a stored version as a failure
        log.exception("registry: version stored but not loaded in this process")
        return False
    return True


def _stale(store: Store, pending: dict[str, Any]) -> str:
    """The page saying which versions landed since the preview, offering a new one."""
    versions = {v.id: v for v in store.history()}
    since = [(entry, versions.get(entry.version)) for entry in store.log()
             if entry.at >= str(pending.get("at", ""))]
    return render_template("admin/stale.html", pending=pending, active=store.active(),
                           since=since)
