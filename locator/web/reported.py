"""Workers' reports as the served pages see them: which stations have open ones, and counts.

Pages mark a station with open reports ("有用户报告可能已变化") and ``/healthz`` counts
reports by status. Both read :meth:`~locator.registry.reports.ReportStore.open_by_station`
and :meth:`~locator.registry.reports.ReportStore.counts` through a per-app cache kept for
:data:`TTL` seconds (a finder page does not open the store) and dropped by this process's
own report writes (:func:`forget`), so a worker sees their report's mark at once and other
processes' within :data:`TTL`.

No store is created to answer: while the configured GeoPackage does not exist (nothing
imported, edited or reported yet) there are no reports. A store that cannot be read gives
no marks (logged), never a failed page.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app

from locator.registry.importer import store_location
from locator.registry.reports import ReportStore, Status
from locator.registry.store import Store, is_database_url, open_store

__all__ = ["TTL", "counts", "forget", "open_counts", "open_report_store", "reported_stations",
           "store_exists"]

log = logging.getLogger(__name__)
TTL = 10.0
_KEY = "locator.reported"


@dataclass
class _Cache:
    at: float = -1e9
    stations: dict[str, int] = field(default_factory=dict)
    counts: dict[Status, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def store_exists(app: Flask | None = None) -> bool:
    """Whether the configured store exists (a database URL always may)."""
    target = app or current_app
    location = store_location(target.config, target.instance_path)
    return is_database_url(location) or Path(location).is_file()


def open_report_store(app: Flask | None = None) -> Store:
    """The configured registry store, whose ``reports`` hold the workers' reports (created
    when missing). Close it after use."""
    target = app or current_app
    return open_store(store_location(target.config, target.instance_path))


def _cache(app: Flask) -> _Cache:
    found: _Cache | None = app.extensions.get(_KEY)
    if found is None:
        found = app.extensions.setdefault(_KEY, _Cache())
    return found


def _fresh(app: Flask) -> _Cache:
    cache = _cache(app)
    if time.monotonic() - cache.at < TTL:
        return cache
    with cache.lock:
        if time.monotonic() - cache.at < TTL:
            return cache
        stations: dict[str, int] = {}
        counted: dict[Status, int] = {s: 0 for s in Status}
        if store_exists(app):
            try:
                store = open_report_store(app)
                try:
                    reports: ReportStore = store.reports
                    stations, counted = reports.open_by_station(), reports.counts()
                finally:
                    store.close()
            except Exception:  # a page must not fail for its marks: show none, say why
                log.exception("reports: could not read the open reports")
        cache.stations, cache.counts, cache.at = stations, counted, time.monotonic()
    return cache


def reported_stations(app: Flask | None = None) -> frozenset[str]:
    """Ids of the stations with open reports."""
    return frozenset(_fresh(app or current_app).stations)


def open_counts(app: Flask | None = None) -> dict[str, int]:
    """Station id → number of open reports (stations without any are left out)."""
    return dict(_fresh(app or current_app).stations)


def counts(app: Flask | None = None) -> dict[str, int]:
    """Reports by status (``open``, ``accepted``, ``dismissed``)."""
    return {status.value: n for status, n in _fresh(app or current_app).counts.items()}


def forget(app: Flask | None = None) -> None:
    """Drop the cache (after this process wrote a report or handled one)."""
    _cache(app or current_app).at = -1e9
