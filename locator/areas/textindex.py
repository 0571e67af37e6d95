"""Whole-key, prefix and substring matching of one word against many keys, in C.

Place search scores every name key of every place (hanzi, full pinyin, initials) for each
query word: 0 when the word is the whole key, 1 when it is a prefix, 2 when it occurs inside.
With 10,000 stations beside the gazetteer that is ~50,000 keys; a Python loop over them
took ~40 ms a query (``bench/places.py``, "scan"). Here every key is written once into one
string, separated by a character no query holds (``\\x00``), and a word's occurrences are
found by the regex engine over that string; a binary search on the keys' start offsets then
tells which key each occurrence lies in. Only the occurrences touch Python, so a query costs
~0.3 ms at 10,000 stations (same bench, "index").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["NO_MATCH", "TextIndex"]

NO_MATCH = 9  #: the score of an entry the word does not match
_SEP = "\x00"


class TextIndex:
    """Keys of numbered entries, searchable for one word at a time.

    Parameters
    ----------
    keys : sequence of iterable of str
        ``keys[i]`` are the (normalised, non-empty) keys of entry ``i``.
    """

    def __init__(self, keys: Sequence[Iterable[str]]) -> None:
        texts: list[str] = []
        owners: list[int] = []
        for entry, own in enumerate(keys):
            for key in own:
                if key and _SEP not in key:
                    texts.append(key)
                    owners.append(entry)
        self.size = len(keys)
        lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
        #: offset in :attr:`_blob` where each key starts
        self._starts = np.concatenate(([1], 1 + np.cumsum(lengths)[:-1])) if texts else (
            np.zeros(0, dtype=np.int64))
        self._ends = self._starts + lengths - 1 if texts else self._starts
        self._owners = np.asarray(owners, dtype=np.intp)
        self._blob = _SEP + _SEP.join(texts) + _SEP

    def scores(self, word: str) -> NDArray[np.int8]:
        """Each entry's best score for ``word``: 0 whole key, 1 prefix, 2 substring,
        :data:`NO_MATCH` none."""
        out = np.full(self.size, NO_MATCH, dtype=np.int8)
        if not word or _SEP in word or not len(self._owners):
            return out
        found = np.fromiter((m.start() for m in re.finditer(re.escape(word), self._blob)),
                            dtype=np.int64)
        if not found.size:
            return out
        key = np.searchsorted(self._starts, found, side="right") - 1
        at_start = found == self._starts[key]
        whole = at_start & (found + len(word) == self._ends[key])
        score = np.where(whole, 0, np.where(at_start, 1, 2)).astype(np.int8)
        np.minimum.at(out, self._owners[key], score)
        return out
