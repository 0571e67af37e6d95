"""The audit log page: every edit, import and rollback, filtered, and exported as CSV or JSON.

Filters (all optional, combined): ``user``, ``station``, ``action``, ``since`` and
``until`` (UTC days, inclusive). The page shows the newest 500 matches; the exports
(``/edit/audit.csv``, ``/edit/audit.json``, same filters) carry every match. CSV
cells a spreadsheet would run as formulas are neutralised.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from locator.registry import audit
from locator.registry.accounts import Role
from locator.web import auth
from locator.web.editstore import open_edit_store

__all__ = ["bp"]

bp = Blueprint("audit", __name__, url_prefix="/edit")
SHOWN = 500
ACTIONS = audit.ACTIONS



def _day(name: str) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400, description=_("%(param)s must be a date like 2024-05-01, got %(value)s.",
                                 param=name, value=repr(text[:40])))


def _filters() -> dict[str, Any]:
    action = request.args.get("action", "").strip()
    if action and action not in ACTIONS:
        abort(400, description=_("Unknown action %(value)s; use one of %(known)s.",
                                 value=repr(action[:40]), known=", ".join(ACTIONS)))
    since, until = _day("since"), _day("until")
    if since and until and since > until:
        abort(400, description=_("since (%(since)s) is after until (%(until)s).",
                                 since=since.isoformat(), until=until.isoformat()))
    return {"user": request.args.get("user", "").strip()[:64] or None,
            "station_id": request.args.get("station", "").strip()[:200] or None,
            "action": action or None, "since": since, "until": until}


def _matching() -> list[audit.AuditEntry]:
    store = open_edit_store()
    try:
        return audit.matching(audit.entries(store), **_filters())
    finally:
        store.close()


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


@bp.get("/audit")
@auth.role_required(Role.VIEWER)
def page() -> ResponseReturnValue:
    """The log, newest first, with the filter form and export links."""
    found = _matching()
    return render_template("edit/audit.html", entries=found[:SHOWN], total=len(found),
                           actions={a: _(label) for a, label in audit.ACTION_LABELS.items()},
                           args=request.args)


@bp.get("/audit.csv")
@auth.role_required(Role.VIEWER)
def export_csv() -> ResponseReturnValue:
    """Every matching entry as CSV (formula cells neutralised)."""
    return _download(audit.to_csv(_matching()), "text/csv", "audit.csv")


@bp.get("/audit.json")
@auth.role_required(Role.VIEWER)
def export_json() -> ResponseReturnValue:
    """Every matching entry as JSON."""
    return _download(audit.to_json(_matching()), "application/json", "audit.json")
