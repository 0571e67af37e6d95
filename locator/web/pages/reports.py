"""``/report/<id>``: a worker tells the union that a station has changed.

Anonymous (no account, and neither the address nor anything else about the sender is
stored), CSRF-protected like every form, and limited per client by ``REPORT_RATE_LIMIT``
through the app's limits (:func:`locator.web.http.ratelimit.limited`, as sign-in is).
The report is stored with the station's id, the store version being served and the
station's ETag (:mod:`locator.registry.reports`); its text is shown to editors only
(:mod:`locator.web.pages.inbox`), never on a public page.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from locator.errors import NotFound, QueryError
from locator.model import AMENITY_LABELS, KIND_LABELS, Amenity, Station
from locator.registry.editing import station_etag
from locator.registry.reports import MAX_TEXT, REASON_LABELS, new_report
from locator.web import health, reported, service
from locator.web.http import ratelimit

__all__ = ["bp"]

bp = Blueprint("reports", __name__)


def _station(station_id: str) -> Station:
    found = service.stations_by_id(service.current_registry()).get(station_id)
    if found is None:
        raise NotFound(gettext("No station with id %(id)s.", id=repr(station_id)))
    return found


def _page(station: Station, *, values: dict[str, str], error: str | None = None,
          sent: bool = False, status: int = 200) -> ResponseReturnValue:
    amenities = sorted(station.amenities) or list(Amenity)
    return render_template(
        "finder/report.html", station=station, values=values, error=error, sent=sent,
        etag=station_etag(station), max_text=MAX_TEXT,
        kind_label=gettext(KIND_LABELS[station.kind]),
        reasons={r.value: gettext(label) for r, label in REASON_LABELS.items()},
        amenities={a.value: gettext(AMENITY_LABELS[a]) for a in amenities}), status


@bp.route("/report/<path:station_id>", methods=["GET", "POST"])
@ratelimit.limited("reports", limit="report_rate_limit")  # POSTs per client; over it: 429
def form(station_id: str) -> ResponseReturnValue:
    """The report form (GET) and its submission (POST, then back here with a thank-you)."""
    station = _station(station_id)
    if request.method == "GET":
        return _page(station, values={}, sent=request.args.get("sent") == "1")
    values = {name: request.form.get(name, "")[:MAX_TEXT * 4]
              for name in ("reason", "amenity", "text", "etag")}
    try:
        report = new_report(station_id=station.id,
                            station_version=service.registry_version(service.current_registry()),
                            station_etag=values["etag"] or station_etag(station),
                            reason=values["reason"], amenity=values["amenity"] or None,
                            text=values["text"])
    except QueryError as exc:
        messages = {"reason": gettext("Choose what is wrong with the station."),
                    "amenity": gettext("Choose which amenity is missing."),
                    "text": gettext("Please keep the text under %(n)d characters.", n=MAX_TEXT)}
        return _page(station, values=values, error=messages.get(exc.param, exc.message),
                     status=400)
    health.ensure_writable()
    store = reported.open_report_store()
    try:
        store.reports.add(report)
    finally:
        store.close()
    reported.forget(current_app)
    return redirect(url_for("reports.form", station_id=station.id, sent=1,
                            lang=request.args.get("lang")), code=303)
