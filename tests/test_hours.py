"""Opening hours: overnight ranges, weekdays, 24/7, unknown, next change, time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import opening_hours
import pytest

from locator.stations import hours
from locator.stations.hours import OpenState

MON = datetime(2026, 11, 30)  # a Monday
SAT = datetime(2026, 12, 5)


def at(day: datetime, hh: int, mm: int = 0) -> datetime:
    return day.replace(hour=hh, minute=mm)


@pytest.mark.parametrize(("expr", "moment", "expected"), [
    ("24/7", at(MON, 3), OpenState.OPEN),
    ("Mo-Fr 09:00-17:00", at(MON, 9), OpenState.OPEN),
    ("Mo-Fr 09:00-17:00", at(MON, 17), OpenState.CLOSED),  # ranges are end-exclusive
    ("Mo-Fr 09:00-17:00", at(SAT, 12), OpenState.CLOSED),
    ("Mo-Su 18:00-06:00", at(MON, 23), OpenState.OPEN),  # overnight, before midnight
    ("Mo-Su 18:00-06:00", at(MON, 2), OpenState.OPEN),  # overnight, after midnight
    ("Mo-Su 18:00-06:00", at(MON, 12), OpenState.CLOSED),
    ("Fr 22:00-02:00", at(SAT, 1), OpenState.OPEN),  # Friday's night runs into Saturday
    ("Fr 22:00-02:00", at(SAT, 3), OpenState.CLOSED),
    (None, at(MON, 12), OpenState.UNKNOWN),
    ("", at(MON, 12), OpenState.UNKNOWN),
])
def test_state(expr: str | None, moment: datetime, expected: OpenState) -> None:
    assert hours.state(expr, moment) is expected


def test_next_change_overnight() -> None:
    assert hours.next_change("Mo-Su 18:00-06:00", at(MON, 23)) == at(MON, 6).replace(day=1,
                                                                                      month=12)
    assert hours.next_change("Mo-Fr 09:00-17:00", at(MON, 8)) == at(MON, 9)


def test_next_change_never_and_unknown() -> None:
    assert hours.next_change("24/7", at(MON, 1)) is None
    assert hours.next_change(None, at(MON, 1)) is None


def test_aware_times_are_converted_to_lanzhou_time() -> None:
    # 01:00 UTC is 09:00 in Lanzhou (UTC+8, no daylight saving).
    utc = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    assert hours.local(utc) == at(MON, 9)
    assert hours.state("Mo-Fr 09:00-17:00", utc) is OpenState.OPEN


@pytest.mark.parametrize("bad", ["Mo-Fr 25:00-26:00", "always", "09:00-", "Mo-Xx 09:00-10:00"])
def test_invalid_expressions_are_named(bad: str) -> None:
    assert not hours.is_valid(bad)
    with pytest.raises(ValueError, match="invalid opening_hours"):
        hours.validate(bad)


def test_blank_is_invalid() -> None:
    with pytest.raises(ValueError, match="blank"):
        hours.validate("  ")


def test_open_mask_matches_state_and_counts_unknown_as_not_open() -> None:
    exprs = ["24/7", None, "Mo-Fr 09:00-17:00", "24/7", "Mo-Su 18:00-06:00"]
    mask = hours.open_mask(exprs, at(MON, 23))
    assert mask.tolist() == [True, False, False, True, True]
    assert hours.open_mask([], at(MON, 23)).shape == (0,)


@pytest.mark.parametrize("expr", ["Mo-Fr 09:00-17:30", "Mo-Su 18:00-06:00",
                                  "Fr 22:00-02:00", "Mo-Sa 07:30-12:15,13:45-21:59", "24/7"])
def test_cached_per_minute_answers_equal_the_exact_moment(expr: str) -> None:
    """The cache keys on the minute; the library asked at the exact second agrees.

    A week swept in steps of 7 min 13.5 s lands at every kind of second within a minute and
    on both sides of every boundary.
    """
    exact = opening_hours.OpeningHours(expr)
    step = timedelta(minutes=7, seconds=13, microseconds=500_000)
    moment = MON
    while moment < MON + timedelta(days=7):
        found = exact.state(moment)
        name = str(found[0] if isinstance(found, tuple) else found).rsplit(".", 1)[-1].lower()
        assert hours.state(expr, moment).value == name, moment
        assert hours.next_change(expr, moment) == exact.next_change(moment), moment
        moment += step
