"""The registry upload page for planners: upload → preview (report, changes, map) → commit.

Editors and admins may import (the same accounts as station editing, see
:mod:`locator.web.auth`): anonymous visitors are sent to the sign-in page, viewers get
``403``. Every form carries the Flask-WTF CSRF token. The upload is validated by the
same :mod:`locator.registry.importer` code as ``locator import``; its bytes wait in
``instance/uploads`` until the planner commits (the SHA-256 is checked again), the new
version records the account that imported it (so imports appear in the audit log under
that name), and the served registry is swapped atomically after the commit.

The shared ``ADMIN_TOKEN`` sign-in is gone: a token names nobody (the audit log needs a
who) and cannot be revoked for one person. The first account is made on the server with
``locator user add NAME --role admin`` — shell access is the bootstrap.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
import time
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
from locator.errors import ConfigError, LocatorError, RegistryError, StoreWriteFailed
from locator.maps.layers import safe_json
from locator.model import KIND_LABELS, N_, Station
from locator.registry import importer
from locator.registry.accounts import Role
from locator.registry.columns import parse_mapping
from locator.registry.messages import FIELD_LABELS, SEVERITY_LABELS, render_problem
from locator.registry.store import Store, open_store
from locator.registry.template import template_csv, template_xlsx
from locator.web import auth, health, service

__all__ = ["bp", "init_app"]

bp = Blueprint("admin", __name__, url_prefix="/admin/registry")
_PREVIEW_ID = "registry_preview"


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
    app.before_request(_upload_limit)  # app-level: runs before anything parses the body


def _upload_limit() -> None:
    """Uploads may be as large as ``IMPORT_MAX_BYTES`` (other requests keep the app's limit)."""
    if request.blueprint == "admin":
        request.max_content_length = int(current_app.config["IMPORT_MAX_BYTES"]) + 64 * 1024


@bp.before_request
@auth.role_required(Role.EDITOR)
def _gate() -> ResponseReturnValue | None:
    return None  # the role check is the decorator; CSRF is checked app-wide


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _store() -> Store:
    return open_store(importer.store_location(current_app.config, current_app.instance_path))


def _uploads() -> Path:
    """The folder of previewed uploads; files older than a day are removed."""
    folder = Path(current_app.instance_path) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    stale = time.time() - 24 * 3600
    for old in folder.glob("*.bin"):
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < stale:
                old.unlink()
    return folder


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
        boundary=importer.boundary_from_setting(current_app.config["REGISTRY_BOUNDARY"]),
        max_bytes=int(current_app.config["IMPORT_MAX_BYTES"]),
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
    data = upload.read()
    datum = request.form.get("datum", "wgs84")
    mapping_text = request.form.get("mapping", "")
    try:
        mode = _mode()
        prepared = _prepare(data, name, datum, mapping_text)
    except LocatorError as exc:
        return render_template("admin/error.html", message=file_error(exc, _)), exc.status
    preview_id = secrets.token_hex(16)
    (_uploads() / f"{preview_id}.bin").write_bytes(data)
    session[_PREVIEW_ID] = {"id": preview_id, "name": name, "sha256": prepared.sha256,
                            "datum": datum, "mapping": mapping_text, "mode": mode}
    served = _served()
    store = _store()
    try:  # what the import merges into: the active version, or (none yet) what is served
        base = store.stations() if store.active() is not None else served
    finally:
        store.close()
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

    area = importer.boundary_from_setting(current_app.config["REGISTRY_BOUNDARY"])
    return {
        "added": [point(s) for s in changes.added if s.located][:5000],
        "removed": [point(s) for s in changes.removed if s.located][:5000],
        "moved": [{**point(new), "from": [old.lon, old.lat], "metres": round(m, 1)}
                  for old, new, m in changes.moved if old.located and new.located][:5000],
        "area": None if area is None else json.loads(json.dumps(mapping(area))),
    }


@bp.post("/commit")
def commit() -> ResponseReturnValue:
    """Import the previewed file for real (same checks again), then serve it."""
    pending = session.get(_PREVIEW_ID)
    if not pending or request.form.get("preview") != pending.get("id"):
        abort(400, description=_("Nothing to commit: upload the file again."))
    path = _uploads() / f"{pending['id']}.bin"
    if not path.is_file():
        abort(400, description=_("Nothing to commit: upload the file again."))
    data = path.read_bytes()
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
                    served_source=served_label())
            except (sqlite3.Error, OSError) as exc:  # (PostGIS failures arrive as OSError)
                raise StoreWriteFailed(_("The registry store could not be written (%(error)s); "
                                         "nothing was changed.", error=str(exc))) from None
            service.reload_from_store(current_app._get_current_object(),  # type: ignore[attr-defined]
                                      store)
        finally:
            store.close()
    except LocatorError as exc:
        return render_template("admin/error.html", message=file_error(exc, _)), exc.status
    path.unlink(missing_ok=True)
    session.pop(_PREVIEW_ID, None)
    flash(_("Version %(id)d is now served: %(n)d stations.", id=version.id, n=version.accepted))
    return redirect(url_for("admin.index"))


def served_label() -> str:
    """How the registry served before the first import is named in the store's history."""
    setting = current_app.config["REGISTRY"]
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
