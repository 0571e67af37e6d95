"""Opening hours in OpenStreetMap ``opening_hours`` syntax: is a station open at a time?

Parsing and evaluation are done by ``opening-hours-py`` (Python bindings of the
Rust ``opening-hours`` crate, a full implementation of the OSM specification,
overnight ranges included). This module adds the project's rules on top:

* times are local Lanzhou time (Asia/Shanghai, UTC+8, no daylight saving); an
  aware datetime is converted, a naive one is taken as already local;
* a station with no hours is *unknown*, never open;
* China's calendar, from the maintained ``chinesecalendar`` package (the State Council's
  yearly schedule; version 1.11 covers 2004–2026, a new release follows each November's
  announcement): a statutory holiday — every day off of it, bridging days included — is
  ``PH`` (``PH off`` closes the station on 国庆 and on the weekdays taken off in lieu), and a
  make-up working day (调休, a Saturday or Sunday worked) keeps the hours of the nearest
  ordinary working day, so ``Mo-Fr`` stations are open on it. The crate's own Chinese
  holiday list knows only the official days (10-01, not 10-02…10-07) and no make-up days,
  so it is not used. **Beyond the calendar's last year** nobody knows the holidays yet:
  an expression that mentions ``PH`` is *unknown* on those dates (never guessed open or
  closed), and other expressions follow their weekdays (a make-up day there is not known);
* expressions are parsed once and cached, and :func:`open_mask` evaluates each
  distinct expression once, so filtering 200,000 stations costs as many
  evaluations as there are distinct timetables;
* answers are cached per expression and minute (the syntax has minute resolution,
  so a moment's seconds never change the answer).

How a holiday is evaluated: for a moment on day D, ``PH`` in the expression is replaced by
the weekday names of D and of the day before when those are holidays (the day before, for
ranges running past midnight) — exactly the OSM meaning of "the ``PH`` rules apply today".
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from functools import lru_cache

import chinese_calendar
import numpy as np
import opening_hours
from numpy.typing import NDArray

__all__ = ["LANZHOU_TZ", "DayKind", "OpenState", "calendar_years", "day_kind", "is_valid",
           "local", "minute", "next_change", "now", "open_mask", "state", "validate"]

# ParserError is missing from the package's type stub; look it up at run time.
_PARSE_ERRORS: tuple[type[Exception], ...] = (getattr(opening_hours, "ParserError", ValueError),
                                              ValueError)

LANZHOU_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


class OpenState(StrEnum):
    """Whether a station is open at a moment."""

    OPEN = "open"
    CLOSED = "closed"
    UNKNOWN = "unknown"


@lru_cache(maxsize=4096)
def _parse(expression: str) -> opening_hours.OpeningHours:
    return opening_hours.OpeningHours(expression)


def validate(expression: str) -> str:
    """Return the expression stripped, or raise ``ValueError`` naming it and the parse error."""
    expr = expression.strip()
    if not expr:
        raise ValueError("opening hours are blank")
    try:
        _parse(expr)
    except _PARSE_ERRORS as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
        raise ValueError(f"invalid opening_hours {expression!r}: {first}") from None
    return expr


def is_valid(expression: str) -> bool:
    """True when ``expression`` parses as OSM ``opening_hours``."""
    try:
        validate(expression)
    except ValueError:
        return False
    return True


def local(at: datetime) -> datetime:
    """``at`` as a naive Lanzhou local time (aware datetimes are converted)."""
    if at.tzinfo is not None:
        at = at.astimezone(LANZHOU_TZ).replace(tzinfo=None)
    return at


def now() -> datetime:
    """The current Lanzhou local time (naive), whatever the server's time zone."""
    return local(datetime.now(LANZHOU_TZ))


def minute(at: datetime) -> datetime:
    """``at`` as local time truncated to its minute.

    OSM opening hours have minute resolution, so every moment within a minute has the same
    state and the same next change: answers are cached per (expression, minute).
    """
    return local(at).replace(second=0, microsecond=0)


class DayKind(StrEnum):
    """What China's calendar says a day is."""

    NORMAL = "normal"  # an ordinary working day or weekend
    HOLIDAY = "holiday"  # a day off of a statutory holiday (bridging days included)
    MAKEUP = "makeup"  # a Saturday or Sunday worked in lieu (调休)
    UNCOVERED = "uncovered"  # outside the years the calendar package knows


_DAY = timedelta(days=1)
_OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_PH = re.compile(r"\bPH\b(?!\s*[+-]\s*\d)")  # (an offset, "PH +1 day", is left to the crate)


def calendar_years() -> tuple[int, int]:
    """The first and last year the holiday calendar covers (2004 and 2026 in 1.11.0)."""
    known = sorted(chinese_calendar.holidays)
    return known[0].year, known[-1].year


@lru_cache(maxsize=4096)
def day_kind(day: date) -> DayKind:
    """What ``day`` is in China's calendar of holidays and make-up working days."""
    try:
        off, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return DayKind.UNCOVERED
    if off and name is not None:
        return DayKind.HOLIDAY
    if not off and day.weekday() >= 5:
        return DayKind.MAKEUP
    return DayKind.NORMAL


@lru_cache(maxsize=1)
def _special_days() -> tuple[date, ...]:
    """Days whose evaluation is not the plain weekday one: holidays and make-up days, and
    the day after each (ranges run past midnight), in order."""
    days = {d for d in chinese_calendar.holidays if day_kind(d) is DayKind.HOLIDAY}
    days |= {d for d in chinese_calendar.workdays if d.weekday() >= 5}
    return tuple(sorted(days | {d + _DAY for d in days}))


def holiday_names(day: date) -> tuple[str, str]:
    """The Chinese and English names of the holiday ``day`` belongs to (a day off, or the
    make-up working day of one), ``("", "")`` when it is none or the calendar does not say."""
    try:
        _, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return "", ""
    for holiday in chinese_calendar.Holiday:
        if holiday.value == name:
            return str(holiday.chinese), str(name)
    return "", str(name or "")


def weekly_state(expression: str | None, at: datetime) -> OpenState:
    """What the weekly hours alone say at ``at``, ignoring the holiday calendar (to tell
    whether the calendar changed the answer)."""
    if expression is None or not expression.strip():
        return OpenState.UNKNOWN
    return _state_at(expression.strip(), minute(at))


def _affected(day: date) -> bool:
    return day_kind(day) is not DayKind.NORMAL or day_kind(day - _DAY) is not DayKind.NORMAL


def _next_affected(day: date) -> date | None:
    """The first day after ``day`` that is not evaluated plainly (``None``: none known)."""
    special = _special_days()
    i = bisect.bisect_right(special, day)
    if i < len(special):
        return special[i]
    last = date(calendar_years()[1], 12, 31)
    return last + _DAY if day <= last else None


def _substitute(day: date) -> date:
    """The ordinary working day whose hours a make-up working day keeps: the nearest one."""
    for step in (1, -1, 2, -2, 3, -3, 4, -4):
        other = day + step * _DAY
        if other.weekday() < 5 and day_kind(other) is DayKind.NORMAL:
            return other
    return day


def _variant(expression: str, day: date) -> str | None:
    """The expression as evaluated on ``day``: ``PH`` → the weekdays of ``day`` and the day
    before that are holidays; ``None`` when the day is a make-up day or uncovered and the
    expression mentions PH (handled by the caller)."""
    names = [_OSM_DAYS[d.weekday()] for d in (day - _DAY, day)
             if day_kind(d) is DayKind.HOLIDAY]
    if not names or not _PH.search(expression):
        return expression
    return _PH.sub(",".join(names), expression)


def _state_on(expression: str, at: datetime) -> OpenState:
    """The state at a local minute, China's calendar applied."""
    day = at.date()
    if not _affected(day):
        return _state_at(expression, at)
    kind = day_kind(day)
    if kind is DayKind.UNCOVERED:
        return OpenState.UNKNOWN if _PH.search(expression) else _state_at(expression, at)
    if kind is DayKind.MAKEUP:
        return _state_at(expression, datetime.combine(_substitute(day), at.time()))
    return _state_at(_variant(expression, day) or expression, at)


def state(expression: str | None, at: datetime) -> OpenState:
    """Open, closed or unknown at ``at`` (unknown when there are no hours), with China's
    holidays and make-up working days (see the module docstring)."""
    if expression is None or not expression.strip():
        return OpenState.UNKNOWN
    return _state_on(expression.strip(), minute(at))


@lru_cache(maxsize=8192)
def _state_at(expression: str, minute: datetime) -> OpenState:
    st = _parse(expression).state(minute)
    name = str(st[0] if isinstance(st, tuple) else st).rsplit(".", 1)[-1].lower()
    if name == "open":
        return OpenState.OPEN
    if name == "closed":
        return OpenState.CLOSED
    return OpenState.UNKNOWN


def next_change(expression: str | None, at: datetime) -> datetime | None:
    """The next local time the state changes, or ``None`` (never changes, or unknown hours)."""
    if expression is None or not expression.strip():
        return None
    return _next_at(expression.strip(), minute(at))


@lru_cache(maxsize=8192)
def _next_at(expression: str, minute: datetime) -> datetime | None:
    """Walk day segments: plain days in one call to the crate, up to the next holiday or
    make-up day; those one day at a time with their own evaluation."""
    current = _state_on(expression, minute)
    cursor = minute
    for _step in range(800):
        day = cursor.date()
        midnight = datetime.combine(day + _DAY, time())
        if _affected(day):
            change = _change_within(expression, cursor, midnight)
            if change is not None:
                return change
            cursor = midnight
        else:
            found: datetime | None = _parse(expression).next_change(cursor)
            upcoming = _next_affected(day)
            start = None if upcoming is None else datetime.combine(upcoming, time())
            if found is not None and (start is None or found < start):
                return found
            if start is None:
                return None
            cursor = start
        if _state_on(expression, cursor) is not current:
            return cursor
        if day_kind(cursor.date()) is DayKind.UNCOVERED and _PH.search(expression):
            return None  # unknown from here on, as far as anybody knows
    return None


def _change_within(expression: str, cursor: datetime, end: datetime) -> datetime | None:
    """The first change before ``end`` (midnight) of a day evaluated on its own."""
    day = cursor.date()
    kind = day_kind(day)
    if kind is DayKind.UNCOVERED and _PH.search(expression):
        return None
    shift = timedelta(0)
    text = expression
    if kind is DayKind.MAKEUP:
        shift = datetime.combine(_substitute(day), time()) - datetime.combine(day, time())
    elif kind is not DayKind.UNCOVERED:
        text = _variant(expression, day) or expression
    found: datetime | None = _parse(text).next_change(cursor + shift)
    if found is None or found - shift >= end:
        return None
    return found - shift


def open_mask(expressions: Sequence[str | None], at: datetime) -> NDArray[np.bool_]:
    """Boolean array: which of ``expressions`` are *open* at ``at`` (unknown counts as not open).

    Each distinct expression is evaluated once.
    """
    codes: dict[str | None, int] = {}
    idx = np.fromiter((codes.setdefault(e, len(codes)) for e in expressions),
                      dtype=np.int64, count=len(expressions))
    verdict = np.fromiter((state(e, at) is OpenState.OPEN for e in codes), dtype=bool,
                          count=len(codes))
    return verdict[idx] if len(expressions) else np.zeros(0, dtype=bool)
