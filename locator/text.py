"""Text from outside, read strictly: numbers in ASCII digits, and characters never stored.

One parser of numbers for every place that reads them from text — the API's query
parameters (:mod:`locator.web.api.queries`), the pages' query strings
(:mod:`locator.web.params`) and the station form and editing API
(:mod:`locator.web.pages.stationform`). Python's ``float()`` and ``int()`` also take
full-width ``３６``, Arabic-Indic ``٣٦`` and ``3_6``: a number a visitor did not mean to type
the way it is read, and one more spelling for a cache key. (Imports of spreadsheets stay
lenient in their own way: :mod:`locator.registry.validate` names full-width digits.)

:func:`text_problem` says what is wrong with a text field that is to be stored: control
characters (NUL, ESC… break exports — openpyxl refuses them — and terminals) and the
invisible bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069)
that make ``evil<U+202E>gnp.exe`` show as ``evilexe.png``. Imports and edits both check
every text field with it (:func:`locator.registry.records.station_from_record`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import NamedTuple

__all__ = ["MAX_TEXT", "TextFault", "is_ascii_number", "parse_number", "parse_whole", "text_fault",
           "text_problem"]

#: Longest text field a station may have, on import and edit alike (characters).
MAX_TEXT = 2000

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                     r"|[+-]?(?:inf|infinity|nan)", re.IGNORECASE)
_WHOLE = re.compile(r"[+-]?[0-9]+")
# control characters (Unicode category Cc: U+0000-U+001F, U+007F-U+009F) and the bidi
# embeddings, overrides and isolates; a regex so a 200,000-row import checks in C
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_FORBIDDEN_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def is_ascii_number(text: str) -> bool:
    """Whether ``text`` is a decimal number in ASCII (``inf``/``nan`` spelt out count too:
    callers say "finite" in their own words)."""
    return _NUMBER.fullmatch(text) is not None


def parse_number(text: str, name: str) -> float:
    """A finite number written in ASCII decimal digits.

    Raises
    ------
    ValueError
        ``"{name} must be a number, got '３６'"`` or ``"... a finite number, got 'inf'"``.
    """
    if not is_ascii_number(text):
        raise ValueError(f"{name} must be a number, got {text!r}")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {text!r}")
    return value


def parse_whole(text: str, name: str) -> int:
    """A whole number written in ASCII digits.

    Raises
    ------
    ValueError
        ``"{name} must be a whole number, got '٣'"``.
    """
    if _WHOLE.fullmatch(text) is None:
        raise ValueError(f"{name} must be a whole number, got {text!r}")
    return int(text)


class TextFault(NamedTuple):
    """The first character of a text that may not be stored."""

    code: str  #: its U+ code (``U+202E``)
    name: str  #: its Unicode name, ``""`` for control characters (they have none)
    position: int  #: 1-based
    control: bool  #: a control character (else a direction control)


def text_fault(text: str, *, single_line: bool = False) -> TextFault | None:
    """The first character of ``text`` that may not be stored, or ``None``.

    Parameters
    ----------
    text : str
        A field's value.
    single_line : bool
        Refuse tabs and line breaks too (identifiers); otherwise they are allowed, as a
        spreadsheet cell or an address may hold them.
    """
    found = (_FORBIDDEN_ONE_LINE if single_line else _FORBIDDEN).search(text)
    if found is None:
        return None
    char = found.group()
    control = unicodedata.category(char) == "Cc"
    return TextFault(f"U+{ord(char):04X}", "" if control else unicodedata.name(char),
                     found.start() + 1, control)


def text_problem(text: str, *, single_line: bool = False) -> str | None:
    """Why ``text`` may not be stored (English), or ``None`` when it may: e.g.
    ``"contains the control character U+001B at character 4"``."""
    fault = text_fault(text, single_line=single_line)
    if fault is None:
        return None
    if fault.control:
        return f"contains the control character {fault.code} at character {fault.position}"
    return (f"contains the invisible direction control {fault.code} ({fault.name}) at "
            f"character {fault.position}: it makes text show in another order than it is "
            "stored; remove it")
