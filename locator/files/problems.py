"""What is wrong with a file, row by row: a bad field (:class:`RowError`) and its report line
(:class:`Problem`), shared by every reader of tables (stations, areas, planner inputs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Problem", "RowError", "shown_value"]


class RowError(ValueError):
    """A field of one record is invalid."""

    def __init__(self, column: str, value: Any, reason: str) -> None:
        super().__init__(f"{column}={value!r}: {reason}")
        self.column = column
        self.value = value
        self.reason = reason

    def at(self, source: str, row: int) -> Problem:
        """This error as the :class:`Problem` of ``row`` in ``source``."""
        return Problem(source, row, self.column, shown_value(self.value), self.reason)


@dataclass(frozen=True, slots=True)
class Problem:
    """One rejected row: where it is and why."""

    source: str
    row: int
    column: str | None
    value: str
    reason: str

    def __str__(self) -> str:
        col = f" column {self.column!r}" if self.column else ""
        return f"{self.source} row {self.row}{col}: {self.reason} (value {self.value})"


def shown_value(value: Any) -> str:
    """A bad value as a :class:`Problem` shows it: its ``repr``, cut to 80 characters."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
