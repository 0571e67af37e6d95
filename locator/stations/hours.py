"""Opening hours in OpenStreetMap ``opening_hours`` syntax: is a station open at a time?

Parsing and evaluation are done by ``opening-hours-py`` (Python bindings of the
Rust ``opening-hours`` crate, a full implementation of the OSM specification,
overnight ranges included). This module adds the project's rules on top:

* times are local Lanzhou time (Asia/Shanghai, UTC+8, no daylight saving); an
  aware datetime is converted, a naive one is taken as already local;
* a station with no hours is *unknown*, never open;
* expressions are parsed once and cached, and :func:`open_mask` evaluates each
  distinct expression once, so filtering 200,000 stations costs as many
  evaluations as there are distinct timetables;
* answers are cached per expression and minute (the syntax has minute resolution,
  so a moment's seconds never change the answer).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from functools import lru_cache

import numpy as np
import opening_hours
from numpy.typing import NDArray

__all__ = ["LANZHOU_TZ", "OpenState", "is_valid", "local", "minute", "next_change", "now",
           "open_mask", "state", "validate"]

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


def state(expression: str | None, at: datetime) -> OpenState:
    """Open, closed or unknown at ``at`` (unknown when there are no hours)."""
    if expression is None or not expression.strip():
        return OpenState.UNKNOWN
    return _state_at(expression.strip(), minute(at))


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
    result: datetime | None = _parse(expression).next_change(minute)
    return result


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
