"""Geometry read from a file: a GeoJSON geometry mapping → a valid shapely geometry, or a
:class:`~locator.files.problems.RowError` saying exactly what is wrong with it."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from locator.files.problems import RowError

__all__ = ["InvalidGeometry", "check_geometry"]


def _rings(geom: Mapping[str, Any]) -> list[Any]:
    coords = geom.get("coordinates")
    if geom.get("type") == "Polygon" and isinstance(coords, list):
        return list(coords)
    if geom.get("type") == "MultiPolygon" and isinstance(coords, list):
        return [ring for poly in coords if isinstance(poly, list) for ring in poly]
    return []


def check_geometry(geom: Any, *, allowed: Sequence[str]) -> BaseGeometry:
    """A GeoJSON geometry mapping → a valid shapely geometry of an allowed type.

    Raises
    ------
    RowError
        Column ``geometry``: malformed, unclosed ring, non-finite, invalid (with
        GEOS's reason, e.g. self-intersection), mixed, or not an allowed type.
    """
    if not isinstance(geom, dict) or not isinstance(geom.get("type"), str):
        raise RowError("geometry", geom, "is not a GeoJSON geometry object")
    kind = geom["type"]
    if kind == "GeometryCollection":
        raise RowError("geometry", kind, "mixed geometry (GeometryCollection) is not accepted")
    for ring in _rings(geom):
        if isinstance(ring, list) and len(ring) >= 2 and ring[0] != ring[-1]:
            raise RowError("geometry", kind, f"unclosed ring: first point {ring[0]} ≠ last "
                                             f"point {ring[-1]}")
    if not _finite(geom.get("coordinates")):  # before shapely, which warns on NaN rings
        raise RowError("geometry", kind, "non-finite coordinate (NaN or Infinity)")
    try:
        result = shape(geom)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError,
            shapely.errors.GEOSException) as exc:
        raise RowError("geometry", kind, f"malformed {kind}: {exc}") from None
    if result.is_empty:
        raise RowError("geometry", kind, "empty geometry")
    if not result.is_valid:
        raise InvalidGeometry(kind, result)
    if kind not in allowed:
        raise RowError("geometry", kind, f"must be {' or '.join(allowed)}, got {kind}")
    return result


class InvalidGeometry(RowError):
    """A geometry GEOS calls invalid (self-intersection…); ``shape`` is it, for a repair."""

    def __init__(self, kind: str, shape: BaseGeometry) -> None:
        super().__init__("geometry", kind, f"invalid geometry: {explain_validity(shape)}")
        self.shape = shape


def _finite(coords: Any) -> bool:
    """False when a number anywhere in nested coordinate lists is NaN or infinite."""
    if isinstance(coords, float):
        return math.isfinite(coords)
    if isinstance(coords, list):
        return all(_finite(c) for c in coords)
    return True
