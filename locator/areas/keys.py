"""The search keys of a name: hanzi, full pinyin and initials, lower case without spaces
(``盐场路街道`` → ``盐场路街道``, ``yanchanglujiedao``, ``ycljd``), so a worker finds a place
however they type it."""

from __future__ import annotations

import re

__all__ = ["keys_of", "norm", "pinyin"]

_SPACES = re.compile(r"[\s'’·,，、/]+")


def norm(text: str) -> str:
    """``text`` lower-cased without spaces, apostrophes and list punctuation."""
    return _SPACES.sub("", text).lower()


def _syllables(hanzi: str) -> list[str]:
    """Toneless pinyin syllables of ``hanzi``; a run of other characters is one item
    starting with ``\x00`` (so it is kept whole, not cut to its first letter).

    pypinyin is imported here, on the first search, not with the app: loading its phrase
    dictionary takes ~0.25 s that a worker need not spend before it can answer.
    """
    from pypinyin import lazy_pinyin

    return list(lazy_pinyin(hanzi, v_to_u=False, errors=lambda chunk: "\x00" + chunk))


def pinyin(hanzi: str) -> str:
    """Toneless pinyin of ``hanzi``, syllables joined."""
    return "".join(s.lstrip("\x00") for s in _syllables(hanzi))


def keys_of(name: str) -> tuple[str, ...]:
    """Hanzi, full pinyin and initials of a name (all lower case, no spaces).

    One pinyin pass gives both (two passes cost ~350 µs a name, one ~170 µs: 10,000
    station names take half the time to index).
    """
    hanzi = norm(name)
    syllables = _syllables(hanzi)
    full = norm("".join(s.lstrip("\x00") for s in syllables))
    initials = norm("".join(s[1:] if s.startswith("\x00") else s[:1] for s in syllables))
    return tuple(dict.fromkeys(k for k in (hanzi, full, initials) if k))
