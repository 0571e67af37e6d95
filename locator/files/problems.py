"""What is wrong with a file, row by row: a bad field (:class:`RowError`) and its report line
(:class:`Problem`), shared by every reader of tables (stations, areas, planner inputs).

A problem carries a ``code`` and its ``params`` as well as an English ``reason``: the web
and the command line render the code in the reader's language (``locator.registry.messages``),
the English reason is what logs and the stored JSON report keep. ``severity`` is ``error``
(the row is rejected), ``warning`` (the row is kept, with what the warning says) or
``notice`` (about the file, e.g. an ignored column).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["SEVERITIES", "Problem", "RowError", "shown_value"]

SEVERITIES = ("error", "warning", "notice")


class RowError(ValueError):
    """A field of one record is invalid (or, with ``severity="warning"``, doubtful)."""

    def __init__(self, column: str, value: Any, reason: str, *, code: str = "",
                 params: dict[str, Any] | None = None, severity: str = "error") -> None:
        super().__init__(f"{column}={value!r}: {reason}")
        self.column = column
        self.value = value
        self.reason = reason
        self.code = code
        self.params = dict(params or {})
        self.severity = severity

    def at(self, source: str, row: int, column: str | None = None) -> Problem:
        """This error as the :class:`Problem` of ``row`` in ``source`` (``column``: the
        file's own header for the field, when it differs from the field's name)."""
        return Problem(source, row, column or self.column, shown_value(self.value), self.reason,
                       self.code, self.params, self.severity)


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding about a row (or, with ``row`` 0, about the whole file): where and why."""

    source: str
    row: int
    column: str | None
    value: str
    reason: str
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    severity: str = "error"

    @property
    def rejects(self) -> bool:
        """True when the row it names is left out of the registry."""
        return self.severity == "error" and self.row > 0

    def __str__(self) -> str:
        col = f" column {self.column!r}" if self.column else ""
        kind = "" if self.severity == "error" else f" [{self.severity}]"
        return f"{self.source} row {self.row}{col}{kind}: {self.reason} (value {self.value})"


def shown_value(value: Any) -> str:
    """A bad value as a :class:`Problem` shows it: its ``repr``, cut to 80 characters."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
