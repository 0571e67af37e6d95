"""``/edit/reports``: the editors' inbox of workers' reports — accept (then edit) or dismiss.

Viewers may read the inbox; editors and admins may act. *Accept* records who and when and
opens the station's edit form prefilled with the reported change
(:func:`prefill`: the missing amenity unticked, the hours field first, the retire box
ticked for a closure), whose save names the report in its audit record; *dismiss* records
who and when. Both are final: a report handled by someone else meanwhile answers ``409``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from locator.model import AMENITY_LABELS
from locator.registry.accounts import Role
from locator.registry.reports import REASON_LABELS, STATUS_LABELS, Reason, Report, Status
from locator.web import auth, health, reported
from locator.web.params import Args

__all__ = ["PAGE", "bp", "prefill", "report_for_edit"]

bp = Blueprint("inbox", __name__, url_prefix="/edit/reports")
PAGE = 50


def _labels() -> dict[str, Any]:
    return {"reasons": {r.value: _(label) for r, label in REASON_LABELS.items()},
            "statuses": {s.value: _(label) for s, label in STATUS_LABELS.items()},
            "amenity_labels": {a.value: _(label) for a, label in AMENITY_LABELS.items()}}


@bp.get("/")
@auth.role_required(Role.VIEWER)
def index() -> ResponseReturnValue:
    """Reports, newest first: open ones by default (``status=``), a page at a time."""
    args = Args(request.args)
    wanted = request.args.get("status", Status.OPEN.value)
    status = None if wanted == "all" else _status(wanted)
    offset = args.integer("offset", low=0, high=10_000_000, default=0)
    found: list[Report] = []
    counts = {s.value: 0 for s in Status}
    if reported.store_exists():
        store = reported.open_report_store()
        try:
            found = store.reports.find(status=status, limit=PAGE + 1, offset=offset)
            counts = {s.value: n for s, n in store.reports.counts().items()}
        finally:
            store.close()
    return render_template("edit/reports.html", reports=found[:PAGE], more=len(found) > PAGE,
                           offset=offset, page=PAGE, status=wanted, counts=counts, **_labels())


def _status(text: str) -> Status:
    try:
        return Status(text)
    except ValueError:
        abort(400, description=_("Unknown status %(value)s; use one of %(known)s.",
                                 value=repr(text[:40]),
                                 known=", ".join([*(s.value for s in Status), "all"])))


def _handle(report_id: int, status: Status) -> Report:
    health.ensure_writable()
    store = reported.open_report_store()
    try:
        return store.reports.handle(report_id, status, user=auth.current_account().name)
    finally:
        store.close()
        reported.forget(current_app)


@bp.post("/<int:report_id>/accept")
@auth.role_required(Role.EDITOR)
def accept(report_id: int) -> ResponseReturnValue:
    """Accept a report and go on to the station's edit form, prefilled with the change."""
    report = _handle(report_id, Status.ACCEPTED)
    flash(_("Report %(id)d accepted. Check the change below and save it.", id=report.id))
    return redirect(url_for("edit.station", station_id=report.station_id, report=report.id))


@bp.post("/<int:report_id>/dismiss")
@auth.role_required(Role.EDITOR)
def dismiss(report_id: int) -> ResponseReturnValue:
    """Dismiss a report (the station stays as it is)."""
    report = _handle(report_id, Status.DISMISSED)
    flash(_("Report %(id)d dismissed.", id=report.id))
    return redirect(url_for("inbox.index"))


def report_for_edit(station_id: str) -> Report | None:
    """The accepted report named by ``?report=`` on a station's edit form, if it is one."""
    text = request.args.get("report") or request.form.get("report")
    if not text or not text.isdigit() or not reported.store_exists():
        return None
    store = reported.open_report_store()
    try:
        found = store.reports.get(int(text))
    finally:
        store.close()
    if found is None or found.station_id != station_id or found.status is not Status.ACCEPTED:
        return None
    return found


def prefill(values: dict[str, Any], report: Report) -> dict[str, Any]:
    """Form values with the reported change made: the missing amenity unticked."""
    out = dict(values)
    if report.reason is Reason.AMENITY_MISSING and report.amenity is not None:
        out["amenities"] = [a for a in values.get("amenities", []) if a != report.amenity.value]
    out["report"] = str(report.id)
    return out
