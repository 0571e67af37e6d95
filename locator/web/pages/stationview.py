"""One station as workers see it on the finder's list, its map popups and the widget.

:func:`card` gathers, in the page's language: the open state and next change (the one
hours formatter, :class:`locator.stations.hours_text.HoursText`), a holiday note when
the calendar changed today's state, the hours in words, "核实于 …" and whether the record
is stale (:mod:`locator.stations.freshness`, ``VERIFIED_STALE_DAYS``), whether workers
reported it may have changed (:mod:`locator.web.reported`), directions links and ``tel:``
links. Every page shows the same things the same way.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import get_locale, gettext

from locator.model import N_, Station
from locator.stations import freshness, hours, links
from locator.stations.hours_text import HoursText, evaluate

__all__ = ["PROVIDERS", "Cards", "card", "phone_links", "station_links"]

PROVIDERS = {"amap": N_("Amap"), "baidu": N_("Baidu Maps"), "osm": N_("OpenStreetMap")}


def station_links(station: Station, origin: tuple[float, float] | None) -> list[dict[str, str]]:
    """Directions links for a located station, labelled for people."""
    if station.lon is None or station.lat is None:
        return []
    return [{"provider": link.provider, "url": link.url,
             "label": gettext(PROVIDERS[link.provider])}
            for link in links.directions(origin, (station.lon, station.lat), name=station.name)]


def phone_links(station: Station) -> list[dict[str, str]]:
    """``tel:`` links for the station's phone numbers (none while it has no ``phone``)."""
    phone = getattr(station, "phone", None)  # the field arrives with the spreadsheet import
    return [{"text": p.text, "url": p.url} for p in links.phone_links(phone)]


class Cards:
    """What :func:`card` needs once per page: language, moment, cut-off day, reported ids."""

    def __init__(self, at: datetime, *, now: bool = True,
                 origin: tuple[float, float] | None = None,
                 reported: frozenset[str] = frozenset()) -> None:
        self.at = at
        self.now = now
        self.origin = origin
        self.reported = reported
        self.text = HoursText(str(get_locale() or "zh_CN"), gettext)
        self.first_current: date = freshness.cutoff(
            hours.now().date(), int(current_app.config["VERIFIED_STALE_DAYS"]))

    def __call__(self, station: Station) -> dict[str, Any]:
        """See :func:`card`."""
        return card(station, self)


def card(station: Station, cards: Cards) -> dict[str, Any]:
    """The station's hours, freshness, report mark and links, as text for a page or popup."""
    evaluation = evaluate(station.opening_hours, cards.at)
    verified = station.verified
    return {
        "state": evaluation.state.value,
        "state_text": cards.text.state(evaluation, now=cards.now),
        "status": cards.text.status(evaluation, cards.at, now=cards.now),
        "special": cards.text.special(evaluation),
        "hours": cards.text.describe(station.opening_hours),
        "verified_on": verified.isoformat() if verified else None,
        "stale": freshness.is_stale(verified, cards.first_current),
        "freshness": (gettext("Verified on %(date)s", date=verified.isoformat()) if verified
                      else gettext("Not verified yet")),
        "reported": station.id in cards.reported,
        "links": station_links(station, cards.origin),
        "phones": phone_links(station),
    }
