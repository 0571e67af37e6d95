"""The analyst's interface: stations, nearest answers and plans as GeoDataFrames.

Needs the ``analysis`` extra (``pip install 'locator[analysis]'``: geopandas, pandas,
pyogrio); the server never imports this module, and importing it loads no geopandas
until a function is called. Every frame is in EPSG:4326 (WGS-84 lon/lat, as everything
inside locator); reproject it for metric work, but distances here are already geodesic
metres. Synthetic (demonstration) stations keep their ``synthetic`` column, and each plan
frame says in ``attrs["synthetic_stations"]`` how many the plan counted.

* :func:`to_geodataframe` — one row per station, the API's feature properties as columns;
* :func:`read_registry` — a registry file read and validated as ``LOCATOR_REGISTRY`` is,
  with its validation report;
* :func:`nearest` — exact geodesic k-nearest for a frame of points or arrays of lon/lat
  (:meth:`locator.stations.nearest.NearestIndex.query_many`, the answers of the API);
* :func:`plan_cells`, :func:`plan_units`, :func:`plan_gaps`, :func:`plan_suggestions` — a
  :class:`locator.planning.plan.Plan`'s grid, unit table, gaps and next sites.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import date
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import shapely
from h3.api import numpy_int as h3n
from numpy.typing import ArrayLike, NDArray
from shapely.geometry import shape

from locator.model import Kind, Station
from locator.planning.exports import SITE_FIELDS, UNIT_FIELDS, export_meta, plan_geojson
from locator.planning.plan import Plan
from locator.registry import Registry, load_registry
from locator.registry.load import LoadReport
from locator.settings import Settings
from locator.stations import freshness, hours
from locator.stations.geojson import station_feature, station_properties
from locator.stations.nearest import NearestIndex
from locator.stations.query import Filters

if TYPE_CHECKING:
    from geopandas import GeoDataFrame, GeoSeries

__all__ = ["CRS", "nearest", "plan_cells", "plan_gaps", "plan_suggestions", "plan_units",
           "read_registry", "to_geodataframe"]

CRS = "EPSG:4326"
_STATION_COLUMNS = tuple(station_properties(Station("", "", Kind.PARTNER, None, None)))
_FRESHNESS_COLUMNS = ("verified_on", "stale")
#: ``VERIFIED_STALE_DAYS`` unless configured: what the API marks ``stale`` by default
STALE_DAYS = int(Settings.defaults()["VERIFIED_STALE_DAYS"])


def _geopandas() -> Any:
    """geopandas, or an ImportError that says how to install it."""
    try:
        import geopandas
    except ImportError as exc:
        raise ImportError("locator.analysis needs geopandas, pandas and pyogrio: "
                          "pip install 'locator[analysis]'") from exc
    return geopandas


def _frame(columns: dict[str, Any], geometry: Sequence[Any] | NDArray[np.object_],
           **attrs: Any) -> GeoDataFrame:
    """A frame in EPSG:4326 from column arrays (in order) and one geometry per row."""
    gpd = _geopandas()
    frame: GeoDataFrame = gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries(geometry, crs=CRS),
                                           crs=CRS)
    frame.attrs.update(attrs)
    return frame


def _records(rows: Sequence[dict[str, Any]], names: Iterable[str]) -> dict[str, list[Any]]:
    """Rows (dicts) as columns, ``names`` in order even when there are no rows."""
    return {c: [r[c] for r in rows] for c in names}


def _current_from(stale_days: int | None) -> date | None:
    """The first day a verification counts as current today (Lanzhou), as the API computes."""
    return None if stale_days is None else freshness.cutoff(hours.now().date(), stale_days)


def _stations_frame(stations: Sequence[Station], current_from: date | None) -> GeoDataFrame:
    """The stations' properties as the API writes them (with ``verified_on`` and ``stale``
    when ``current_from`` is given) and their points (None where the location is unknown),
    one row each."""
    located = np.fromiter((s.located for s in stations), dtype=bool, count=len(stations))
    where = [s for s, ok in zip(stations, located.tolist(), strict=True) if ok]
    geometry = np.full(len(stations), None, dtype=object)
    geometry[located] = shapely.points(np.array([s.lon for s in where], dtype=np.float64),
                                       np.array([s.lat for s in where], dtype=np.float64))
    columns = _STATION_COLUMNS + (_FRESHNESS_COLUMNS if current_from is not None else ())
    rows = [station_feature(s, current_from=current_from)["properties"] for s in stations]
    return _frame(_records(rows, columns), geometry)


def to_geodataframe(stations: Registry | Iterable[Station], *,
                    stale_days: int | None = STALE_DAYS) -> GeoDataFrame:
    """One row per station: the API's feature properties as columns, and its point.

    Parameters
    ----------
    stations : Registry or iterable of Station
        A registry (e.g. from :func:`locator.registry.load_registry`) or stations.
    stale_days : int or None
        ``VERIFIED_STALE_DAYS``: adds ``verified_on`` and ``stale`` (never verified, or
        longer ago than this, counted from today in Lanzhou) as the API does; ``None``
        leaves them out (the registry file's columns only).

    Returns
    -------
    GeoDataFrame
        EPSG:4326; columns ``id``, ``name``, ``kind`` … ``synthetic``, ``note`` as in
        ``GET /api/v1/stations`` (values as the API writes them: ``amenities`` a list,
        ``verified`` an ISO date); ``geometry`` is empty (None) where the location is
        unknown.
    """
    return _stations_frame(stations.stations if isinstance(stations, Registry)
                           else tuple(stations), _current_from(stale_days))


def read_registry(path: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]
                  ) -> tuple[GeoDataFrame, LoadReport]:
    """Read registry files as the app does for ``LOCATOR_REGISTRY``: stations and report.

    Parameters
    ----------
    path : path or iterable of paths
        ``.geojson``, ``.csv``, ``.xlsx`` or ``.gpkg`` files in the registry schema.

    Returns
    -------
    stations : GeoDataFrame
        The accepted stations, as :func:`to_geodataframe` gives them.
    report : LoadReport
        Every rejected row with its file, row, column, value and reason
        (``report.to_dict()`` is ``GET /api/v1/registry/report``).
    """
    paths = [path] if isinstance(path, str | os.PathLike) else list(path)
    registry = load_registry([Path(p) for p in paths])
    return to_geodataframe(registry), registry.report


@overload
def nearest(points: GeoDataFrame | GeoSeries, registry: Registry, *, k: int = 1,
            max_distance: float | None = None, filters: Filters | None = None,
            stale_days: int | None = STALE_DAYS) -> GeoDataFrame: ...


@overload
def nearest(points: tuple[ArrayLike, ArrayLike], registry: Registry, *, k: int = 1,
            max_distance: float | None = None, filters: Filters | None = None,
            stale_days: int | None = STALE_DAYS) -> GeoDataFrame: ...


def nearest(points: GeoDataFrame | GeoSeries | tuple[ArrayLike, ArrayLike],
            registry: Registry, *, k: int = 1, max_distance: float | None = None,
            filters: Filters | None = None, stale_days: int | None = STALE_DAYS
            ) -> GeoDataFrame:
    """The ``k`` stations nearest to each point: exact geodesic ranking, as the API ranks.

    Parameters
    ----------
    points : GeoDataFrame, GeoSeries or (lon, lat)
        Point geometries in any CRS (reprojected to EPSG:4326 here; a frame without a CRS
        is refused), or two arrays of WGS-84 longitudes and latitudes.
    registry : Registry
        The stations to search.
    k : int
        How many stations per point.
    max_distance : float, optional
        Only stations within this many geodesic metres.
    filters : Filters, optional
        Kinds, amenities, open at a time, 24 h only (as the API's parameters).
    stale_days : int or None
        As for :func:`to_geodataframe`: ``verified_on`` and ``stale`` as the API gives them.

    Returns
    -------
    GeoDataFrame
        One row per point and rank, nearest first: ``point`` (the frame's index label, or
        the position in the arrays), ``rank`` (1…k), ``distance_m`` (geodesic),
        ``walk_min``, ``ebike_min``, ``crosses_river``, then the station's columns as in
        :func:`to_geodataframe`; ``geometry`` is the station. A point with fewer matching
        stations has fewer rows (none when nothing matches).

    Raises
    ------
    ValueError
        For a frame without a CRS, a geometry that is not a point or is empty, arrays of
        different sizes, or coordinates that are not WGS-84 degrees.
    """
    if isinstance(points, tuple):
        lon = np.asarray(points[0], dtype=np.float64).ravel()
        lat = np.asarray(points[1], dtype=np.float64).ravel()
        labels: Any = np.arange(lon.size)
    else:
        lon, lat, labels = _lon_lat(points)
    index = registry.index
    at, metres = index.query_many(lon, lat, k=k, max_distance=max_distance, filters=filters)
    point, rank = np.nonzero(at >= 0)
    # each station found is described once, then repeated for every row that found it
    found, row_of = np.unique(at[point, rank], return_inverse=True)
    frame = _stations_frame([index.stations[i] for i in found.tolist()],
                            _current_from(stale_days)).take(row_of)
    frame = frame.reset_index(drop=True)
    d = metres[point, rank]
    hits = {"point": labels[point], "rank": rank + 1, "distance_m": d,
            "walk_min": d * index.travel.walk_minutes(1.0),
            "ebike_min": d * index.travel.ebike_minutes(1.0),
            "crosses_river": _crossings(index, lon, lat, point, at[point, rank])}
    for position, (name, values) in enumerate(hits.items()):
        frame.insert(position, name, values)
    return frame


def _crossings(index: NearestIndex, lon: NDArray[np.float64], lat: NDArray[np.float64],
               point: NDArray[np.intp], station: NDArray[np.intp]) -> NDArray[np.bool_]:
    """Whether each row's straight line crosses the river the travel model knows (as the
    API's ``crosses_river``)."""
    out = np.zeros(point.size, dtype=bool)
    river = index.travel.river
    if river is None:
        return out
    for p in np.unique(point).tolist():
        rows = np.flatnonzero(point == p)
        out[rows] = river.crosses(float(lon[p]), float(lat[p]), index.lon[station[rows]],
                                  index.lat[station[rows]])
    return out


def _lon_lat(points: GeoDataFrame | GeoSeries) -> tuple[Any, Any, Any]:
    """WGS-84 coordinates and index labels of a frame's or series' point geometries."""
    if points.crs is None:
        raise ValueError("the points have no CRS; set it (e.g. points.set_crs('EPSG:4326'))")
    geometry = points.geometry.to_crs(CRS)
    kinds = geometry.geom_type.to_numpy()
    bad = np.flatnonzero(kinds != "Point")
    if bad.size:
        raise ValueError(f"every geometry must be a point; row {points.index[bad[0]]!r} is "
                         f"{kinds[bad[0]]!r}")
    lon, lat = geometry.x.to_numpy(), geometry.y.to_numpy()
    empty = np.flatnonzero(~(np.isfinite(lon) & np.isfinite(lat)))
    if empty.size:
        raise ValueError(f"row {points.index[empty[0]]!r} has an empty point")
    return lon, lat, points.index


def plan_cells(plan: Plan) -> GeoDataFrame:
    """The plan's grid: one H3 hexagon per row with its distance to the nearest station.

    Columns: ``cell`` (H3 id in hex), ``area_m2``, ``distance_m`` (geodesic, to the
    nearest counted station; ``inf`` when none), ``covered`` (within the target).
    """
    cov = plan.coverage
    cells = cov.grid.cells
    return _frame({"cell": np.char.mod("%x", cells), "area_m2": cov.grid.area_m2,
                   "distance_m": cov.distance_m, "covered": cov.covered},
                  _hexagons(cells), **_plan_attrs(plan))


def _hexagons(cells: NDArray[np.uint64]) -> NDArray[np.object_]:
    """The cells' polygons (lon/lat), made in one vectorised call per vertex count: H3
    cells are hexagons but for 12 pentagons and cells cut by an icosahedron edge.
    The whole city at resolution 9 (142,370 cells) took 1.6-3.0 s here, against 6.2-7.8 s
    making one ``Polygon`` per cell (three runs each, on a shared 2-core machine)."""
    rings = [h3n.cell_to_boundary(c) for c in cells]
    sizes = np.fromiter(map(len, rings), dtype=np.intp, count=len(rings))
    out = np.empty(len(rings), dtype=object)
    for n in np.unique(sizes).tolist():
        at = np.flatnonzero(sizes == n)
        latlng = np.fromiter(chain.from_iterable(chain.from_iterable(rings[i] for i in at)),
                             dtype=np.float64, count=at.size * n * 2).reshape(-1, n, 2)
        out[at] = shapely.polygons(np.ascontiguousarray(latlng[:, :, ::-1]))
    return out


def plan_units(plan: Plan) -> GeoDataFrame:
    """The plan's unit table (the planner page's and ``locator coverage``'s rows) with each
    unit's polygon; the last row is the whole area. Cells outside every unit, if any,
    have a row of level ``outside`` with no geometry."""
    shapes = {(u.code, u.level): u.geometry for u in (*plan.boundaries.units,
                                                       plan.boundaries.area)}
    rows = [r.as_dict() for r in plan.rows]
    return _frame(_records(rows, UNIT_FIELDS),
                  [shapes.get((r["code"], r["level"])) for r in rows], **_plan_attrs(plan))


def plan_gaps(plan: Plan) -> GeoDataFrame:
    """The uncovered areas, largest first: the ``gap`` features of ``plan.geojson``
    (``rank``, ``area_m2``, ``cells``, ``worst_m`` — the farthest cell's distance —,
    ``people`` with a people basis) and their polygons."""
    return _layer(plan, "gap")


def plan_suggestions(plan: Plan) -> GeoDataFrame:
    """Suggested next sites in order: the ``site`` features of ``plan.geojson`` (``rank``,
    ``id``, ``name``, the district/subdistrict/community it lies in, the nearest named place,
    ``gain`` and ``gain_of``, ``covered_share`` after it) and their points."""
    return _layer(plan, "site")


_LAYER_COLUMNS = {"gap": ("rank", "area_m2", "cells", "worst_m", "people"),
                  "site": tuple(f for f in SITE_FIELDS if f not in ("lon", "lat"))}


def _layer(plan: Plan, layer: str) -> GeoDataFrame:
    """One layer of :func:`~locator.planning.exports.plan_geojson` as a frame, so the frame
    and the download cannot differ (its columns also when it has no rows)."""
    features = [f for f in plan_geojson(plan)["features"]
                if f["properties"]["layer"] == layer]
    rows = [{k: v for k, v in f["properties"].items() if k != "layer"} for f in features]
    return _frame(_records(rows, _LAYER_COLUMNS[layer]),
                  [shape(f["geometry"]) for f in features], **_plan_attrs(plan))


def _plan_attrs(plan: Plan) -> dict[str, Any]:
    """What every plan frame carries in ``attrs``: the exports' own record of the plan."""
    return export_meta(plan)
