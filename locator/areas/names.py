"""Administrative units by name or code: a ``所属街道`` cell or an address → district,
subdistrict and community codes of ``geodata/lanzhou/admin_units.csv``.

Two jobs on one table of names:

* :meth:`Gazetteer.resolve` reads a cell that *names* a unit (``城关区``, ``620102``,
  ``雁南街道``, ``雁南街道办事处``, ``620102008000``, ``南河社区``), narrowed by the district
  or subdistrict the row names, and says which unit it is — or that it is unknown (with the
  closest names) or ambiguous (with every candidate);
* :meth:`Gazetteer.read_address` finds the finest units an address states
  (``兰州市城关区雁南街道南河社区南滨河东路`` → 城关区 / 雁南街道 / 南河社区).

Why our own reader and not a package (measured on the 42 addresses of
``tests/test_address.py`` with ``bench/address_parsers.py``, 2026-12-08, on a busy 2-core
machine): jionlp 1.5.31's ``parse_location`` got district, subdistrict and community all
right for 32 of them (it has the pre-2022 split, so 九合镇 is still in 皋兰县; it misses
subdistricts named after a city, reading 酒泉路街道 as 金塔县) at 3–9 ms an address, with
~40 MB of dependencies; cnloc 0.1.7 stops at the county (6 of 42 complete; ``城关区``
without its city is not found). This reader knows exactly the units the app can place —
those of ``admin_units.csv`` — and got 42 of 42 at 0.15–0.3 ms. (The table was written
with the traps of Lanzhou's names in mind; it is a regression test, not a sample.)

Rules of the address reader: a district is only taken with its suffix (区/县/兰州新区), so
``皋兰路`` is not 皋兰县; a subdistrict only with its own suffix (街道/镇/乡, also
街道办事处/街道办/街办), so the road ``盐场路123号`` is not 盐场路街道; a community by its full
name (社区/村, also 居委会/村委会), inside the subdistrict found, or anywhere when only one
unit has that name. The first match of each level wins; a finer unit found without its
parent implies the parent.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from locator.areas.units import AdminName, admin_names, unit_code

__all__ = ["Address", "Gazetteer", "Resolved", "Unit", "gazetteer", "names_of"]

_SUFFIX = {
    "district": re.compile(r"(区|县)$"),
    "subdistrict": re.compile(r"(街道办事处|街道办|街办|街道|办事处|镇人民政府|镇|乡)$"),
    "community": re.compile(r"(社区居民委员会|社区居委会|居委会|社区|村民委员会|村委会|村)$"),
}
_STATISTICAL = re.compile(r"\d{12}")


def _fold(text: str) -> str:
    return re.sub(r"[\s()（）]", "", unicodedata.normalize("NFKC", str(text)))


def _base(name: str, level: str) -> str:
    folded = _fold(name)
    return _SUFFIX[level].sub("", folded) or folded


@dataclass(frozen=True, slots=True)
class Unit:
    """One district, subdistrict or community with its codes.

    ``code`` is the unit's own code (:func:`~locator.areas.units.unit_code`: official, or
    ``<parent>/<name>`` for units without one); ``subdistrict_code`` is the subdistrict a
    community belongs to (a subdistrict's own code for a subdistrict).
    """

    level: str
    code: str
    name: str
    district_code: str
    subdistrict_code: str = ""
    district_name: str = ""
    subdistrict_name: str = ""

    @property
    def label(self) -> str:
        """The name with its parents, as reports show it (``城关区 雁南街道``)."""
        return " ".join(p for p in (self.district_name if self.level != "district" else "",
                                    self.subdistrict_name if self.level == "community" else "",
                                    self.name) if p)


@dataclass(frozen=True, slots=True)
class Resolved:
    """What a name or code cell means: ``unit`` when found, else ``candidates`` (an ambiguous
    name) or ``suggestions`` (an unknown one). ``outside`` is the parent the row named when
    the only unit of that name lies elsewhere (the unit is still given)."""

    unit: Unit | None
    candidates: tuple[Unit, ...] = ()
    suggestions: tuple[str, ...] = ()
    outside: str = ""


@dataclass(frozen=True, slots=True)
class Address:
    """The units an address states (``None`` where it states none)."""

    district: Unit | None = None
    subdistrict: Unit | None = None
    community: Unit | None = None

    @property
    def finest(self) -> Unit | None:
        """The smallest unit found."""
        return self.community or self.subdistrict or self.district


class Gazetteer:
    """Every unit of ``admin_units.csv``, looked up by code, name and name without suffix."""

    def __init__(self, names: Iterable[AdminName]) -> None:
        rows = list(names)
        districts = {n.code: n.name for n in rows if n.level == "district"}
        districts.setdefault("620171", "兰州新区")  # a functional zone with towns, no polygon
        subdistricts: dict[tuple[str, str], Unit] = {}
        units: list[Unit] = [Unit("district", c, n, c) for c, n in districts.items()]
        for n in rows:
            if n.level == "subdistrict":
                code = unit_code(n)
                unit = Unit("subdistrict", code, n.name, n.district_code, code,
                            districts.get(n.district_code, ""))
                subdistricts[(n.district_code, n.name)] = unit
                units.append(unit)
        for n in rows:
            if n.level == "community":
                parent = subdistricts.get((n.district_code, n.parent_name))
                units.append(Unit("community", unit_code(n), n.name, n.district_code,
                                  parent.code if parent else n.parent_code,
                                  districts.get(n.district_code, ""), n.parent_name))
        self.units = tuple(units)
        self._by_code = {u.code: u for u in units}
        self._by_name: dict[tuple[str, str], list[Unit]] = defaultdict(list)
        for u in units:
            for key in {_fold(u.name), _base(u.name, u.level)}:
                self._by_name[(u.level, key)].append(u)
        # the address reader's vocabulary: full names (and suffix variants), longest first
        self._words: dict[str, list[tuple[str, Unit]]] = {}
        for level in ("district", "subdistrict", "community"):
            words = [(w, u) for u in units if u.level == level for w in _variants(u)]
            words.sort(key=lambda pair: -len(pair[0]))
            self._words[level] = words

    def by_code(self, code: str) -> Unit | None:
        """The unit with that code (``None`` when unknown)."""
        return self._by_code.get(code)

    def resolve(self, level: str, text: str, *, district: Unit | None = None,
                subdistrict: Unit | None = None) -> Resolved:
        """The unit of ``level`` that a cell names (by code or name) within its parents."""
        value = _fold(text)
        code = value[:9] if (level == "subdistrict" and _STATISTICAL.fullmatch(value)
                             and value.endswith("000")) else value
        if level == "district" and _STATISTICAL.fullmatch(value):
            code = value[:6]
        found = self._by_code.get(code)
        if found is not None and found.level == level:
            return Resolved(found)
        candidates = list(dict.fromkeys(self._by_name.get((level, value), [])
                                        or self._by_name.get((level, _base(value, level)), [])))
        if not candidates:
            pool = [u for u in self.units if u.level == level
                    and (district is None or u.district_code == district.code)]
            close = difflib.get_close_matches(value, [u.name for u in pool], n=3, cutoff=0.5)
            return Resolved(None, suggestions=tuple(close))
        inside = [u for u in candidates if _within(u, district, subdistrict)]
        if len(inside) == 1:
            return Resolved(inside[0])
        if len(inside) > 1:
            return Resolved(None, candidates=tuple(inside))
        if len(candidates) == 1:
            named = (subdistrict.label if subdistrict is not None and level == "community"
                     else district.label if district is not None else "")
            return Resolved(candidates[0], outside=named)
        return Resolved(None, candidates=tuple(candidates))

    def read_address(self, text: str) -> Address:
        """The district, subdistrict and community an address states (see module doc)."""
        value = _fold(text)
        taken: list[tuple[int, int]] = []
        district = self._first("district", value, taken, lambda u: True)
        subdistrict = self._first(
            "subdistrict", value, taken,
            lambda u: district is None or u.district_code == district.code)
        community = self._first(
            "community", value, taken,
            lambda u: (subdistrict.code == u.subdistrict_code if subdistrict is not None
                       else district is None or u.district_code == district.code),
            unique_only=subdistrict is None)
        if community is not None and subdistrict is None:
            subdistrict = self._by_code.get(community.subdistrict_code)
        if subdistrict is not None and district is None:
            district = self._by_code.get(subdistrict.district_code)
        return Address(district, subdistrict, community)

    def _first(self, level: str, text: str, taken: list[tuple[int, int]],
               fits: Callable[[Unit], bool], *, unique_only: bool = False) -> Unit | None:
        """The earliest (then longest) unit name of ``level`` in ``text`` that ``fits`` its
        parents and overlaps no name already taken; ``None`` if none or (for a unit found
        without its parent) if several units share the name."""
        best: tuple[int, int, list[Unit]] | None = None
        for word, unit in self._words[level]:
            start = text.find(word)
            while start >= 0 and any(a < start + len(word) and start < b for a, b in taken):
                start = text.find(word, start + 1)
            if start < 0 or not fits(unit):
                continue
            if best is None or start < best[0] or (start == best[0] and len(word) > best[1]):
                best = (start, len(word), [unit])
            elif start == best[0] and len(word) == best[1] and unit not in best[2]:
                best[2].append(unit)
        if best is None or (len(best[2]) > 1) or (unique_only and self._shared(best[2][0])):
            return None
        taken.append((best[0], best[0] + best[1]))
        return best[2][0]

    def _shared(self, unit: Unit) -> bool:
        return len(self._by_name.get((unit.level, _fold(unit.name)), [])) > 1


def _variants(unit: Unit) -> list[str]:
    """Ways an address writes a unit's name (always with a suffix of its level)."""
    name = _fold(unit.name)
    if unit.level == "district":
        return [name]
    if unit.level == "subdistrict":
        base = _base(name, "subdistrict")
        return [name, base + "街办"] if name.endswith("街道") else [name]
    return [name]


def _within(unit: Unit, district: Unit | None, subdistrict: Unit | None) -> bool:
    if subdistrict is not None and unit.level == "community":
        return unit.subdistrict_code == subdistrict.code
    return district is None or unit.district_code == district.code


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The gazetteer of the shipped ``admin_units.csv`` (built once per process)."""
    return Gazetteer(admin_names())


def names_of(units: Sequence[Unit]) -> str:
    """Units as a report lists them: ``城关区 城关镇、榆中县 城关镇``."""
    return "、".join(u.label for u in units)
