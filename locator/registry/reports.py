"""Workers' reports that a station has changed: what one holds, how it is checked, where it lives.

A worker taps "报告问题" on a station and says it is closed, has moved, lacks an amenity,
has wrong hours, or something else (optional text). The report is anonymous (no account,
no address kept), stored with the station's id, the store version served at the time and
the station's ETag, and starts ``open``. Editors *accept* it (and go on to an edit
prefilled with the change) or *dismiss* it; both are final and recorded with who and when,
so the audit log shows every step (:mod:`locator.registry.audit`).

Report text is never shown to the public: pages only say that a station has open reports.

Storage is :class:`ReportStore`, which each registry store carries as ``store.reports``:
the ``station_reports`` table beside the station tables, in the same GeoPackage or PostGIS
database (:mod:`locator.registry.store.reports_sqlite`,
:mod:`locator.registry.store.reports_postgis`), created on first use in existing stores too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from locator.errors import QueryError
from locator.model import N_, Amenity

__all__ = ["MAX_TEXT", "REASON_LABELS", "REPORT_COLUMNS", "STATUS_LABELS", "NewReport",
           "Reason", "Report", "ReportStore", "Status", "new_report", "row_to_report"]

#: Longest free text a report may carry (characters).
MAX_TEXT = 500


class Reason(StrEnum):
    """What the worker says is wrong."""

    CLOSED = "closed"
    MOVED = "moved"
    AMENITY_MISSING = "amenity_missing"
    HOURS_WRONG = "hours_wrong"
    OTHER = "other"


REASON_LABELS: dict[Reason, str] = {
    Reason.CLOSED: N_("It has closed"),
    Reason.MOVED: N_("It has moved or is not here"),
    Reason.AMENITY_MISSING: N_("Something listed is missing"),
    Reason.HOURS_WRONG: N_("The opening hours are wrong"),
    Reason.OTHER: N_("Something else"),
}


class Status(StrEnum):
    """Where a report stands; ``accepted`` and ``dismissed`` are final."""

    OPEN = "open"
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"


STATUS_LABELS: dict[Status, str] = {
    Status.OPEN: N_("open"), Status.ACCEPTED: N_("accepted"), Status.DISMISSED: N_("dismissed"),
}


@dataclass(frozen=True, slots=True)
class NewReport:
    """A checked report, before it is stored."""

    station_id: str
    station_version: int | None  # the store version served when it was made (None: files)
    station_etag: str  # the station as the worker saw it
    reason: Reason
    amenity: Amenity | None = None  # for AMENITY_MISSING: which one
    text: str = ""


@dataclass(frozen=True, slots=True)
class Report:
    """A stored report. Times are UTC, ISO 8601."""

    id: int
    created_at: str
    station_id: str
    station_version: int | None
    station_etag: str
    reason: Reason
    amenity: Amenity | None
    text: str
    status: Status
    handled_at: str | None
    handled_by: str | None


def new_report(*, station_id: str, station_version: int | None, station_etag: str,
               reason: str, amenity: str | None, text: str | None) -> NewReport:
    """Check a report's fields (from a form) and return it.

    Raises
    ------
    QueryError
        Naming the field and the value: an unknown reason or amenity, an amenity missing
        for ``amenity_missing``, or text longer than :data:`MAX_TEXT` characters.
    """
    try:
        why = Reason(reason)
    except ValueError:
        raise QueryError("reason", f"reason must be one of {', '.join(Reason)}, "
                         f"got {reason!r}") from None
    what: Amenity | None = None
    if why is Reason.AMENITY_MISSING:
        try:
            what = Amenity(amenity or "")
        except ValueError:
            raise QueryError("amenity", f"say which amenity is missing: one of "
                             f"{', '.join(Amenity)}, got {amenity!r}") from None
    body = " ".join((text or "").split())  # one line: no layout tricks in an editor's inbox
    if len(body) > MAX_TEXT:
        raise QueryError("text", f"at most {MAX_TEXT} characters, got {len(body)}")
    return NewReport(station_id=station_id, station_version=station_version,
                     station_etag=station_etag, reason=why, amenity=what, text=body)


class ReportStore(Protocol):
    """Reports beside a registry store (same database); safe from several processes."""

    def add(self, report: NewReport) -> Report:
        """Store a new open report and return it."""

    def get(self, report_id: int) -> Report | None:
        """One report, or ``None``."""

    def find(self, *, status: Status | None = None, station_id: str | None = None,
             limit: int | None = 100, offset: int = 0) -> list[Report]:
        """Reports, newest first, optionally of one status and/or station (``limit=None``:
        all of them)."""

    def counts(self) -> dict[Status, int]:
        """How many reports there are of each status."""

    def open_by_station(self) -> dict[str, int]:
        """Station id → number of open reports (stations without any are left out)."""

    def handle(self, report_id: int, status: Status, *, user: str) -> Report:
        """Accept or dismiss an open report (who and when are kept).

        Raises
        ------
        NotFound
            When there is no such report.
        EditConflict
            When it was already accepted or dismissed.
        """


def row_to_report(row: tuple[object, ...]) -> Report:
    """A :class:`Report` from a row in :data:`REPORT_COLUMNS` order."""
    (id_, created_at, station_id, version, etag, reason, amenity, text, status, handled_at,
     handled_by) = row
    return Report(id=int(str(id_)), created_at=str(created_at), station_id=str(station_id),
                  station_version=None if version is None else int(str(version)),
                  station_etag=str(etag), reason=Reason(str(reason)),
                  amenity=None if amenity is None else Amenity(str(amenity)),
                  text=str(text or ""), status=Status(str(status)),
                  handled_at=None if handled_at is None else str(handled_at),
                  handled_by=None if handled_by is None else str(handled_by))


#: Columns of ``station_reports`` in the order :func:`row_to_report` reads them.
REPORT_COLUMNS = ("id", "created_at", "station_id", "station_version", "station_etag",
                  "reason", "amenity", "text", "status", "handled_at", "handled_by")
