"""The registry the app serves: loaded once at start-up, swapped whole, never re-read.

What is served, in order:

1. ``REGISTRY`` file(s) when set (a fixed registry, e.g. for a demo or a test);
2. else the active version of the store (``STORE``, default
   ``instance/registry.gpkg``) when the store exists and holds one — what
   ``locator import`` and the upload page write;
3. else the shipped Lanzhou data.

After an import the web layer calls :func:`reload_from_store`, which builds the
new registry and swaps it in atomically with :func:`swap`. Other processes (CLI
imports, rollbacks, other gunicorn workers) are noticed by a cheap check of the
store's active version number at most every ``REGISTRY_POLL_SECONDS``; a request
never re-reads station rows unless that number changed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from locator import resources
from locator.areas.imports import AREA_LEVELS
from locator.areas.store import StoredAreas, areas_for
from locator.errors import ConfigError
from locator.model import Station
from locator.registry import Registry, load_registry
from locator.registry.importer import store_location
from locator.registry.load import report_from_dict
from locator.registry.store import Store, Version, is_database_url, open_store
from locator.stations.nearest import NearestIndex
from locator.stations.rivers import yellow_river
from locator.stations.travel import TravelModel
from locator.web import health
from locator.web.config import settings

__all__ = ["DEFAULT_REGISTRY", "current_registry", "imported_areas", "init_app", "refresh",
           "registry_from_store", "registry_paths", "registry_version", "reload_from_store",
           "serve_written", "served", "start_watcher", "stations_by_id", "stop_watcher", "swap",
           "swap_if_changed", "watching"]

log = logging.getLogger(__name__)

DEFAULT_REGISTRY = (resources.lanzhou("stations_documented.geojson"),
                    resources.lanzhou("stations_demo.geojson"))
_KEY = "locator"
_WATCH = "locator.store_watch"
_lock = threading.Lock()


def registry_paths(setting: str | os.PathLike[str] | None) -> tuple[Path, ...]:
    """Files to serve: the configured ``REGISTRY`` (``os.pathsep``-separated) or shipped data."""
    if setting is None or str(setting).strip() == "":
        return DEFAULT_REGISTRY
    paths = tuple(Path(p).expanduser() for p in str(setting).split(os.pathsep) if p.strip())
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ConfigError(f"REGISTRY file not found: {', '.join(missing)}")
    return paths


def init_app(app: Flask) -> None:
    """Load and index the registry once and keep it on ``app.extensions``."""
    travel = _travel(app)
    registry = None
    if not settings(app).registry:
        registry = _from_configured_store(app, travel)
        poll = float(settings(app).registry_poll_seconds or 0)
        if poll > 0 and not health.is_degraded(app):  # degraded: the backup, read-only
            app.extensions[_WATCH] = _Watch(store_location(app.config, app.instance_path), poll,
                                            _served_version(registry))
            app.before_request(_refresh)
    if registry is None:
        registry = load_registry(registry_paths(settings(app).registry), travel=travel)
    report = registry.report
    log.info("registry: %d of %d rows served from %s; %d problems", report.accepted,
             report.rows, ", ".join(report.files), len(report.problems))
    app.extensions[_KEY] = registry


def _travel(app: Flask) -> TravelModel:
    return TravelModel(detour_factor=settings(app).detour_factor,
                       walk_kmh=settings(app).walk_kmh,
                       ebike_kmh=settings(app).ebike_kmh,
                       river=yellow_river() if settings(app).river_crossings else None)


def _from_configured_store(app: Flask, travel: TravelModel) -> Registry | None:
    location = store_location(app.config, app.instance_path)
    if not settings(app).store and not Path(location).is_file():
        return None  # no store yet: nothing has been imported here
    store = open_store(location)
    try:
        return registry_from_store(store, travel=travel)
    finally:
        store.close()


def registry_from_store(store: Store, *, travel: TravelModel | None = None) -> Registry | None:
    """The store's active version as a :class:`Registry` (``None`` when the store is empty)."""
    active = store.active()
    if active is None:
        return None
    stations = store.stations(active.id)
    return _registry(active, stations, store.report(active.id) or {}, travel)


def _registry(version: Version, stations: Sequence[Station], stored: dict[str, Any],
              travel: TravelModel | None) -> Registry:
    report = report_from_dict(stored, (f"{version.source} (store version {version.id})",),
                              version.rows, len(stations))
    return Registry(tuple(stations), NearestIndex(stations, travel=travel), report)


def reload_from_store(app: Flask, store: Store) -> Registry | None:
    """Serve the store's active version from now on (swapped atomically); returns it."""
    registry = registry_from_store(store, travel=_travel(app))
    if registry is not None:
        _serve(app, registry)
    return registry


def serve_written(app: Flask, version: Version, stations: Sequence[Station]) -> Registry:
    """Serve a version this process has just written, from the rows it wrote (an edit has no
    rejected rows): the same registry :func:`reload_from_store` would build, without reading
    the whole version back (~3 s at 200,000 stations)."""
    registry = _registry(version, stations, {}, _travel(app))
    _serve(app, registry)
    return registry


def _serve(app: Flask, registry: Registry) -> None:
    swap(app, registry)
    version = registry_version(registry)
    health.note_served(app, version)
    watch = app.extensions.get(_WATCH)
    if watch is not None:
        watch.version = version


def _served_version(registry: Registry | None) -> int | None:
    return None if registry is None else registry_version(registry)


def registry_version(registry: Registry) -> int | None:
    """The store version a registry was built from (``None`` for files)."""
    label = registry.report.files[0] if registry.report.files else ""
    marker = "(store version "
    if label.endswith(")") and marker in label:
        return int(label.rsplit(marker, 1)[1][:-1])
    return None


class _Watch:
    """When to look at the store's active version next, and which one is served."""

    def __init__(self, location: str, every: float, version: int | None) -> None:
        self.location = location
        self.every = every
        self.version = version
        self.due = time.monotonic() + every
        self.lock = threading.Lock()
        self.background = False  # True once start_watcher runs the checks in a thread
        self.stop = threading.Event()  # the running watcher's; set by stop_watcher


def _refresh() -> None:
    """Before a request: swap in the store's active version if another process changed it."""
    refresh(current_app._get_current_object())  # type: ignore[attr-defined]


def refresh(app: Flask) -> None:
    """Check the store when a check is due and no watcher thread does it (cheap otherwise)."""
    watch: _Watch | None = app.extensions.get(_WATCH)
    if watch is None or watch.background or time.monotonic() < watch.due:
        return
    swap_if_changed(app)


def swap_if_changed(app: Flask) -> bool:
    """Swap in the store's active version now if it is not the one served.

    Returns True when a new version was swapped in. Never raises: a store hiccup is
    logged and the served registry stays. Does nothing when another thread is checking.
    """
    watch: _Watch | None = app.extensions.get(_WATCH)
    if watch is None or not watch.lock.acquire(blocking=False):
        return False
    try:
        watch.due = time.monotonic() + watch.every
        if not is_database_url(watch.location) and not Path(watch.location).is_file():
            return False
        store = open_store(watch.location)
        try:
            active = store.active()
            if active is not None and active.id != watch.version:
                reload_from_store(app, store)
                watch.version = active.id
                log.info("registry: now serving store version %d", active.id)
                return True
        finally:
            store.close()
    except Exception:  # a store hiccup must not break requests; the old registry stays
        log.exception("registry: could not check the store for a new version")
    finally:
        watch.lock.release()
    return False


def start_watcher(app: Flask) -> threading.Thread | None:
    """Check the store every ``REGISTRY_POLL_SECONDS`` in a daemon thread of this process.

    For servers with long-lived worker processes (gunicorn calls it in each worker):
    a new version is then loaded beside the served one and swapped in, so no request
    ever waits for a reload. Requests stop checking the store themselves. ``None`` when
    polling is off or the registry comes from files.
    """
    watch: _Watch | None = app.extensions.get(_WATCH)
    if watch is None or watch.background:
        return None
    watch.background = True
    stop = watch.stop = threading.Event()  # this thread's own: a stopped one stays stopped

    def run() -> None:
        while not stop.wait(max(0.05, watch.due - time.monotonic())):
            swap_if_changed(app)

    thread = threading.Thread(target=run, name="locator-store-watch", daemon=True)
    thread.start()
    return thread


def watching(app: Flask) -> bool:
    """True while a :func:`start_watcher` thread checks the store for ``app``."""
    watch: _Watch | None = app.extensions.get(_WATCH)
    return watch is not None and watch.background


def stop_watcher(app: Flask) -> None:
    """End the thread of :func:`start_watcher` (within one poll interval); requests check again.

    A process that forks later (tests, tools) must not carry a thread that may hold a lock.
    """
    watch: _Watch | None = app.extensions.get(_WATCH)
    if watch is not None and watch.background:
        watch.stop.set()
        watch.background = False


def current_registry() -> Registry:
    """The registry of the current app."""
    return served(current_app)


def served(app: Flask) -> Registry:
    """The registry ``app`` serves now (outside a request too)."""
    registry: Registry = app.extensions[_KEY]
    return registry


_BY_ID: dict[int, tuple[Registry, dict[str, Station]]] = {}


def stations_by_id(registry: Registry) -> dict[str, Station]:
    """Every station of ``registry`` (located or not) by id, built once per served registry."""
    cached = _BY_ID.get(id(registry))
    if cached is None or cached[0] is not registry:
        _BY_ID.clear()
        cached = _BY_ID[id(registry)] = (registry, {s.id: s for s in registry.stations})
    return cached[1]


def swap(app: Flask, registry: Registry) -> None:
    """Replace the served registry atomically (requests see the old or the new, never a mix)."""
    with _lock:
        app.extensions[_KEY] = registry


def imported_areas(app: Flask | None = None) -> list[StoredAreas]:
    """The subdistrict and community polygons imported for ``app`` (``AREAS_DIR``), if any."""
    app = app or current_app
    found = (areas_for(app.config, app.instance_path, level) for level in AREA_LEVELS)
    return [stored for stored in found if stored is not None]
