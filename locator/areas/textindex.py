"""Whole-key, prefix and substring matching of one word against many keys, vectorised.

Place search scores every name key of every place (hanzi, full pinyin, initials) for each
query word: 0 when the word is the whole key, 1 when it is a prefix, 2 when it occurs inside.
With 10,000 stations beside the gazetteer that is ~40,000 keys; a Python loop over them
took ~60 ms a query (``bench/places.py``, "obvious scan"), and a regex over all keys
written into one string still spent ~3 µs of Python per occurrence (1,000 occurrences of a
common word: 3 ms). Here the keys are one numpy array of code points, separated by 0:
the positions holding the word's first character are found in one comparison and narrowed
by the following characters, so a word costs a few array passes whatever it matches. A
one-letter Latin word matches key starts only (``c`` is a prefix, not every key with a c).
"""

from __future__ import annotations

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
        #: offset in :attr:`_codes` where each key starts, and one past its end
        self._starts = (np.concatenate(([1], 1 + np.cumsum(lengths)[:-1])) if texts
                        else np.zeros(0, dtype=np.int64))
        self._ends = self._starts + lengths - 1
        self._owners = np.asarray(owners, dtype=np.intp)
        blob = _SEP + _SEP.join(texts) + _SEP
        self._codes = np.frombuffer(blob.encode("utf-32-le"), dtype=np.uint32)

    def scores(self, word: str) -> NDArray[np.int8]:
        """Each entry's best score for ``word``: 0 whole key, 1 prefix, 2 substring,
        :data:`NO_MATCH` none."""
        out = np.full(self.size, NO_MATCH, dtype=np.int8)
        if not word or _SEP in word or not len(self._owners):
            return out
        want = np.frombuffer(word.encode("utf-32-le"), dtype=np.uint32)
        codes = self._codes
        found = np.flatnonzero(codes[:codes.size - want.size + 1] == want[0])
        if want.size == 1 and word.isascii():
            found = found[codes[found - 1] == 0]  # key starts only
        for i in range(1, want.size):
            found = found[codes[found + i] == want[i]]
        if not found.size:
            return out
        key = np.searchsorted(self._starts, found, side="right") - 1
        at_start = found == self._starts[key]
        whole = at_start & (found + want.size == self._ends[key])
        owner = self._owners[key]
        # worst first, so a better score of the same entry overwrites a worse one
        out[owner[~at_start]] = 2
        out[owner[at_start & ~whole]] = 1
        out[owner[whole]] = 0
        return out
