"""The audit log: every change to the registry — edits, imports, rollbacks — and every step of
workers' reports, read from the store.

Nothing is kept beside the store: an edit's record (who, action, station id, before
and after) is written into its version's report in the same transaction as the
change (see :mod:`locator.registry.editing`); imports are their versions (who, when, file,
SHA-256, counts — the import history), rollbacks come from the store's log, and workers'
reports from their table (:mod:`locator.registry.reports`): ``report`` when a worker sent
it (user empty: reports are anonymous), ``report_accepted``/``report_dismissed`` when an
editor handled it. So the log cannot disagree with the registry, and it exists on both
store backends. Times are UTC (ISO 8601).

:func:`to_csv` neutralises cells a spreadsheet would run as formulas (the registry
export's helper) and :func:`from_csv` undoes exactly that, so exports round-trip.
"""

from __future__ import annotations

import csv
import heapq
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any

from locator.files.formulas import neutralise, unquote_formula
from locator.model import N_
from locator.registry.editing import EDIT_SOURCE, Action
from locator.registry.reports import Report, Status
from locator.registry.store import Store

__all__ = ["ACTIONS", "ACTION_LABELS", "AuditEntry", "entries", "from_csv", "from_json",
           "iter_entries", "last_verified_by", "matching", "to_csv", "to_json"]

IMPORT = "import"
ROLLBACK = "rollback"
REPORT = "report"
REPORT_ACCEPTED = "report_accepted"
REPORT_DISMISSED = "report_dismissed"
#: Every action the log records, and its name for people (message ids).
ACTION_LABELS: dict[str, str] = {
    Action.ADD.value: N_("added"), Action.EDIT.value: N_("edited"),
    Action.MOVE.value: N_("moved"), Action.VERIFY.value: N_("verified"),
    Action.RETIRE.value: N_("retired"), IMPORT: N_("imported"), ROLLBACK: N_("rolled back"),
    REPORT: N_("reported by a worker"), REPORT_ACCEPTED: N_("report accepted"),
    REPORT_DISMISSED: N_("report dismissed"),
}
ACTIONS = tuple(ACTION_LABELS)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change: when (UTC), who, what, to which station, in which store version."""

    at: str
    user: str
    action: str
    station_id: str
    version: int
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def entries(store: Store) -> list[AuditEntry]:
    """Every change in ``store``, newest first (in the order of the store's log)."""
    return list(iter_entries(store))


def iter_entries(store: Store) -> Iterator[AuditEntry]:
    """:func:`entries` lazily (an edit's report is read only when reached): registry changes
    and report steps merged newest first."""
    return heapq.merge(_report_entries(store), _registry_entries(store), key=_order,
                       reverse=True)


def _order(entry: AuditEntry) -> tuple[str, float]:
    """Time, then (times are whole seconds) the store version: a report step counts as just
    after the version it names, so "report, accept, then the edit it led to" keeps its order
    within one second."""
    return entry.at, entry.version + (0.5 if entry.action.startswith(REPORT) else 0.0)


def _report_entries(store: Store) -> Iterator[AuditEntry]:
    """Each report's steps, newest first (a stable sort: within one second, later steps of
    newer reports first)."""
    steps: list[AuditEntry] = []
    for report in store.reports.find(limit=None):  # newest first
        if report.status is not Status.OPEN and report.handled_at is not None:
            action = REPORT_ACCEPTED if report.status is Status.ACCEPTED else REPORT_DISMISSED
            steps.append(AuditEntry(report.handled_at, report.handled_by or "", action,
                                    report.station_id, report.station_version or 0, None,
                                    {"report": report.id, "status": report.status.value}))
        steps.append(AuditEntry(report.created_at, "", REPORT, report.station_id,
                                report.station_version or 0, None, _report_fields(report)))
    steps.sort(key=_order, reverse=True)
    return iter(steps)


def _report_fields(report: Report) -> dict[str, Any]:
    return {"report": report.id, "reason": report.reason.value,
            "amenity": report.amenity.value if report.amenity else None, "text": report.text,
            "station_etag": report.station_etag}


def _registry_entries(store: Store) -> Iterator[AuditEntry]:
    versions = {v.id: v for v in store.history()}
    for item in store.log():
        if item.action == ROLLBACK:
            yield AuditEntry(item.at, item.user, ROLLBACK, "", item.version, None,
                             {"active_version": item.version})
            continue
        version = versions.get(item.version)
        if version is None:
            continue
        if version.source.startswith(EDIT_SOURCE):
            report = store.report(version.id) or {}
            for record in report.get("audit", []):
                yield AuditEntry(version.created_at, version.user, str(record["action"]),
                                 str(record["station_id"]), version.id, record.get("before"),
                                 record.get("after"))
        else:
            yield AuditEntry(version.created_at, version.user, IMPORT, "", version.id, None,
                             {"source": version.source, "sha256": version.sha256,
                              "rows": version.rows, "accepted": version.accepted,
                              "rejected": version.rejected, "datum": version.datum})


def matching(found: Iterable[AuditEntry], *, user: str | None = None,
             station_id: str | None = None, action: str | None = None,
             since: date | None = None, until: date | None = None) -> list[AuditEntry]:
    """The entries that pass every given filter (dates are UTC days, both inclusive)."""
    first = since.isoformat() if since else None
    last = until.isoformat() if until else None
    return [e for e in found
            if (not user or e.user == user) and (not station_id or e.station_id == station_id)
            and (not action or e.action == action)
            and (first is None or e.at[:10] >= first) and (last is None or e.at[:10] <= last)]


def last_verified_by(found: Iterable[AuditEntry], station_id: str) -> AuditEntry | None:
    """The newest ``verify`` of ``station_id`` (who set "last verified"), if any."""
    return next((e for e in found if e.station_id == station_id and e.action == "verify"),
                None)


_COLUMNS = tuple(f.name for f in fields(AuditEntry))


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        return neutralise(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return "" if value is None else neutralise(value)


def to_csv(found: Sequence[AuditEntry]) -> bytes:
    """CSV (UTF-8 with BOM, so spreadsheets read the Chinese); before/after as JSON text."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_COLUMNS)
    for entry in found:
        writer.writerow([_cell(getattr(entry, name)) for name in _COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def from_csv(data: bytes) -> list[AuditEntry]:
    """Read :func:`to_csv` output back.

    Raises
    ------
    ValueError
        When the header is not the audit log's, naming what was found.
    """
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    if not rows or tuple(rows[0]) != _COLUMNS:
        raise ValueError(f"not an audit log export: header {rows[0] if rows else None!r}")
    found = []
    for row in rows[1:]:
        values = dict(zip(_COLUMNS, (unquote_formula(v) for v in row), strict=True))
        found.append(AuditEntry(values["at"], values["user"], values["action"],
                                values["station_id"], int(values["version"]),
                                json.loads(values["before"]) if values["before"] else None,
                                json.loads(values["after"]) if values["after"] else None))
    return found


def to_json(found: Sequence[AuditEntry]) -> bytes:
    """``{"entries": [...]}`` as UTF-8 JSON."""
    return json.dumps({"entries": [asdict(e) for e in found]}, ensure_ascii=False,
                      indent=1).encode()


def from_json(data: bytes) -> list[AuditEntry]:
    """Read :func:`to_json` output back."""
    return [AuditEntry(**item) for item in json.loads(data)["entries"]]
