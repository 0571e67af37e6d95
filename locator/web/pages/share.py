"""Share a station: ``/share/<id>`` shows its link (opening the finder on it) and a QR code
for a poster at the station; ``/share/<id>/qr.svg`` is that QR code, drawn here by ``segno``
(nothing is fetched from another service).

The shared link is ``/?station=<id>``: the finder shows that station first, its marker's
popup open, whatever the visitor's own point and filters (:mod:`locator.web.pages.finder`).
"""

from __future__ import annotations

import io

import segno
from flask import Blueprint, Response, current_app, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from locator.errors import NotFound
from locator.model import KIND_LABELS, Station
from locator.web import service

__all__ = ["bp", "qr_svg", "share_url"]

bp = Blueprint("share", __name__, url_prefix="/share")


def share_url(station: Station) -> str:
    """The absolute link that opens the finder on ``station``."""
    return url_for("finder.index", station=station.id, _external=True)


def qr_svg(text: str, *, title: str) -> bytes:
    """``text`` as a QR code (SVG, error correction M: still read when a corner is soiled)."""
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(
        out, kind="svg", scale=8, border=4, xmldecl=False, title=title, svgclass=None,
        lineclass=None)
    return out.getvalue()


def _station(station_id: str) -> Station:
    found = service.stations_by_id(service.current_registry()).get(station_id)
    if found is None:
        raise NotFound(gettext("No station with id %(id)s.", id=repr(station_id)))
    return found


@bp.get("/<path:station_id>/qr.svg")
def qr(station_id: str) -> Response:
    """The station's link as a QR code."""
    station = _station(station_id)
    body = qr_svg(share_url(station), title=station.name)
    response = current_app.response_class(body, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/<path:station_id>")
def page(station_id: str) -> ResponseReturnValue:
    """The share page: the link to copy or send, and the QR code to print."""
    station = _station(station_id)
    return render_template("finder/share.html", station=station, url=share_url(station),
                           kind_label=gettext(KIND_LABELS[station.kind]))
