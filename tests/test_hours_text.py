"""The one opening-hours formatter: weekday and date of the next change, holidays, 调休, and
the expression in words — in Chinese from the shipped catalogue, and in English."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from locator.stations.hours import DayKind, OpenState
from locator.stations.hours_text import Evaluation, HoursText, SpecialDay, evaluate

PO = Path(__file__).resolve().parents[1] / "locator/translations/zh/LC_MESSAGES/messages.po"


def catalogue_gettext() -> Callable[[str], str]:
    """gettext over the zh catalogue as shipped (no compiled .mo needed)."""
    with PO.open("rb") as fh:
        catalog = read_po(fh)

    def gettext(message: str) -> str:
        found = catalog.get(message)
        assert found is not None and found.string, f"{message!r} is not in the zh catalogue"
        return str(found.string)

    return gettext


@pytest.fixture(scope="module")
def zh() -> HoursText:
    return HoursText("zh_CN", catalogue_gettext())


@pytest.fixture(scope="module")
def en() -> HoursText:
    return HoursText("en")


SATURDAY_EVENING = datetime(2026, 12, 5, 18, 0)  # a Saturday
FRIDAY_EVENING = datetime(2026, 12, 4, 18, 0)
TUESDAY_NOON = datetime(2026, 12, 8, 12, 0)


def test_a_weekday_station_on_saturday_evening_opens_on_monday_with_its_date(
        zh: HoursText, en: HoursText) -> None:
    found = evaluate("Mo-Fr 09:00-17:30", SATURDAY_EVENING)
    assert found.state is OpenState.CLOSED
    assert found.next_change == datetime(2026, 12, 7, 9, 0)
    assert zh.status(found, SATURDAY_EVENING) == "现在关闭 · 周一（12月7日）09:00 开放"
    assert en.status(found, SATURDAY_EVENING) == "Closed now · opens Mon (Dec 7) 09:00"


def test_tomorrow_says_tomorrow_and_its_weekday(zh: HoursText, en: HoursText) -> None:
    found = evaluate("Mo-Sa 09:00-17:30", FRIDAY_EVENING)
    assert zh.next_change(found, FRIDAY_EVENING) == "明天（周六）09:00 开放"
    assert en.next_change(found, FRIDAY_EVENING) == "opens tomorrow (Sat) 09:00"


def test_today_is_only_the_time(zh: HoursText) -> None:
    found = evaluate("Mo-Fr 09:00-17:30", TUESDAY_NOON)
    assert found.state is OpenState.OPEN
    assert zh.status(found, TUESDAY_NOON) == "现在开放 · 17:30 关闭"


def test_overnight_hours_close_tomorrow_morning(zh: HoursText) -> None:
    night = datetime(2026, 12, 8, 23, 0)
    found = evaluate("Mo-Su 18:00-06:00", night)
    assert zh.status(found, night) == "现在开放 · 明天（周三）06:00 关闭"


def test_always_open_and_unknown(zh: HoursText, en: HoursText) -> None:
    always = evaluate("24/7", TUESDAY_NOON)
    assert zh.status(always, TUESDAY_NOON) == "现在开放 · 全天24小时开放"
    assert en.status(always, TUESDAY_NOON) == "Open now · Open 24 hours"
    unknown = evaluate(None, TUESDAY_NOON)
    assert unknown.state is OpenState.UNKNOWN and unknown.next_change is None
    assert zh.status(unknown, TUESDAY_NOON) == "开放时间未知"
    assert zh.state(evaluate("Mo-Fr 09:00-17:30", TUESDAY_NOON), now=False) == "开放"


def test_a_public_holiday_that_changes_the_state_is_named(zh: HoursText, en: HoursText) -> None:
    """国庆 2026-10-01, a Thursday: open by the weekly hours, closed by the calendar
    (chinesecalendar), and the note says why in each language."""
    national_day = datetime(2026, 10, 1, 10, 0)
    found = evaluate("Mo-Fr 09:00-17:30; PH off", national_day)
    assert found.state is OpenState.CLOSED
    assert found.special == SpecialDay(date(2026, 10, 1), DayKind.HOLIDAY, "国庆节",
                                       "National Day")
    assert zh.special(found) == "法定节假日（国庆节）：今天的开放时间与平常不同。"
    assert en.special(found) == ("Public holiday (National Day): today's hours differ from "
                                 "the usual week.")
    assert zh.status(found, national_day) == "现在关闭 · 周四（10月8日）09:00 开放"
    # hours that say nothing of holidays are not changed by one, and get no note
    assert evaluate("24/7", national_day).special is None
    unnamed = Evaluation(OpenState.CLOSED, None, SpecialDay(date(2026, 10, 1),
                                                            DayKind.HOLIDAY))
    assert zh.special(unnamed) == "法定节假日：今天的开放时间与平常不同。"


def test_a_make_up_working_day_is_named(zh: HoursText, en: HoursText) -> None:
    """2026-10-10, a Saturday worked for 国庆 (调休): weekday hours apply."""
    saturday_worked = datetime(2026, 10, 10, 10, 0)
    found = evaluate("Mo-Fr 09:00-17:30", saturday_worked)
    assert found.state is OpenState.OPEN
    assert found.special == SpecialDay(date(2026, 10, 10), DayKind.MAKEUP, "国庆节",
                                       "National Day")
    assert zh.special(found) == "调休上班日（国庆节）：今天按工作日时间开放。"
    assert en.special(found) == "Make-up working day (National Day): weekday hours apply today."
    assert zh.status(found, saturday_worked) == "现在开放 · 17:30 关闭"
    ordinary = evaluate("Mo-Fr 09:00-17:30", datetime(2026, 10, 17, 10, 0))  # a Saturday
    assert ordinary.state is OpenState.CLOSED and ordinary.special is None
    assert zh.special(ordinary) == ""


@pytest.mark.parametrize(("expression", "chinese", "english"), [
    ("24/7", "全天24小时开放", "Open 24 hours"),
    ("Mo-Fr 09:00-17:30", "周一至周五 09:00–17:30", "Mon to Fri 09:00–17:30"),
    ("Mo-Su 08:00-20:00", "每天 08:00–20:00", "daily 08:00–20:00"),
    ("08:00-20:00", "每天 08:00–20:00", "daily 08:00–20:00"),
    ("Mo-Fr 08:30-12:00,14:30-18:00; Sa 10:00-16:00; Su off",
     "周一至周五 08:30–12:00、14:30–18:00；周六 10:00–16:00；周日 休息",
     "Mon to Fri 08:30–12:00, 14:30–18:00; Sat 10:00–16:00; Sun closed"),
    ("Mo,We,Fr 09:00-12:00; PH off", "周一、周三、周五 09:00–12:00；法定节假日 休息",
     "Mon, Wed, Fri 09:00–12:00; public holidays closed"),
    ("Mo-Su 18:00-06:00", "每天 18:00–06:00", "daily 18:00–06:00"),
    # beyond the simple forms: shown as written, never paraphrased wrongly
    ("Jan-Mar Mo-Fr 10:00-12:00", "Jan-Mar Mo-Fr 10:00-12:00", "Jan-Mar Mo-Fr 10:00-12:00"),
    ("Mo-Fr", "Mo-Fr", "Mo-Fr"),
    ("", "", ""),
])
def test_expressions_in_words(zh: HoursText, en: HoursText, expression: str, chinese: str,
                              english: str) -> None:
    assert zh.describe(expression) == chinese
    assert en.describe(expression) == english
