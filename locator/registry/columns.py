"""Which column of a station file is which field: Chinese and English header synonyms.

A header is compared after dropping bracketed notes, spaces, ``_`` and ``-`` and case
(``经度(GCJ-02)`` is ``经度``; ``Opening Hours`` is ``openinghours``). An explicit mapping
(``--mapping 站点=name``) wins over the synonyms. The README's table of synonyms is
:func:`synonyms_markdown` (``tests/test_registry_columns.py`` keeps them equal).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from locator.errors import RegistryError
from locator.registry.records import FIELDS

__all__ = ["HEADERS", "TARGETS", "column_map", "header_key", "parse_mapping",
           "synonyms_markdown"]

TARGETS = (*FIELDS, "lon", "lat")

#: field → the headers that mean it (the first Chinese one is the template's header)
HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("编号", "序号", "站点编号", "驿站编号", "id", "no"),
    "name": ("驿站名称", "名称", "站点名称", "站名", "服务站名称", "name"),
    "kind": ("类型", "类别", "站点类型", "驿站类型", "kind", "type"),
    "address": ("地址", "详细地址", "站点地址", "所在地址", "位置", "address"),
    "lon": ("经度", "lon", "lng", "long", "longitude", "x"),
    "lat": ("纬度", "lat", "latitude", "y"),
    "datum": ("坐标系", "坐标类型", "坐标来源", "datum", "crs"),
    "opening_hours": ("开放时间", "营业时间", "服务时间", "开放时段", "opening_hours", "hours"),
    "district_code": ("所属区县", "区县", "所在区县", "区县代码", "区", "district",
                      "district_code"),
    "subdistrict_code": ("所属街道", "街道", "乡镇", "街道乡镇", "所属乡镇", "街道代码",
                         "subdistrict", "subdistrict_code"),
    "community_code": ("所属社区", "社区", "村", "社区村", "社区代码", "community",
                       "community_code"),
    "amenities": ("设施", "服务设施", "服务内容", "服务功能", "配套设施", "amenities"),
    "phone": ("联系电话", "电话", "联系方式", "服务电话", "phone", "tel", "telephone"),
    "entry": ("进入方式", "入站方式", "entry"),
    "note": ("备注", "说明", "note", "notes"),
    "source": ("来源", "数据来源", "source"),
    "precision_m": ("精度", "精度米", "precision_m"),
    "verified": ("核实日期", "核验日期", "verified"),
    "synthetic": ("演示", "synthetic"),
    "hours_text": ("开放时间原文", "hours_text"),
    "geocoded": ("按地址定位", "geocoded"),
}


def header_key(header: str) -> str:
    """A header as compared: bracketed notes, spaces, ``_``, ``-`` and case dropped."""
    text = re.sub(r"[(（\[【].*?[)）\]】]", "", str(header)).strip().lower()
    return re.sub(r"[\s_\-/]", "", text)


_LOOKUP = {header_key(alias): target for target, names in HEADERS.items() for alias in names}


def parse_mapping(text: str | None) -> dict[str, str]:
    """``"名字=name,X坐标=lon"`` → ``{"名字": "name", "X坐标": "lon"}`` (source column → field).

    Raises
    ------
    RegistryError
        When an item is not ``column=field`` or names an unknown field.
    """
    mapping: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        column, sep, target = item.partition("=")
        if not sep or not column.strip() or target.strip() not in TARGETS:
            raise RegistryError(f"bad mapping item {item!r}: use column=field with a field "
                                f"among {', '.join(TARGETS)}")
        mapping[column.strip()] = target.strip()
    return mapping


def column_map(columns: Sequence[str], mapping: Mapping[str, str] | None = None
               ) -> tuple[dict[str, str], tuple[str, ...]]:
    """Which source column feeds which field, and which columns are ignored.

    Explicit ``mapping`` entries (source column → field) win over recognised names.

    Raises
    ------
    RegistryError
        When a mapped column is absent or two columns feed the same field.
    """
    explicit = dict(mapping or {})
    missing = [c for c in explicit if c not in columns]
    if missing:
        raise RegistryError(f"mapping names columns the file lacks: {missing}; "
                            f"columns are {list(columns)}")
    result: dict[str, str] = {}
    ignored: list[str] = []
    for column in columns:
        target = explicit.get(column) or (None if column in explicit
                                          else _LOOKUP.get(header_key(column)))
        if target is None or (column not in explicit and target in explicit.values()):
            ignored.append(column)
            continue
        taken = [c for c, t in result.items() if t == target]
        if taken:
            raise RegistryError(f"columns {taken[0]!r} and {column!r} both map to {target!r}; "
                                "give a mapping to choose one")
        result[column] = target
    return result, tuple(ignored)


def synonyms_markdown() -> str:
    """The README's table of the headers each field is recognised by."""
    lines = ["| field | headers recognised |", "|---|---|"]
    lines += [f"| `{field}` | {', '.join(names)} |" for field, names in HEADERS.items()]
    return "\n".join(lines)
