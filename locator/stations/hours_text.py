"""Opening hours as people read them: the one formatter every page, popup and widget uses.

* :func:`evaluate` — open, closed or unknown at a moment, and the next change, as an
  :class:`Evaluation`, with China's public holidays and 调休 make-up working days applied
  (:mod:`locator.stations.hours`); :attr:`Evaluation.special` is set on the days the
  calendar changed the answer, and this formatter then says so.
* :class:`HoursText` — words for an evaluation and for an OSM ``opening_hours``
  expression, in the page's language: "已关闭 · 周一（12月8日）09:00 开放",
  "周一至周五 09:00–17:30", "全天24小时开放". Weekday and month names come from the
  locale's CLDR data (Babel); the phrases are message ids translated by the ``gettext``
  the caller passes (Flask-Babel's in the web layer), so this module needs no Flask.

An expression the describer does not understand (month or week selectors, comments…) is
shown as written: never a wrong paraphrase.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_skeleton, get_day_names

from locator.model import N_
from locator.stations import hours
from locator.stations.hours import DayKind, OpenState

__all__ = ["Evaluation", "HoursText", "SpecialDay", "evaluate"]


@dataclass(frozen=True, slots=True)
class SpecialDay:
    """A day the holiday calendar treats differently from its weekday."""

    day: date
    kind: DayKind  # HOLIDAY or MAKEUP
    name: str = ""  # the holiday's Chinese name ("国庆节")
    name_en: str = ""  # and its English one ("National Day")


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Whether a station is open at a moment, and when that next changes.

    ``special`` is set by a holiday-aware evaluation when the day's place in the holiday
    calendar changed the state from what the weekly hours alone say.
    """

    state: OpenState
    next_change: datetime | None
    special: SpecialDay | None = None


def evaluate(expression: str | None, at: datetime) -> Evaluation:
    """The answer at ``at`` (Lanzhou time; unknown when there are no hours) with China's
    holidays and make-up working days applied (:func:`locator.stations.hours.state`), and
    ``special`` set when that changed the state from what the weekly hours alone say."""
    state = hours.state(expression, at)
    special = None
    day = hours.local(at).date()
    kind = hours.day_kind(day)
    special_day = kind in (DayKind.HOLIDAY, DayKind.MAKEUP)
    if special_day and hours.weekly_state(expression, at) is not state:
        name, name_en = hours.holiday_names(day)
        special = SpecialDay(day, kind, name, name_en)
    return Evaluation(state, hours.next_change(expression, at), special)


# --- phrases (message ids; the caller's gettext translates them) ---
_STATE_NOW = {OpenState.OPEN: N_("Open now"), OpenState.CLOSED: N_("Closed now"),
              OpenState.UNKNOWN: N_("Hours unknown")}
_STATE_AT = {OpenState.OPEN: N_("Open"), OpenState.CLOSED: N_("Closed"),
             OpenState.UNKNOWN: N_("Hours unknown")}
_OPENS, _CLOSES = N_("opens %(time)s"), N_("closes %(time)s")
_TOMORROW = N_("tomorrow (%(weekday)s) %(time)s")
_LATER = N_("%(weekday)s (%(date)s) %(time)s")
_ALWAYS = N_("Open 24 hours")
_EVERY_DAY = N_("daily")
_HOLIDAYS = N_("public holidays")
_OFF = N_("closed")
_DAY_RANGE = N_("%(first)s to %(last)s")
_LIST = N_("%(first)s, %(second)s")
_RULES = N_("%(first)s; %(second)s")
_HOLIDAY_NOTE = N_("Public holiday (%(name)s): today's hours differ from the usual week.")
_HOLIDAY_NOTE_UNNAMED = N_("Public holiday: today's hours differ from the usual week.")
_WORKDAY_NOTE = N_("Make-up working day (%(name)s): weekday hours apply today.")
_WORKDAY_NOTE_UNNAMED = N_("Make-up working day: weekday hours apply today.")

_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_DAY = r"(?:Mo|Tu|We|Th|Fr|Sa|Su)"
_WEEKDAYS = re.compile(rf"^(?:{_DAY}(?:-{_DAY})?|PH)(?:,(?:{_DAY}(?:-{_DAY})?|PH))*$")
_TIME = r"(?:[01]\d|2[0-4]):[0-5]\d"
_SPANS = re.compile(rf"^{_TIME}-{_TIME}\+?(?:,{_TIME}-{_TIME}\+?)*$")


def _identity(message: str) -> str:
    return message


class HoursText:
    """Opening-hours text in one language.

    Parameters
    ----------
    locale : str
        A Babel locale name (``"zh_CN"``, ``"en"``): weekday and month names.
    gettext : callable, optional
        Translates the module's message ids (default: English as written).
    """

    def __init__(self, locale: str, gettext: Callable[[str], str] = _identity) -> None:
        self.locale = locale
        self._ = gettext
        self._days = get_day_names("abbreviated", locale=locale)  # 0 = Monday

    # --- an evaluation ---

    def state(self, evaluation: Evaluation, *, now: bool = True) -> str:
        """"Open now" / "Closed now" / "Hours unknown" (``now=False``: "Open" / "Closed",
        for a moment the visitor chose)."""
        return self._((_STATE_NOW if now else _STATE_AT)[evaluation.state])

    def next_change(self, evaluation: Evaluation, at: datetime) -> str:
        """"closes 17:30", "opens tomorrow (Sat) 09:00", "opens Mon (Dec 8) 09:00"; ``""``
        when nothing changes (24/7, or unknown hours)."""
        change = evaluation.next_change
        if change is None or evaluation.state is OpenState.UNKNOWN:
            return ""
        phrase = _CLOSES if evaluation.state is OpenState.OPEN else _OPENS
        return self._(phrase) % {"time": self.when(change, at)}

    def when(self, moment: datetime, at: datetime) -> str:
        """A time for people, seen from ``at``: "09:00" today, else with weekday and date."""
        moment, at = hours.local(moment), hours.local(at)
        time = moment.strftime("%H:%M")
        days = (moment.date() - at.date()).days
        if days == 0:
            return time
        weekday = self._days[moment.weekday()]
        if days == 1:
            return self._(_TOMORROW) % {"weekday": weekday, "time": time}
        return self._(_LATER) % {"weekday": weekday, "time": time,
                                 "date": format_skeleton("MMMd", moment.date(),
                                                         locale=self.locale)}

    def special(self, evaluation: Evaluation) -> str:
        """Why today differs (a public holiday or a 调休 working day), or ``""``."""
        day = evaluation.special
        if day is None:
            return ""
        name = day.name if self.locale.startswith("zh") else day.name_en or day.name
        if day.kind is DayKind.HOLIDAY:
            phrase = _HOLIDAY_NOTE if name else _HOLIDAY_NOTE_UNNAMED
        else:
            phrase = _WORKDAY_NOTE if name else _WORKDAY_NOTE_UNNAMED
        return self._(phrase) % {"name": name}

    def status(self, evaluation: Evaluation, at: datetime, *, now: bool = True) -> str:
        """State and next change in one line: "Closed now · opens Mon (Dec 8) 09:00"."""
        parts = [self.state(evaluation, now=now)]
        change = self.next_change(evaluation, at)
        if change:
            parts.append(change)
        elif evaluation.state is OpenState.OPEN:
            parts.append(self._(_ALWAYS))
        return " · ".join(parts)

    # --- an expression ---

    def describe(self, expression: str | None) -> str:
        """An OSM ``opening_hours`` expression in words ("Mo-Fr 09:00-17:30" → "周一至周五
        09:00–17:30"); ``""`` for none; the expression itself when it is beyond the simple
        forms (weekdays, PH, times, off) this describer knows."""
        text = (expression or "").strip()
        if not text:
            return ""
        if text.replace(" ", "") == "24/7":
            return self._(_ALWAYS)
        rules = [rule.strip() for rule in text.split(";") if rule.strip()]
        words = [self._rule(rule) for rule in rules]
        if any(w is None for w in words):
            return text
        return self._join(_RULES, [w for w in words if w is not None])

    def _rule(self, rule: str) -> str | None:
        selector, _, rest = rule.partition(" ")
        if not _WEEKDAYS.match(selector):
            selector, rest = "", rule
        rest = rest.strip()
        days = self._weekdays(selector) if selector else self._(_EVERY_DAY)
        if rest in ("off", "closed"):
            return f"{days} {self._(_OFF)}"
        if rest == "" and selector:
            return None  # "Mo-Fr" alone means open all day: rare enough to show as written
        if not _SPANS.match(rest):
            return None
        spans = [span.replace("-", "–").rstrip("+") for span in rest.split(",")]
        return f"{days} {self._join(_LIST, spans)}"

    def _weekdays(self, selector: str) -> str:
        parts = []
        for item in selector.split(","):
            if item == "PH":
                parts.append(self._(_HOLIDAYS))
                continue
            first, _, last = item.partition("-")
            if first == "Mo" and last == "Su":
                parts.append(self._(_EVERY_DAY))
            elif last:
                parts.append(self._(_DAY_RANGE) % {"first": self._days[_DAYS.index(first)],
                                                   "last": self._days[_DAYS.index(last)]})
            else:
                parts.append(self._days[_DAYS.index(first)])
        return self._join(_LIST, parts)

    def _join(self, phrase: str, items: list[str]) -> str:
        out = items[0]
        for item in items[1:]:
            out = self._(phrase) % {"first": out, "second": item}
        return out

