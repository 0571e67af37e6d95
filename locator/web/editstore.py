"""What the editing pages and the editing API share: the store they write, the station as
served, saving one edit and serving the new version at once."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _

from locator.errors import EditConflict, NotFound
from locator.model import Station
from locator.registry import editing, importer
from locator.registry.editing import Action
from locator.registry.store import Store, open_store
from locator.web import auth, health, service
from locator.web.config import settings

__all__ = ["find_station", "open_edit_store", "refuse_fixed_files", "save_and_serve",
           "service_area", "stored_station"]


def open_edit_store() -> Store:
    """The configured store (refusing edits while fixed ``REGISTRY`` files are served).

    Raises
    ------
    EditConflict
        When ``REGISTRY`` is set: what is served is not the store, so edits would vanish.
    """
    refuse_fixed_files()
    return open_store(importer.store_location(current_app.config, current_app.instance_path))


def refuse_fixed_files() -> None:
    """Refuse edits while fixed ``REGISTRY`` files are served (an edit would vanish)."""
    if settings().registry:
        raise EditConflict(_("Editing is off: this server serves fixed registry files "
                             "(LOCATOR_REGISTRY), not the store."))


def find_station(station_id: str) -> Station:
    """The station as served: what the editor sees and edits.

    No store read: this process serves every save of its own at once, and another
    process's within ``REGISTRY_POLL_SECONDS``; a save checks the editor's ETag against
    the store itself, so an edit based on an older state is refused (409/412), not lost.

    Raises
    ------
    EditConflict
        When ``REGISTRY`` is set (see :func:`open_edit_store`).
    NotFound
        When no station has that id.
    """
    refuse_fixed_files()
    found = service.stations_by_id(service.current_registry()).get(station_id)
    if found is None:
        raise NotFound(_("No station with id %(id)s.", id=repr(station_id)))
    return found


def stored_station(station_id: str) -> Station | None:
    """The station as the store holds it now (``None``: retired or unknown) — for showing
    what a refused edit collided with, where the newest state matters more than speed."""
    store = open_edit_store()
    try:
        active = store.active()
        stations = (store.stations(active.id) if active
                    else list(service.current_registry().stations))
    finally:
        store.close()
    return next((s for s in stations if s.id == station_id), None)


def save_and_serve(action: Action, station_id: str, new: Station | None, etag: str | None,
                   *, verified_on: date | None = None,
                   report: int | None = None) -> editing.Saved:
    """Check the store is writable, save one edit, then serve the new version (``report``:
    the worker's report the edit answers, named in its audit record)."""
    health.ensure_writable()
    store = open_edit_store()
    try:
        registry = service.current_registry()
        version = service.registry_version(registry)
        saved = editing.save(store, action, station_id, new, etag,
                             user=auth.current_account().name, base=lambda: registry.stations,
                             verified_on=verified_on, report=report,
                             served=None if version is None else (version, registry.stations))
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        service.serve_written(app, saved.version, saved.stations)
        health.note_write(app, saved.version.id, store.warnings)  # stored, whatever followed
    finally:
        store.close()
    return saved


def service_area() -> Any:
    """The service area stations must lie in (``REGISTRY_BOUNDARY``)."""
    return importer.boundary_from_setting(settings().registry_boundary)
