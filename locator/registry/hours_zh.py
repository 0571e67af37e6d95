"""Opening hours as Chinese offices write them → OSM ``opening_hours``, or ``None``.

A union spreadsheet says ``24小时``, ``全天``, ``8:00—20:00``, ``上午8:30-12:00 下午14:30-18:00``,
``周一至周五 9:00-17:30，周末休息``, ``节假日休息`` or ``法定节假日照常开放``. :func:`to_osm`
reads such a text as a sequence of day words, time ranges and "closed"/"open as usual"
words and writes the OSM rules they mean; the caller keeps the original text beside it.
What it cannot read with confidence (seasons, "by appointment", prose) gives ``None``: the
station's hours are then *unknown*, never guessed.

Readings that are conventions rather than letters, written down here and in the README:

* ``周一至周五`` and ``工作日`` are *working days*: unless the text says otherwise about
  holidays, the station is closed on statutory holidays (``PH off``). Make-up working days
  (调休) are handled when hours are evaluated (:mod:`locator.stations.hours`), not here.
* ``节假日`` / ``法定节假日`` are the statutory holidays (``PH``, which the evaluation takes
  from the Chinese holiday calendar, bridging days included), not ordinary weekends;
  ``周末`` / ``双休日`` are Saturday and Sunday.
* ``照常开放`` on holidays means the hours of the rule before it.
* A time with ``下午``/``晚`` before it is after noon (``下午2:30`` is 14:30), and the end of
  a range takes its start's part of the day when it has none (``下午2:30-6:00``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from locator.stations import hours

__all__ = ["to_osm"]

_DAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_WEEK = r"(?:周|星期|礼拜)"
_DASH = "-"

_TOKENS = re.compile("|".join((
    rf"(?P<dayrange>{_WEEK}([一二三四五六日天七])-{_WEEK}?([一二三四五六日天七]))",
    rf"(?P<daylist>{_WEEK}[一二三四五六日天七](?:[、,和及]{_WEEK}?[一二三四五六日天七])+)",
    rf"(?P<day>{_WEEK}[一二三四五六日天七])",
    r"(?P<workdays>工作日)",
    r"(?P<weekend>周末|双休日|公休日)",
    r"(?P<everyday>每天|每日|天天|全年|全周|一周七天|每周七天)",
    r"(?P<holiday>(?:法定)?(?:节假日|假日|节日|假期))",
    r"(?P<allday>全天24小时|24小时|全天候|全天|24h|通宵|全时段|7x24小时?)",
    r"(?P<period>上午|早上|早晨|早|凌晨|中午|下午|傍晚|晚上|夜间|晚|夜)",
    r"(?P<range>(\d{1,2})(?:[:.点时](\d{1,2})?分?)?-(上午|早上|早|中午|下午|傍晚|晚上|夜间|晚|夜)?"
    r"(\d{1,2})(?:[:.点时](\d{1,2})?分?)?)",
    r"(?P<off>休息|闭馆|休馆|关闭|不开放|暂停开放|停止开放|不营业|停业|不对外开放)",
    r"(?P<usual>照常开放|正常开放|照常营业|正常营业|照常|照开|开放|营业|服务)",
    r"(?P<filler>[\s:;,./、()（）]+|开放时间|营业时间|服务时间|时间|每周|均|为|及|和|且|从|起)",
)))
_PM = {"下午", "傍晚", "晚上", "夜间", "晚", "夜"}
_SEPARATORS = re.compile(r"[;；,，。\n]")


@dataclass
class _Rule:
    days: str | None  # OSM weekday selector, "PH", or None (every day)
    times: list[str] = field(default_factory=list)
    state: str = "open"  # open, off, usual (= the hours of the rule before)


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"次日|翌日", "", text)  # "18:00-次日6:00": OSM ranges wrap past midnight
    text = re.sub(r"[—–－~～至到]+", _DASH, text)
    text = re.sub(r"(?<=\d)\s*-\s*(?=[\d上下早中晚夜傍凌])", _DASH, text)
    return re.sub(r"[×*]", "x", text)


def _hhmm(hour: int, minute: int, period: str | None) -> str | None:
    if (period in _PM and hour < 12) or (period == "中午" and hour < 6):
        hour += 12
    if not (0 <= hour <= 24 and 0 <= minute < 60) or (hour == 24 and minute):
        return None
    return f"{hour:02d}:{minute:02d}"


def _days(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind == "dayrange":
        first, last = _DAY[match.group(2)], _DAY[match.group(3)]
        return f"{_OSM_DAYS[first]}-{_OSM_DAYS[last]}" if first != last else _OSM_DAYS[first]
    if kind in ("daylist", "day"):
        found = sorted({_DAY[c] for c in re.findall(r"[一二三四五六日天七]", match.group(0))})
        return ",".join(_OSM_DAYS[d] for d in found)
    return {"workdays": "Mo-Fr", "weekend": "Sa,Su", "everyday": "Mo-Su", "holiday": "PH"}[
        str(kind)]


def _closing_word_follows(clause: str, position: int) -> bool:
    """True when the next word after ``position`` says closed or open-as-usual."""
    while position < len(clause):
        match = _TOKENS.match(clause, position)
        if match is None:
            return False
        if match.lastgroup != "filler":
            return match.lastgroup in ("off", "usual")
        position = match.end()
    return False


def _rules(text: str) -> list[_Rule] | None:
    rules: list[_Rule] = []
    current: _Rule | None = None
    period: str | None = None
    for clause in _SEPARATORS.split(text):
        position = 0
        while position < len(clause):
            match = _TOKENS.match(clause, position)
            if match is None:
                return None  # a word this reader does not know: do not guess
            position = match.end()
            kind = match.lastgroup
            if kind == "filler":
                continue
            if kind == "period":
                period = match.group(0)
                continue
            if kind in ("dayrange", "daylist", "day", "workdays", "weekend", "everyday",
                        "holiday"):
                days = _days(match)
                if (current is not None and current.days is None and current.times
                        and not _closing_word_follows(clause, position)):
                    current.days = days  # "9:00-17:00（周一至周五）": the days qualify the times
                    continue
                if current is not None and (current.times or current.state != "open"):
                    rules.append(current)
                    current = None
                current = (_Rule(days) if current is None or current.days is None
                           else _Rule(f"{current.days},{days}"))
                continue
            if current is None:
                current = _Rule(None)
            if kind == "allday":
                current.times.append("00:00-24:00")
            elif kind == "range":
                groups = match.groups()[match.re.groupindex["range"] - 1:]
                start = _hhmm(int(groups[1]), int(groups[2] or 0), period)
                end = _hhmm(int(groups[4]), int(groups[5] or 0), groups[3] or period)
                if start is None or end is None or start == end:
                    return None
                current.times.append(f"{start}-{end}")
                period = None
            elif kind == "off":
                current.state = "off"
            elif kind == "usual" and current.days is not None and not current.times:
                current.state = "usual"
        # a clause ends a rule that has what it needs
        if current is not None and (current.times or current.state != "open"):
            rules.append(current)
            current = None
            period = None
    if current is not None and (current.times or current.state != "open"):
        rules.append(current)
    return rules or None


def _compose(rules: list[_Rule]) -> str | None:
    out: list[str] = []
    holidays_said = any(r.days is not None and "PH" in r.days for r in rules)
    last_times: list[str] = []
    working_days = False
    for rule in rules:
        if rule.state == "open" and not rule.times:
            return None
        if rule.state == "usual":
            if not last_times:
                continue  # "open as usual" on holidays, with no usual hours given: says nothing
            rule.times = list(last_times)
        times = ",".join(rule.times)
        if rule.state == "off":
            out.append(f"{rule.days} off" if rule.days else "off")
            continue
        last_times = rule.times
        working_days = working_days or rule.days in ("Mo-Fr",)
        out.append(f"{rule.days} {times}" if rule.days else times)
    if not out:
        return None
    if not last_times:
        # only closures ("周末休息"): closed then, and not known to be open at other times
        out.insert(0, "Mo-Su unknown")
    if working_days and not holidays_said:
        out.append("PH off")
    if out == ["00:00-24:00"] or out == ["Mo-Su 00:00-24:00"]:
        return "24/7"
    # holiday rules last: in OSM a later rule wins for the days it names
    out.sort(key=lambda r: r.startswith("PH"))
    return "; ".join(out)


_PAD = re.compile(r"(?<![\d:])(\d):(\d\d)")


@lru_cache(maxsize=4096)
def to_osm(text: str) -> str | None:
    """The OSM ``opening_hours`` of an hours text, or ``None`` when it cannot be read.

    Valid OSM expressions pass through (single-digit hours zero-padded: ``8:00`` →
    ``08:00``); Chinese ones are read as described in the module docstring.

    Examples
    --------
    >>> to_osm("周一至周五 9:00-17:30")
    'Mo-Fr 09:00-17:30; PH off'
    >>> to_osm("全天24小时")
    '24/7'
    >>> to_osm("夏季8:00-20:00") is None
    True
    """
    raw = text.strip()
    if not raw:
        return None
    if raw.isascii() and hours.is_valid(raw):
        return _PAD.sub(r"0\1:\2", raw)
    cleaned = _clean(raw)
    if cleaned.isascii() and hours.is_valid(cleaned):
        return _PAD.sub(r"0\1:\2", cleaned)
    rules = _rules(cleaned)
    if rules is None:
        return None
    result = _compose(rules)
    if result is None or not hours.is_valid(result):
        return None
    return result
