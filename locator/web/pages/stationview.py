"""One station as workers see it on the finder's list, its map popups and the widget.

:func:`card` gathers, in the page's language: the open state and next change (the one
hours formatter, :class:`locator.stations.hours_text.HoursText`), a holiday note when
the calendar changed today's state, the hours in words, "核实于 …" and whether the record
is stale (:mod:`locator.stations.freshness`, ``VERIFIED_STALE_DAYS``), whether workers
reported it may have changed (:mod:`locator.web.reported`), how roughly it is placed,
directions links and ``tel:`` links. Every page shows the same things the same way.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import get_locale, gettext

from locator.model import N_, Station
from locator.registry.messages import LEVEL_LABELS
from locator.registry.phones import tel_uri
from locator.stations import freshness, hours, links
from locator.stations.hours_text import HoursText, evaluate
from locator.web.config import settings

__all__ = ["PROVIDERS", "Cards", "approximate_note", "card", "phone_links", "station_links"]

PROVIDERS = {"amap": N_("Amap"), "baidu": N_("Baidu Maps"), "osm": N_("OpenStreetMap")}


def station_links(station: Station, origin: tuple[float, float] | None) -> list[dict[str, str]]:
    """Directions links for a located station, labelled for people."""
    if station.lon is None or station.lat is None:
        return []
    return [{"provider": link.provider, "url": link.url,
             "label": gettext(PROVIDERS[link.provider])}
            for link in links.directions(origin, (station.lon, station.lat), name=station.name)]


def phone_links(station: Station) -> list[dict[str, str]]:
    """``tel:`` links (RFC 3966) for the station's checked phone numbers."""
    return [{"text": number, "url": tel_uri(number)} for number in station.phones]


def approximate_note(station: Station) -> str:
    """How roughly a station is placed, for the list, popups and the widget ("" when exactly)."""
    if not station.precision_m or station.precision_m <= 50:
        return ""
    if station.geocoded:
        return str(gettext("Location about ±%(km).1f km, estimated from its %(level)s",
                           km=station.precision_m / 1000, level=gettext(LEVEL_LABELS.get(
                               station.geocoded, station.geocoded))))
    return str(gettext("Approximate location: within about %(m)d m",
                       m=int(station.precision_m)))


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
        self.first_current: date = freshness.cutoff(hours.now().date(),
                                                    settings().verified_stale_days)

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
        "approx": approximate_note(station),
    }
