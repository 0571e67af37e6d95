"""Chinese phone numbers as written in a spreadsheet → checked, normalised numbers.

A ``联系电话`` cell may hold several numbers (``0931-8123456、13812345678``) written with
spaces, dashes, brackets, a ``+86`` prefix or an extension (``转 801``). Accepted, and
written back in one form each:

* mobile: 11 digits starting ``13``–``19`` → ``13812345678``;
* landline: area code (``0`` + 2–3 digits) and a 7–8 digit number → ``0931-8123456``
  (an extension is kept: ``0931-8123456转801``); a 7–8 digit number without an area code is
  taken as Lanzhou's (``0931``) with a warning;
* ``400``/``800`` service numbers, 10 digits → ``400-123-4567``;
* five-digit public service numbers ``12xxx`` (``12351``, the unions' hotline; ``12345``)
  and ``95xxx`` (banks, carriers).

Anything else is returned as *bad*, for the caller to report and keep as written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["LANZHOU_AREA_CODE", "Phones", "parse_phones", "tel_uri"]

LANZHOU_AREA_CODE = "0931"

_ITEMS = re.compile(r"[、,，;；/|\n]+|或|及|和")
_NOISE = re.compile(r"[\s\-()（）.]")
_PREFIX = re.compile(r"^(?:\+?86|0086)(?=1[3-9]\d{9}$|[1-9]\d{9,10}$)")
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x)(\d{1,6})$", re.IGNORECASE)
_MOBILE = re.compile(r"1[3-9]\d{9}")
_SERVICE = re.compile(r"[48]00\d{7}")
_SHORT = re.compile(r"(?:12|95)\d{3}")
# area codes: 010, 02x (3 digits) or 0 + 3 digits
_LANDLINE = re.compile(r"(0(?:10|2\d|[3-9]\d{2}))([2-9]\d{6,7})")
_LOCAL = re.compile(r"[2-9]\d{6,7}")


@dataclass(frozen=True, slots=True)
class Phones:
    """What a cell held: good numbers (normalised), numbers given a Lanzhou area code, and
    items that are no phone number (as written)."""

    numbers: tuple[str, ...]
    assumed_area: tuple[str, ...]
    bad: tuple[str, ...]

    @property
    def text(self) -> str:
        """The numbers as stored: ``;``-separated."""
        return ";".join(self.numbers)


def _one(item: str) -> tuple[str | None, bool]:
    """(normalised number or None, True when Lanzhou's area code was assumed)."""
    compact = _NOISE.sub("", item)
    extension = ""
    found = _EXTENSION.search(compact)
    if found:
        extension, compact = found.group(1), compact[:found.start()]
    compact = _PREFIX.sub("", compact)
    if _MOBILE.fullmatch(compact) and not extension:
        return compact, False
    if _SERVICE.fullmatch(compact):
        return f"{compact[:3]}-{compact[3:6]}-{compact[6:]}", False
    if _SHORT.fullmatch(compact) and not extension:
        return compact, False
    suffix = f"转{extension}" if extension else ""
    landline = _LANDLINE.fullmatch(compact)
    if landline:
        return f"{landline.group(1)}-{landline.group(2)}{suffix}", False
    if _LOCAL.fullmatch(compact):
        return f"{LANZHOU_AREA_CODE}-{compact}{suffix}", True
    return None, False


def parse_phones(text: str) -> Phones:
    """Every number of a phone cell, checked and normalised.

    Examples
    --------
    >>> parse_phones("0931-8123456、138 1234 5678").numbers
    ('0931-8123456', '13812345678')
    >>> parse_phones("8123456").assumed_area
    ('0931-8123456',)
    """
    numbers: list[str] = []
    assumed: list[str] = []
    bad: list[str] = []
    area: str | None = None  # a number without an area code takes the cell's previous one
    cleaned = unicodedata.normalize("NFKC", str(text))
    for item in (i.strip() for i in _ITEMS.split(cleaned)):
        if not item:
            continue
        found = [_one(item)]
        if found[0][0] is None and len(item.split()) > 1:  # "13812345678 13912345678"
            found = [_one(part) for part in item.split()]
        good = [(number, guessed) for number, guessed in found if number is not None]
        if len(good) != len(found):
            bad.append(item)
            continue
        for number, guessed in good:
            if guessed and area is not None:
                number, guessed = area + number[len(LANZHOU_AREA_CODE):], False
            elif number.startswith("0") and "-" in number:
                area = number.split("-", 1)[0]
            if number not in numbers:
                numbers.append(number)
                if guessed:
                    assumed.append(number)
    return Phones(tuple(numbers), tuple(assumed), tuple(bad))


def tel_uri(number: str) -> str:
    """A ``tel:`` link (RFC 3966) for a normalised number: ``0931-8123456转801`` →
    ``tel:0931-8123456,801`` (a comma dials the extension after a pause)."""
    main, _, extension = number.partition("转")
    return f"tel:{main}" + (f",{extension}" if extension else "")
