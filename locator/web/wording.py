"""How distances and minutes are worded for people: never more precise than known.

Minutes come from a straight line (:class:`locator.stations.travel.TravelModel`), so they are
written as estimates ("步行约 12 分钟"), never as ``0`` ("<1 分钟" under one minute), and past
:data:`~locator.stations.travel.MAX_SHOWN_MIN` as "over an hour" rather than hundreds of
minutes. A line across the Yellow River gives a lower bound only ("至少"), and the page
says the route may be far longer. Distances from an approximate origin read "约 …", rounded
to what the origin's precision allows. Used by the finder and the embed widget.
"""

from __future__ import annotations

import math

from flask_babel import gettext

from locator.maps.layers import format_distance
from locator.model import N_
from locator.stations.query import Hit
from locator.stations.travel import MAX_SHOWN_MIN

__all__ = ["RIVER_NOTE", "distance_text", "hit_texts", "minutes_note", "minutes_text",
           "precision_text"]


def _(text: str, **values: object) -> str:
    """The translation of ``text`` (``flask_babel.gettext``, typed)."""
    return str(gettext(text, **values))


#: said on a result whose straight line crosses the river (issue 15's wording)
RIVER_NOTE = N_("Across the river: the real route may be much longer than the straight line.")


def precision_text(metres: float) -> str:
    """"about 300 m" / "about 10 km": how far an estimated point may be off."""
    if metres < 1000:
        return _("about %(m)s m", m=max(10, int(round(metres, -1))))
    return _("about %(km)s km", km=max(1, round(metres / 1000)))


def distance_text(metres: float, *, precision_m: float = 0.0) -> str:
    """A distance, as "约 1 km" when the origin is only known to ``precision_m`` > 500 m
    (rounded as :func:`locator.maps.layers.format_distance` does; the page states the
    origin's error beside it)."""
    shown = format_distance(metres, precision_m=precision_m)
    return _("about %(distance)s", distance=shown) if precision_m > 500 else shown


def minutes_text(minutes: float, mode: str, *, lower_bound: bool = False) -> str:
    """"walk about 12 min", "walk <1 min", "over an hour on foot" (``mode`` walk or ebike).

    ``lower_bound``: the line crosses a river, so the route takes at least this long.
    """
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"minutes must be a finite number >= 0, got {minutes!r}")
    walk = mode == "walk"
    if minutes > MAX_SHOWN_MIN:
        return _("over an hour on foot") if walk else _("over an hour by e-bike")
    if minutes < 1:
        return _("walk <1 min") if walk else _("e-bike <1 min")
    whole = int(minutes + 0.5)
    if lower_bound:
        return (_("walk at least %(min)d min", min=whole) if walk
                else _("e-bike at least %(min)d min", min=whole))
    return (_("walk about %(min)d min", min=whole) if walk
            else _("e-bike about %(min)d min", min=whole))


def minutes_note(basis: str) -> str:
    """What the minutes are: estimated from the straight-line distance (no road network)."""
    if basis != "straight_line":
        raise ValueError(f"unknown minutes basis {basis!r}")
    return _("Minutes are estimated from the straight-line distance, not a route.")


def hit_texts(hit: Hit, *, precision_m: float = 0.0) -> dict[str, str]:
    """The distance and both minutes of a result, worded (``river`` set when it crosses)."""
    out = {"distance": distance_text(hit.distance_m, precision_m=precision_m),
           "walk": minutes_text(hit.walk_min, "walk", lower_bound=hit.crosses_river),
           "ebike": minutes_text(hit.ebike_min, "ebike", lower_bound=hit.crosses_river)}
    if hit.crosses_river:
        out["river"] = _(RIVER_NOTE)
    return out
