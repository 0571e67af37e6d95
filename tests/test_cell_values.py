"""Cell values as union offices write them → the value stored, or the warning they get.

The table of the issue "the union's own spreadsheet": every cell a district office's sheet
holds (hours, amenities, kinds, datum names, phone numbers, unit names, addresses), read
through the importer's own pipeline (one CSV row per value), with the expected normalised
value or warning. Holiday cases check the evaluation of what was read on 国庆 2026 and on
a make-up working day.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pytest

from locator.geo.datum import Datum
from locator.model import Amenity, Entry, Kind
from locator.registry.importer import boundary_from_setting, prepare
from locator.stations import hours

AREA = boundary_from_setting(None)
# a point in 城关区 (WGS-84) for rows whose coordinates are not what is tested
LON, LAT = "103.8343", "36.0611"


def import_one(**cells: str) -> tuple[Any, list[tuple[str, str, str]]]:
    """One row with 驿站名称 and 类型 (and coordinates unless given) → (station or None,
    [(severity, column, code)])."""
    row = {"驿站名称": "测试驿站", "类型": "箱体驿站", "经度": LON, "纬度": LAT, **cells}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row)
    prepared = prepare(out.getvalue().encode("gb18030"), name="sheet.csv", boundary=AREA)
    station = prepared.stations[0] if prepared.stations else None
    return station, [(p.severity, p.column or "", p.code) for p in prepared.report.problems]


HOURS = [
    ("24小时", "24/7"),
    ("全天", "24/7"),
    ("全天24小时", "24/7"),
    ("24小时开放", "24/7"),
    ("8:00-20:00", "08:00-20:00"),
    ("8:00—20:00", "08:00-20:00"),
    ("８：００－２０：００", "08:00-20:00"),
    ("8点至20点", "08:00-20:00"),
    ("早8点-晚8点", "08:00-20:00"),
    ("上午8:30-12:00 下午14:30-18:00", "08:30-12:00,14:30-18:00"),
    ("下午2:30-6:00", "14:30-18:00"),
    ("周一至周五 9:00-17:30", "Mo-Fr 09:00-17:30; PH off"),
    ("工作日 8:30-17:30", "Mo-Fr 08:30-17:30; PH off"),
    ("周一至周五 9:00-17:30，周末休息", "Mo-Fr 09:00-17:30; Sa,Su off; PH off"),
    ("周一至周五9:00-17:30；节假日休息", "Mo-Fr 09:00-17:30; PH off"),
    ("8:00-20:00，法定节假日照常开放", "08:00-20:00; PH 08:00-20:00"),
    ("周末休息", "Mo-Su unknown; Sa,Su off"),
    ("节假日休息", "Mo-Su unknown; PH off"),
    ("周二至周日 9:00-17:00 周一闭馆", "Tu-Su 09:00-17:00; Mo off"),
    ("18:00-次日6:00", "18:00-06:00"),
    ("Mo-Fr 09:00-17:00", "Mo-Fr 09:00-17:00"),
]


@pytest.mark.parametrize(("cell", "osm"), HOURS)
def test_hours_as_written(cell: str, osm: str) -> None:
    station, problems = import_one(开放时间=cell)
    assert problems == []
    assert station.opening_hours == osm
    assert station.hours_text == ("" if cell == osm else cell)  # the original is kept


@pytest.mark.parametrize("cell", ["夏季8:00-20:00 冬季9:00-18:00", "预约开放", "法定节假日照常开放",
                                  "全年无休"])
def test_hours_not_understood_are_unknown_with_a_warning(cell: str) -> None:
    station, problems = import_one(开放时间=cell)
    assert problems == [("warning", "开放时间", "hours_unknown")]
    assert station.opening_hours is None and station.hours_text == cell


AMENITIES = [
    ("饮用水、手机充电", {Amenity.WATER, Amenity.PHONE_CHARGING}),
    ("热饭（微波炉）, 卫生间", {Amenity.MICROWAVE, Amenity.TOILET}),
    ("Drinking water;Wi-Fi", {Amenity.WATER, Amenity.WIFI}),
    ("电动车充电 休息座椅", set()),  # one space is no separator: one unknown item
    ("急救药箱/母婴室/储物柜", {Amenity.FIRST_AID, Amenity.NURSING_ROOM, Amenity.LOCKERS}),
    ("空调，暖气，法律咨询", {Amenity.COOLING, Amenity.HEATING, Amenity.LEGAL_AID}),
]


@pytest.mark.parametrize(("cell", "expected"), AMENITIES)
def test_amenities_by_any_label(cell: str, expected: set[Amenity]) -> None:
    station, problems = import_one(设施=cell)
    assert station.amenities == frozenset(expected)
    assert bool(problems) == (not expected)


def test_an_unknown_amenity_is_kept_in_the_note_with_a_suggestion() -> None:
    station, problems = import_one(设施="饮用水、图书角、饮水机房")
    assert station.amenities == frozenset({Amenity.WATER})
    assert [p[2].startswith("amenity_unknown") for p in problems] == [True, True]
    assert station.note == "未识别的设施：图书角、饮水机房"


KINDS = [
    ("24小时智能化工会驿站", Kind.SMART_STATION),
    ("箱体驿站", Kind.BOX_STATION),
    ("户外劳动者服务站", Kind.BOX_STATION),
    ("户外劳动者服务站（点）", Kind.BOX_STATION),
    ("爱心驿站", Kind.PARTNER),
    ("司机之家", Kind.DRIVERS_HOME),
    ("Gig-work market", Kind.GIG_MARKET),
    ("labor_park", Kind.LABOR_PARK),
    ("职工服务中心", Kind.SERVICE_COMPLEX),
]


@pytest.mark.parametrize(("cell", "kind"), KINDS)
def test_kinds_by_any_label(cell: str, kind: Kind) -> None:
    station, problems = import_one(类型=cell)
    assert problems == [] and station.kind is kind


def test_an_unknown_kind_is_rejected_with_the_closest_one() -> None:
    station, problems = import_one(类型="司机之屋")
    assert station is None and problems == [("error", "类型", "unknown_kind")]


DATUMS = [("WGS84", Datum.WGS84), ("GPS", Datum.WGS84), ("GCJ02", Datum.GCJ02),
          ("高德", Datum.GCJ02), ("腾讯地图", Datum.GCJ02), ("BD09", Datum.BD09),
          ("百度坐标", Datum.BD09)]


@pytest.mark.parametrize(("cell", "datum"), DATUMS)
def test_datum_names(cell: str, datum: Datum) -> None:
    station, problems = import_one(坐标系=cell)
    assert problems == [] and station.datum is datum


def test_an_unknown_datum_rejects_the_row() -> None:
    assert import_one(坐标系="北京54")[1] == [("error", "坐标系", "unknown_datum")]


PHONES = [
    ("0931-8123456", "0931-8123456", []),
    ("13812345678", "13812345678", []),
    ("138 1234 5678", "13812345678", []),
    ("0931-8123456、13812345678", "0931-8123456;13812345678", []),
    ("(0931)8123456转801", "0931-8123456转801", []),
    ("400-820-8820", "400-820-8820", []),
    ("12351", "12351", []),
    ("8123456", "0931-8123456", ["phone_area_code"]),
    ("0931-812345", "", ["phone_invalid"]),
]


@pytest.mark.parametrize(("cell", "stored", "warnings"), PHONES)
def test_phones(cell: str, stored: str, warnings: list[str]) -> None:
    station, problems = import_one(联系电话=cell)
    assert station.phone == stored
    assert [p[2] for p in problems] == warnings


UNITS = [
    ({"所属区县": "城关区"}, ("620102", None, None), []),
    ({"所属区县": "620103"}, ("620103", None, None), ["admin_mismatch"]),  # the point is in 城关区
    ({"所属街道": "雁南街道"}, ("620102", "620102003", None), []),
    ({"所属区县": "城关区", "所属街道": "雁南街道办事处"}, ("620102", "620102003", None), []),
    ({"所属街道": "城关镇"}, (None, None, None), ["admin_ambiguous"]),
    ({"所属街道": "雁南路街道"}, (None, None, None), ["admin_unknown"]),
    ({"所属区县": "城关区", "所属街道": "雁南街道", "所属社区": "南河社区"},
     ("620102", "620102003", "620102003/南河社区"), []),
]


@pytest.mark.parametrize(("cells", "codes", "warnings"), UNITS)
def test_units_by_name_or_code(cells: dict[str, str], codes: tuple[str | None, ...],
                               warnings: list[str]) -> None:
    station, problems = import_one(**cells)
    assert (station.district_code, station.subdistrict_code, station.community_code) == codes
    assert [p[2] for p in problems] == warnings


def test_a_point_in_another_district_names_both_and_the_distance() -> None:
    _station, problems = import_one(所属区县="西固区")
    assert problems == [("warning", "经度/纬度", "admin_mismatch")]
    prepared = prepare("驿站名称,类型,经度,纬度,所属区县\n甲,箱体驿站,103.8343,36.0611,西固区\n"
                       .encode(), name="m.csv", boundary=AREA)
    params = prepared.report.problems[0].params
    assert params["found"] == "城关区" and params["named"] == "西固区"
    assert 5 < float(params["distance_km"]) < 30


ADDRESSES = [
    ("城关区雁南街道南河社区南滨河东路", "district"),  # no community or subdistrict polygons ship
    ("兰州市七里河区敦煌路569号", "district"),
    ("榆中县和平镇", "district"),
]


@pytest.mark.parametrize(("address", "level"), ADDRESSES)
def test_address_only_rows_are_placed_by_their_unit(address: str, level: str) -> None:
    station, problems = import_one(地址=address, 经度="", 纬度="")
    assert [p[2] for p in problems] == ["placed_by_address"]
    assert station.located and station.geocoded == level
    assert station.precision_m > 1000 and station.datum is Datum.WGS84


def test_no_coordinates_and_no_usable_address_is_rejected() -> None:
    station, problems = import_one(地址="张掖路步行街", 经度="", 纬度="")
    assert station is None and problems == [("error", "地址", "no_location")]


def test_entry_and_dates_as_written() -> None:
    station, problems = import_one(进入方式="扫码", 核实日期="2024年5月1日")
    assert problems == [] and station.entry is Entry.QR_CODE
    assert station.verified.isoformat() == "2024-05-01"


def test_the_table_has_at_least_40_values() -> None:
    assert len(HOURS) + len(AMENITIES) + len(KINDS) + len(DATUMS) + len(PHONES) + len(
        UNITS) + len(ADDRESSES) >= 40


# --- the hours read above, on China's holidays ---------------------------------------------

WORKDAYS = "Mo-Fr 09:00-17:30; PH off"  # 周一至周五 9:00-17:30, as read


@pytest.mark.parametrize(("moment", "expected"), [
    ("2026-09-30T10:00", "open"),  # a Wednesday before 国庆
    ("2026-10-01T10:00", "closed"),  # 国庆, a Thursday
    ("2026-10-05T10:00", "closed"),  # Monday, a day off in lieu
    ("2026-10-08T10:00", "open"),  # back to work
    ("2026-09-20T10:00", "open"),  # Sunday worked in lieu (调休)
    ("2026-10-10T10:00", "open"),  # Saturday worked in lieu
    ("2026-10-11T10:00", "closed"),  # an ordinary Sunday
])
def test_working_day_hours_on_holidays_and_makeup_days(moment: str, expected: str) -> None:
    assert hours.state(WORKDAYS, datetime.fromisoformat(moment)).value == expected


def test_next_change_skips_the_holiday_week() -> None:
    assert hours.next_change(WORKDAYS, datetime(2026, 9, 30, 18)) == datetime(2026, 10, 8, 9)
    assert hours.next_change(WORKDAYS, datetime(2026, 10, 9, 18)) == datetime(2026, 10, 10, 9)


def test_holiday_hours_and_24_7_on_national_day() -> None:
    usual = "08:00-20:00; PH 10:00-16:00"
    assert hours.state(usual, datetime(2026, 10, 2, 9)).value == "closed"
    assert hours.state(usual, datetime(2026, 10, 2, 11)).value == "open"
    assert hours.state("24/7", datetime(2026, 10, 1, 3)).value == "open"


def test_beyond_the_calendar_holiday_rules_are_unknown_not_guessed() -> None:
    last = hours.calendar_years()[1]
    later = datetime(last + 1, 3, 3, 10)
    assert hours.state(WORKDAYS, later).value == "unknown"
    assert hours.state("Mo-Fr 09:00-17:30", later).value == ("open" if later.weekday() < 5
                                                            else "closed")


def test_an_address_that_disagrees_with_the_unit_columns_is_said() -> None:
    station, problems = import_one(地址="七里河区敦煌路569号", 所属区县="城关区", 经度="", 纬度="")
    assert [p[2] for p in problems] == ["address_disagrees", "placed_by_address"]
    assert station.district_code == "620102"
