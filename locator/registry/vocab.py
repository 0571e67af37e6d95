"""Kinds, amenities and entry methods as people write them → the model's values.

Every label the app shows (the English message ids and their Chinese translations, kept
in step by ``tests/test_registry_vocab.py``), the codes, and common synonyms of union
spreadsheets. Keys are compared after :func:`fold` (NFKC, lower case, spaces, brackets and
punctuation dropped), so ``户外劳动者服务站（点）`` and ``户外劳动者服务站点`` are one key.
An unknown word gets the closest known one as a suggestion.

Synonyms that are judgements (also in the README's table):

* ``户外劳动者服务站(点)`` and ``工会驿站`` → ``box_station``: the ACFTU's generic name for
  a union rest station, with no sign of a 24-hour smart station; the same choice the shipped
  news data makes for unspecified union stations.
* ``爱心驿站``, ``劳动者港湾``, ``共建站点`` → ``partner``: rest points that banks, shops,
  sanitation depots or petrol stations host in their own premises.
* ``空调`` → ``cooling`` (the summer service it names in station lists; heating is ``取暖``).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from locator.model import (
    AMENITY_LABELS,
    ENTRY_LABELS,
    KIND_LABELS,
    KIND_NAMES_ZH,
    Amenity,
    Entry,
    Kind,
)

__all__ = ["AMENITY_WORDS", "ENTRY_WORDS", "KIND_WORDS", "amenity_of", "entry_of", "fold",
           "kind_of", "split_items", "suggest"]


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """A word as compared: NFKC, lower case, without spaces, brackets and punctuation
    (cached: a registry repeats a few labels many thousand times)."""
    text = unicodedata.normalize("NFKC", str(text)).lower()
    return re.sub(r"[\s()\[\]【】（）<>《》\"'“”‘’_\-.,:;/、·]", "", text)


def _table(pairs: Iterable[tuple[str, object]]) -> dict[str, object]:
    return {fold(word): value for word, value in pairs}


_KIND_SYNONYMS: dict[Kind, tuple[str, ...]] = {
    Kind.SMART_STATION: ("智能化工会驿站", "24小时智能驿站", "智能驿站", "24小时驿站",
                         "24小时工会驿站", "smart station"),
    Kind.BOX_STATION: ("箱体式驿站", "箱式驿站", "集装箱驿站", "工会驿站", "户外劳动者服务站",
                       "户外劳动者服务站点", "户外劳动者服务点", "职工驿站", "union station"),
    Kind.GIG_MARKET: ("零工驿站", "零工之家", "零工服务站", "零工街", "零工市场驿站",
                      "gig market"),
    Kind.LABOR_PARK: ("劳动者公园", "劳模公园", "工人公园", "labour park"),
    Kind.DRIVERS_HOME: ("货车司机之家", "司机驿站", "drivers home"),
    Kind.SERVICE_COMPLEX: ("职工服务综合体", "职工服务中心", "职工之家", "service complex"),
    Kind.TRAINING_BASE: ("培训基地", "技能培训基地", "职工培训基地", "training base"),
    Kind.PARTNER: ("爱心驿站", "劳动者港湾", "共建站点", "合作驿站", "共建驿站", "partner"),
}

KIND_WORDS: dict[str, Kind] = _table(  # type: ignore[assignment]
    [(k.value, k) for k in Kind] + [(label, k) for k, label in KIND_LABELS.items()]
    + [(name, k) for k, name in KIND_NAMES_ZH.items()]
    + [(word, k) for k, words in _KIND_SYNONYMS.items() for word in words])

_AMENITY_ZH: dict[Amenity, tuple[str, ...]] = {
    Amenity.WATER: ("饮用水", "饮水", "热水", "开水", "喝水", "饮水机", "茶水", "water"),
    Amenity.HEATING: ("取暖", "暖气", "供暖", "heating"),
    Amenity.COOLING: ("防暑降温", "降温", "纳凉", "空调", "避暑", "cooling"),
    Amenity.MICROWAVE: ("热饭（微波炉）", "热饭", "微波炉", "加热饭菜", "热餐", "microwave"),
    Amenity.PHONE_CHARGING: ("手机充电", "充电", "充电宝", "phone charging"),
    Amenity.EBIKE_CHARGING: ("电动车充电", "电瓶车充电", "电动自行车充电", "ebike charging"),
    Amenity.TOILET: ("卫生间", "厕所", "如厕", "洗手间", "公厕", "toilet", "wc"),
    Amenity.SEATING: ("休息座椅", "座椅", "休息", "休息区", "桌椅", "歇脚", "seating"),
    Amenity.FIRST_AID: ("急救药箱", "医药箱", "药箱", "急救", "常用药品", "应急药品", "first aid"),
    Amenity.WIFI: ("无线网络", "无线网", "wifi", "wi-fi", "免费wifi"),
    Amenity.NURSING_ROOM: ("母婴室", "哺乳室", "nursing room"),
    Amenity.LOCKERS: ("储物柜", "寄存", "物品寄存", "lockers"),
    Amenity.LEGAL_AID: ("法律援助", "法律咨询", "维权服务", "legal aid"),
}

AMENITY_WORDS: dict[str, Amenity] = _table(  # type: ignore[assignment]
    [(a.value, a) for a in Amenity] + [(label, a) for a, label in AMENITY_LABELS.items()]
    + [(word, a) for a, words in _AMENITY_ZH.items() for word in words])

_ENTRY_ZH: dict[Entry, tuple[str, ...]] = {
    Entry.OPEN: ("直接进入", "自由进入", "开放", "免费开放", "walk in"),
    Entry.QR_CODE: ("扫码进入", "扫码", "扫码开门", "二维码", "qr code"),
    Entry.REGISTRATION: ("需先登记", "登记", "登记进入", "预约", "registration"),
}

ENTRY_WORDS: dict[str, Entry] = _table(  # type: ignore[assignment]
    [(e.value, e) for e in Entry] + [(label, e) for e, label in ENTRY_LABELS.items()]
    + [(word, e) for e, words in _ENTRY_ZH.items() for word in words])

_ITEM_SEPARATORS = re.compile(r"[;；,，、/|\n]+|\s{2,}")


def split_items(text: str) -> list[str]:
    """A list cell (``饮用水、手机充电；卫生间``) → its items, blanks dropped."""
    return [item.strip() for item in _ITEM_SEPARATORS.split(str(text)) if item.strip()]


def suggest(word: str, table: dict[str, object]) -> str | None:
    """The closest known key to ``word`` (``None`` when nothing is close)."""
    found = difflib.get_close_matches(fold(word), list(table), n=1, cutoff=0.4)
    return found[0] if found else None


def kind_of(text: str) -> Kind | None:
    """The kind a word names, or ``None``."""
    return KIND_WORDS.get(fold(text))


def amenity_of(text: str) -> Amenity | None:
    """The amenity a word names, or ``None``."""
    return AMENITY_WORDS.get(fold(text))


def entry_of(text: str) -> Entry | None:
    """The entry method a word names, or ``None``."""
    return ENTRY_WORDS.get(fold(text))
