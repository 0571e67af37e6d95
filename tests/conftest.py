"""Shared fixtures: tiny hand-made registries and app/client factories."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from locator import create_app

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "lanzhou"

# A few stations around Dongfanghong Square (东方红广场), WGS-84.
TINY: list[dict[str, Any]] = [
    {"id": "a", "name": "甲站", "kind": "smart_station", "lon": 103.8400, "lat": 36.0530,
     "opening_hours": "24/7", "amenities": ["water", "toilet"], "entry": "qr_code"},
    {"id": "b", "name": "乙站", "kind": "box_station", "lon": 103.8500, "lat": 36.0530,
     "opening_hours": "Mo-Fr 09:00-17:00", "amenities": ["water"]},
    {"id": "c", "name": "丙站", "kind": "gig_market", "lon": 103.8400, "lat": 36.0630,
     "opening_hours": "Mo-Su 18:00-06:00", "amenities": ["ebike_charging", "water"]},
    {"id": "d", "name": "丁站", "kind": "drivers_home", "lon": 103.7000, "lat": 36.1000},
    {"id": "e", "name": "戊站 (location unknown)", "kind": "labor_park", "lon": None, "lat": None},
]


def feature_collection(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """GeoJSON for registry rows given with flat lon/lat."""
    features = []
    for row in rows:
        props = {k: v for k, v in row.items() if k not in ("lon", "lat")}
        geom = (None if row.get("lon") is None
                else {"type": "Point", "coordinates": [row["lon"], row["lat"]]})
        features.append({"type": "Feature", "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "features": features}


@pytest.fixture
def write_registry(tmp_path: Path) -> Callable[[list[dict[str, Any]]], Path]:
    """Write rows as a GeoJSON registry file and return its path."""
    counter = iter(range(1_000_000))

    def write(rows: list[dict[str, Any]]) -> Path:
        path = tmp_path / f"registry-{next(counter)}.geojson"
        path.write_text(json.dumps(feature_collection(rows), ensure_ascii=False),
                        encoding="utf-8")
        return path

    return write


@pytest.fixture
def tiny_path(write_registry: Callable[[list[dict[str, Any]]], Path]) -> Path:
    """The TINY registry on disk."""
    return write_registry(TINY)


@pytest.fixture
def app(tiny_path: Path) -> Iterator[Flask]:
    """An app serving the TINY registry."""
    yield create_app({"TESTING": True, "REGISTRY": str(tiny_path)})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of :func:`app`."""
    return app.test_client()


@pytest.fixture(scope="session")
def shipped_app() -> Flask:
    """An app serving the shipped Lanzhou data, as ``make run`` does."""
    return create_app({"TESTING": True})


@pytest.fixture
def shared() -> Path:
    """The scouted data folder beside the repo; skips when a user's clone lacks it."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (only the project's own machines have it)")
    return SHARED
