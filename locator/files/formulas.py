"""Spreadsheet cells that a spreadsheet would run as formulas: neutralised on export, restored
exactly on import.

A CSV or XLSX cell starting with ``= + - @``, a tab or a carriage return gets a leading
``'`` when written (:func:`neutralise`); reading strips exactly that ``'`` again
(:func:`unquote_formula`), so any text survives a round trip unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["FORMULA_START", "SPREADSHEET_FORMATS", "cell_values", "neutralise",
           "unquote_formula"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: the formats whose text cells export neutralises (and import unquotes); GeoJSON and
#: GeoPackage values are never run by a spreadsheet, so they are written and read as they are
SPREADSHEET_FORMATS = ("csv", "xlsx")


def neutralise(value: Any) -> Any:
    """Text a spreadsheet could execute gets a leading ``'``; other values pass through.

    So does text that already starts with ``'`` and a formula character, so that
    :func:`unquote_formula` can tell the two apart.
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] in FORMULA_START or (value[0] == "'" and value[1:2] in FORMULA_START):
        return "'" + value
    return value


def unquote_formula(value: Any) -> Any:
    """Undo :func:`neutralise` exactly: ``'=x`` → ``=x``, ``''=x`` → ``'=x``, other text as is.

    A ``'`` is removed only where :func:`neutralise` would have added it, so any text
    survives export and re-import unchanged.
    """
    if isinstance(value, str) and value.startswith("'") and neutralise(value[1:]) == value:
        return value[1:]
    return value


def cell_values(fields: Mapping[str, Any], fmt: str) -> dict[str, Any]:
    """A row's values as exported: formula guards removed from spreadsheet (CSV/XLSX) cells,
    every other format's values as they are (the same dict: callers only read it)."""
    if fmt in SPREADSHEET_FORMATS:
        return {k: unquote_formula(v) for k, v in fields.items()}
    return fields if isinstance(fields, dict) else dict(fields)
