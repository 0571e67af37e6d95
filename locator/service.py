"""The registry the app serves: loaded once at start-up, swapped whole, never re-read."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from flask import Flask, current_app

from locator.errors import ConfigError
from locator.registry import Registry, load_registry
from locator.travel import TravelModel

__all__ = ["DEFAULT_REGISTRY", "current_registry", "init_app", "registry_paths", "swap"]

log = logging.getLogger(__name__)

GEODATA = Path(__file__).resolve().parent.parent / "geodata" / "lanzhou"
DEFAULT_REGISTRY = (GEODATA / "stations_documented.geojson", GEODATA / "stations_demo.geojson")
_KEY = "locator"
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
    travel = TravelModel(detour_factor=float(app.config["DETOUR_FACTOR"]),
                         walk_kmh=float(app.config["WALK_KMH"]),
                         ebike_kmh=float(app.config["EBIKE_KMH"]))
    registry = load_registry(registry_paths(app.config["REGISTRY"]), travel=travel)
    report = registry.report
    log.info("registry: %d of %d rows served from %s; %d problems", report.accepted,
             report.rows, ", ".join(report.files), len(report.problems))
    app.extensions[_KEY] = registry


def current_registry() -> Registry:
    """The registry of the current app."""
    registry: Registry = current_app.extensions[_KEY]
    return registry


def swap(app: Flask, registry: Registry) -> None:
    """Replace the served registry atomically (requests see the old or the new, never a mix)."""
    with _lock:
        app.extensions[_KEY] = registry
