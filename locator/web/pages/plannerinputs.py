"""``/planner/inputs``: the planner's population layer and candidate sites, from the browser.

Editors and admins only (:func:`locator.web.auth.role_required`), every form with the CSRF
token; the same checks and store as ``locator inputs add``
(:func:`locator.web.plans.store_input`). A file with refused rows is not stored unless the
planner ticks "store the accepted rows"; the rows are listed with the file's own row
numbers and column headers. The planner page uses a new layer at its next request.
"""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from locator.areas.units import LEVELS
from locator.errors import LocatorError
from locator.planning import inputstore
from locator.planning.demand import KINDS
from locator.registry.accounts import Role
from locator.web import auth, plans
from locator.web.config import settings

__all__ = ["bp", "init_app"]

bp = Blueprint("planner_inputs", __name__, url_prefix="/planner/inputs")


def init_app(app: Flask) -> None:
    """Let uploads here be as large as registry uploads (``IMPORT_MAX_BYTES``)."""
    app.before_request(_upload_limit)  # app-level: runs before anything parses the body


def _upload_limit() -> None:
    if request.blueprint == "planner_inputs":
        request.max_content_length = settings().import_max_bytes + 64 * 1024


@bp.before_request
@auth.role_required(Role.EDITOR)
def _gate() -> ResponseReturnValue | None:
    return None  # the role check is the decorator; CSRF is checked app-wide


def _page(status: int = 200, **extra: object) -> ResponseReturnValue:
    demand, cands = plans.demand_input(), plans.candidates_input()
    return render_template("planner/inputs.html", demand=None if demand is None else demand.meta,
                           candidates=None if cands is None else cands.meta, kinds=KINDS,
                           levels=LEVELS, **extra), status


@bp.get("/")
def index() -> ResponseReturnValue:
    """What is loaded, and the upload forms."""
    return _page()


@bp.post("/<what>")
def upload(what: str) -> ResponseReturnValue:
    """Check and store a demand layer (``what=demand``) or candidate file (``candidates``)."""
    if what not in inputstore.INPUTS:
        return _page(404, error=_("Unknown planner input %(what)s.", what=what))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(400, error=_("Choose a file to upload."))
    name = Path(upload.filename.replace("\\", "/")).name[:200] or "upload"
    kind = request.form.get("kind") or None
    try:
        meta, problems = plans.store_input(
            what, upload.read(), name, kind=None if kind == "auto" else kind,
            level=request.form.get("level") or "district",
            datum=request.form.get("datum") or "wgs84", by=auth.current_account().name,
            allow_partial=request.form.get("allow_partial") == "1")
    except LocatorError as exc:
        return _page(exc.status, error=exc.message)
    except OSError as exc:
        return _page(507, error=_("The file could not be stored (%(error)s); nothing was "
                                  "changed.", error=str(exc)))
    if meta is None:
        return _page(422, error=_("%(n)d rows were refused, so nothing was stored. Fix them, "
                                  "or tick \u201cstore the accepted rows\u201d.",
                                  n=len(problems)), problems=problems)
    flash(_("%(name)s is now used by the planner.", name=name))
    return redirect(url_for("planner_inputs.index"))


@bp.post("/<what>/remove")
def remove(what: str) -> ResponseReturnValue:
    """Stop using the demand layer or the candidate file."""
    if what not in inputstore.INPUTS:
        return _page(404, error=_("Unknown planner input %(what)s.", what=what))
    folder = inputstore.data_dir(current_app.config, current_app.instance_path)
    if inputstore.remove(folder, what):
        flash(_("Removed: the planner no longer uses it."))
    return redirect(url_for("planner_inputs.index"))
