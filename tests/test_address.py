"""Addresses and unit names of a union spreadsheet → the administrative units of geodata/.

The table is the one the parser choice was measured on (``locator/areas/names.py``,
``bench/address_parsers.py``): addresses written as district offices write them, with the
traps of Lanzhou's names — roads named like subdistricts (盐场路), subdistricts named after
other cities (酒泉路街道, 嘉峪关路街道) or a county (皋兰路街道), the 2022 move of 九合镇 to
安宁区, two towns called 城关镇, a community named 新村.
"""

from __future__ import annotations

import pytest

from locator.areas.names import gazetteer

# (address, district code, subdistrict name, community name); "" where the address says none
ADDRESSES: list[tuple[str, str, str, str]] = [
    ("甘肃省兰州市城关区雁南街道南河社区南滨河东路", "620102", "雁南街道", "南河社区"),
    ("兰州市城关区张掖路街道金塔巷社区", "620102", "张掖路街道", "金塔巷社区"),
    ("城关区盐场路街道穆柯寨社区", "620102", "盐场路街道", "穆柯寨社区"),
    ("城关区盐场路123号", "620102", "", ""),
    ("七里河区西湖街道小西湖东街社区", "620103", "西湖街道", "小西湖东街社区"),
    ("七里河区敦煌路街道办事处", "620103", "敦煌路街道", ""),
    ("七里河区敦煌路569号", "620103", "", ""),
    ("安宁区十里店街道和平社区", "620105", "十里店街道", "和平社区"),
    ("安宁区九合镇九合村", "620105", "九合镇", "九合村"),
    ("西固区西固城街道合水北路社区", "620104", "西固城街道", "合水北路社区"),
    ("红古区窑街街道和平社区", "620111", "窑街街道", "和平社区"),
    ("永登县城关镇东街社区", "620121", "城关镇", "东街社区"),
    ("榆中县城关镇兴隆路社区", "620123", "城关镇", "兴隆路社区"),
    ("榆中县和平镇", "620123", "和平镇", ""),
    ("兰州市城关区", "620102", "", ""),
    ("城关区东岗西路638号", "620102", "", ""),
    ("雁南街道天庆嘉园社区", "620102", "雁南街道", "天庆嘉园社区"),
    ("穆柯寨社区", "620102", "盐场路街道", "穆柯寨社区"),
    ("甘肃省兰州市安宁区银滩路街道", "620105", "银滩路街道", ""),
    ("兰州市七里河区西站街道西津西路", "620103", "西站街道", ""),
    ("兰州市西固区陈坪街道", "620104", "陈坪街道", ""),
    ("皋兰县石洞镇", "620122", "石洞镇", ""),
    ("兰州新区中川镇", "620171", "中川镇", ""),
    ("城关区火车站街道火车站东路", "620102", "火车站街道", ""),
    ("城关区东岗街道办事处东岗镇村", "620102", "东岗街道", "东岗镇村"),
    ("兰州市安宁区刘家堡街道", "620105", "刘家堡街道", ""),
    ("兰州市城关区广武门街道办事处", "620102", "广武门街道", ""),
    ("甘肃兰州七里河区龚家湾街道", "620103", "龚家湾街道", ""),
    ("城关区皋兰路街道", "620102", "皋兰路街道", ""),
    ("七里河区 西湖街道", "620103", "西湖街道", ""),
    ("兰州市城关区雁园路", "620102", "", ""),
    ("安宁区培黎街道", "620105", "培黎街道", ""),
    ("榆中县夏官营镇", "620123", "夏官营镇", ""),
    ("西固区", "620104", "", ""),
    ("兰州市", "", "", ""),
    ("张掖路步行街", "", "", ""),
    ("嘉峪关路街道", "620102", "嘉峪关路街道", ""),
    ("酒泉路街道金塔巷", "620102", "酒泉路街道", ""),
    ("城关区临夏路街道", "620102", "临夏路街道", ""),
    ("兰州市城关区白银路街道", "620102", "白银路街道", ""),
    ("七里河区晏家坪街道", "620103", "晏家坪街道", ""),
    ("安宁区沙井驿街道", "620105", "沙井驿街道", ""),
]


@pytest.mark.parametrize(("address", "district", "subdistrict", "community"), ADDRESSES)
def test_address_units(address: str, district: str, subdistrict: str, community: str) -> None:
    found = gazetteer().read_address(address)
    assert (found.district.code if found.district else "") == district
    assert (found.subdistrict.name if found.subdistrict else "") == subdistrict
    assert (found.community.name if found.community else "") == community
    if found.community is not None:  # a community's codes say where it lies
        assert found.subdistrict is not None
        assert found.community.subdistrict_code == found.subdistrict.code


@pytest.mark.parametrize(("level", "cell", "parent", "code"), [
    ("district", "城关区", None, "620102"),
    ("district", "城关", None, "620102"),
    ("district", "620103", None, "620103"),
    ("district", "620104000000", None, "620104"),
    ("subdistrict", "雁南街道", None, "620102003"),
    ("subdistrict", "雁南街道办事处", None, "620102003"),
    ("subdistrict", "雁南", None, "620102003"),
    ("subdistrict", "620102003000", None, "620102003"),
    ("subdistrict", "城关镇", "榆中县", "620123100"),
])
def test_resolve_names_and_codes(level: str, cell: str, parent: str | None, code: str) -> None:
    gaz = gazetteer()
    district = gaz.resolve("district", parent).unit if parent else None
    found = gaz.resolve(level, cell, district=district)
    assert found.unit is not None and found.unit.code == code


def test_ambiguous_and_unknown_names_say_why() -> None:
    gaz = gazetteer()
    twice = gaz.resolve("subdistrict", "城关镇")
    assert twice.unit is None
    assert {u.district_name for u in twice.candidates} == {"永登县", "榆中县"}
    unknown = gaz.resolve("subdistrict", "雁南路街道")
    assert unknown.unit is None and "雁南街道" in unknown.suggestions
    elsewhere = gaz.resolve("subdistrict", "雁南街道", district=gaz.resolve("district",
                                                                          "七里河区").unit)
    assert elsewhere.unit is not None and elsewhere.outside == "七里河区"
