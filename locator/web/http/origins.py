"""Web origins from configuration (``scheme://host[:port]``), checked once at start-up."""

from __future__ import annotations

import re
from collections.abc import Iterable

from locator.errors import ConfigError

__all__ = ["parse_origins"]

_ORIGIN = re.compile(r"https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)"
                     r"(?::[0-9]{1,5})?")


def parse_origins(value: object, *, key: str, allow_any: bool = False) -> tuple[str, ...]:
    """Origins from a config value: a list, or a string separated by spaces or commas.

    Parameters
    ----------
    value : str, sequence of str or None
        E.g. ``"https://union.example http://127.0.0.1:8080"`` or ``["https://a.example"]``.
    key : str
        The config key, named in error messages.
    allow_any : bool
        Accept ``"*"`` (any origin).

    Returns
    -------
    tuple of str
        Lower-cased origins without a trailing slash, duplicates removed, order kept.

    Raises
    ------
    ConfigError
        For anything that is not an origin (a path, a wildcard host, a bare host name).
    """
    if value is None:
        return ()
    items: Iterable[object]
    if isinstance(value, str):
        items = re.split(r"[\s,]+", value.strip())
    elif isinstance(value, list | tuple | set | frozenset):
        items = value
    else:
        raise ConfigError(f"{key} must be a list of origins or a string, got {value!r}")
    out: list[str] = []
    for item in items:
        if item == "":
            continue
        text = item.rstrip("/") if isinstance(item, str) else item
        if text == "*" and allow_any:
            out.append("*")
        elif isinstance(text, str) and _ORIGIN.fullmatch(text):
            out.append(text.lower())
        else:
            expected = "an origin like https://union.example or http://127.0.0.1:8080"
            raise ConfigError(f"{key}: expected {expected}"
                              f"{' or *' if allow_any else ''}, got {item!r}")
    return tuple(dict.fromkeys(out))
