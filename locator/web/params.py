"""Query-string parsing of the HTML pages; every message names the parameter (the API's
parameters are declared in :mod:`locator.web.api.queries`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from werkzeug.datastructures import MultiDict

from locator.errors import QueryError
from locator.files.problems import RowError
from locator.model import Amenity, Kind
from locator.registry.records import parse_kind
from locator.stations import hours
from locator.stations.query import Filters
from locator.text import parse_number, parse_whole

__all__ = ["Args", "parse_amenity", "parse_kind_value", "static_filters"]

T = TypeVar("T")


class Args:
    """Typed access to a request's query string.

    A parameter given twice is an error: ``?k=1&k=50`` has no single meaning.
    """

    def __init__(self, args: MultiDict[str, str]) -> None:
        self._args = args

    def raw(self, name: str) -> str | None:
        """The single value of ``name`` (stripped), ``None`` when absent or blank."""
        values = self._args.getlist(name)
        if len(values) > 1:
            raise QueryError(name, f"parameter {name!r} given {len(values)} times; give it once")
        if not values or not values[0].strip():
            return None
        return values[0].strip()

    def required_number(self, name: str, *, low: float, high: float) -> float:
        """A finite float within [low, high] that must be given."""
        value = self.number(name, low=low, high=high)
        if value is None:
            raise QueryError(name, f"parameter {name!r} is required")
        return value

    def number(self, name: str, *, low: float, high: float,
               default: float | None = None) -> float | None:
        """A finite float within [low, high], or ``default`` when absent."""
        text = self.raw(name)
        if text is None:
            return default
        try:
            value = parse_number(text, name)  # ASCII digits: float() also takes ３６ and 3_6
        except ValueError as exc:
            raise QueryError(name, str(exc)) from None
        if not low <= value <= high:
            raise QueryError(name, f"{name} must be between {low:g} and {high:g}, got {text!r}")
        return value

    def integer(self, name: str, *, low: int, high: int, default: int) -> int:
        """An int within [low, high]."""
        text = self.raw(name)
        if text is None:
            return default
        try:
            value = parse_whole(text, name)
        except ValueError as exc:
            raise QueryError(name, str(exc)) from None
        if not low <= value <= high:
            raise QueryError(name, f"{name} must be between {low} and {high}, got {text!r}")
        return value

    def listed(self, name: str, parse: Callable[[str], T]) -> list[T]:
        """A comma-separated list, each item parsed (errors name the parameter and item)."""
        text = self.raw(name)
        if text is None:
            return []
        out = []
        for item in text.split(","):
            if item.strip():
                try:
                    out.append(parse(item.strip()))
                except ValueError as exc:
                    reason = exc.reason if isinstance(exc, RowError) else str(exc)
                    raise QueryError(name, f"{name}: {item.strip()!r}: {reason}") from None
        return out

    def multi(self, name: str, parse: Callable[[str], T]) -> list[T]:
        """Like :meth:`listed`, but the parameter may also be repeated (``?kind=a&kind=b``,
        as an HTML form's checkboxes send it); duplicates are dropped, order kept."""
        out: list[T] = []
        for text in self._args.getlist(name):
            for item in (part.strip() for part in text.split(",")):
                if not item:
                    continue
                try:
                    value = parse(item)
                except ValueError as exc:
                    reason = exc.reason if isinstance(exc, RowError) else str(exc)
                    raise QueryError(name, f"{name}: {item!r}: {reason}") from None
                if value not in out:
                    out.append(value)
        return out

    def flag(self, name: str) -> bool:
        """A boolean: 1/true/yes or 0/false/no."""
        text = self.raw(name)
        if text is None:
            return False
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise QueryError(name, f"{name} must be true or false, got {text!r}")

    def moment(self, name: str, *, now: datetime) -> datetime | None:
        """``now`` or an ISO 8601 date-time (naive means Lanzhou local time)."""
        text = self.raw(name)
        if text is None:
            return None
        if text.lower() == "now":
            return now
        try:
            return hours.local(datetime.fromisoformat(text))
        except ValueError:
            raise QueryError(name, f"{name} must be 'now' or an ISO date-time like "
                                   f"2026-11-29T22:30, got {text!r}") from None


def parse_amenity(text: str) -> Amenity:
    """An :class:`Amenity` from its value; ValueError naming the known ones."""
    try:
        return Amenity(text)
    except ValueError:
        known = ", ".join(a.value for a in Amenity)
        raise ValueError(f"unknown amenity (known: {known})") from None


def parse_kind_value(text: str) -> Kind:
    """A :class:`Kind` from its value or Chinese name; ValueError with a suggestion."""
    return parse_kind(text)


def static_filters(args: Args) -> Filters:
    """Only ``kind`` and ``amenity``: the filters of listings, where time plays no part."""
    return Filters(kinds=frozenset(args.listed("kind", parse_kind_value)),
                   amenities=frozenset(args.listed("amenity", parse_amenity)))
