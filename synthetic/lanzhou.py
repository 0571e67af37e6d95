"""A seeded generator of a DEMONSTRATION station registry for Lanzhou.

No public registry of Lanzhou's worker stations with coordinates exists; the real
one comes from the union. Until it is imported, the app can run on a synthetic
registry of about 300 stations (Lanzhou had 292 at the end of 2023). Every record
is marked ``synthetic=True``, its name starts with 演示 ("demo") and its source
names this module and the seed: these are invented points, never real ones.

Points are placed where people live: Gaussian clusters around cited anchor
points from ``geodata/lanzhou/places.csv`` (GeoNames district/county seats and
Wikipedia landmarks). Clusters in the four urban districts along the Yellow
River (城关, 七里河, 西固, 安宁) are elongated along the valley and carry most of
the weight; the county/district seats of 红古, 永登, 皋兰 and 榆中 get small round
clusters. A point is kept only within 2.5 σ of its anchor and inside its
anchor's district polygon (``geodata/lanzhou/boundaries.geojson``), so it
carries the right ``district_code``.

Everything is vectorised with numpy: ``generate(200_000)`` takes a few seconds.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from locator import resources
from locator.geo.datum import Datum
from locator.model import Amenity, Entry, Kind, Station

__all__ = [
    "DEFAULT_BOUNDARIES",
    "DEFAULT_PLACES",
    "Anchor",
    "generate",
    "load_anchors",
    "load_districts",
    "offset_degrees",
    "sample_points",
]

DEFAULT_BOUNDARIES = resources.lanzhou("boundaries.geojson")
DEFAULT_PLACES = resources.lanzhou("places.csv")

# Share of the demo stations per district (sums to 1): the urban valley gets 72 %.
DISTRICT_WEIGHTS: dict[str, float] = {
    "620102": 0.32, "620103": 0.16, "620104": 0.12, "620105": 0.12,
    "620111": 0.06, "620121": 0.08, "620122": 0.05, "620123": 0.09,
}
URBAN = frozenset({"620102", "620103", "620104", "620105"})
VALLEY_SIGMA_M = (2500.0, 600.0)  # along, across the Yellow River valley
VALLEY_AXIS_DEG = -15.0  # the valley runs WNW-ESE through the city (degrees from east)
SEAT_SIGMA_M = 700.0  # round clusters around county/district seats
MAX_SIGMAS = 2.5  # a point farther than this (Mahalanobis) from its anchor is redrawn
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQ = 111_320.0


def offset_degrees(lon0: NDArray[np.float64], lat0: NDArray[np.float64],
                   east_m: NDArray[np.float64], north_m: NDArray[np.float64]
                   ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Points ``east_m``/``north_m`` metres from (lon0, lat0): a local flat-earth step, good
    for the kilometres a synthetic station is scattered by (not for distances we report)."""
    return (lon0 + east_m / (_M_PER_DEG_LON_EQ * np.cos(np.radians(lat0))),
            lat0 + north_m / _M_PER_DEG_LAT)

_KINDS = list(Kind)
_KIND_P = {Kind.SMART_STATION: 0.30, Kind.BOX_STATION: 0.42, Kind.GIG_MARKET: 0.05,
           Kind.LABOR_PARK: 0.03, Kind.DRIVERS_HOME: 0.05, Kind.SERVICE_COMPLEX: 0.04,
           Kind.TRAINING_BASE: 0.02, Kind.PARTNER: 0.09}
_KIND_ZH = {Kind.SMART_STATION: "智能驿站", Kind.BOX_STATION: "驿站",
            Kind.GIG_MARKET: "零工市场", Kind.LABOR_PARK: "劳动公园",
            Kind.DRIVERS_HOME: "司机之家", Kind.SERVICE_COMPLEX: "服务综合体",
            Kind.TRAINING_BASE: "培育阵地", Kind.PARTNER: "合作站点"}

_AMENITIES = list(Amenity)
# Probability of each amenity (in Amenity order) by kind.
_AMENITY_P: dict[Kind, tuple[float, ...]] = {
    #                   wat  heat cool micr phone ebike toil seat aid  wifi nurs lock legal
    Kind.SMART_STATION: (.98, .90, .85, .80, .95, .40, .30, .95, .70, .80, .20, .30, .10),
    Kind.BOX_STATION: (.95, .80, .70, .60, .90, .30, .20, .90, .60, .50, .10, .20, .05),
    Kind.GIG_MARKET: (.90, .60, .50, .50, .70, .10, .80, .90, .40, .60, .20, .50, .60),
    Kind.LABOR_PARK: (.80, .10, .10, .10, .50, .10, .90, .90, .50, .30, .10, .10, .10),
    Kind.DRIVERS_HOME: (.95, .80, .70, .80, .90, .20, .95, .90, .60, .80, .10, .50, .30),
    Kind.SERVICE_COMPLEX: (.95, .90, .90, .80, .90, .40, .95, .95, .80, .90, .60, .60, .80),
    Kind.TRAINING_BASE: (.90, .80, .80, .50, .80, .20, .90, .90, .60, .80, .30, .40, .40),
    Kind.PARTNER: (.90, .70, .70, .40, .80, .20, .50, .80, .30, .60, .05, .10, .02),
}
# Opening hours (OSM syntax; None = unknown) and their probabilities by kind.
_HOURS: dict[Kind, tuple[tuple[str | None, float], ...]] = {
    Kind.SMART_STATION: (("24/7", .90), ("Mo-Su 07:00-22:00", .05), (None, .05)),
    Kind.BOX_STATION: (("Mo-Su 08:00-20:00", .35), ("Mo-Su 07:00-21:00", .25), ("24/7", .15),
                       ("Mo-Fr 09:00-17:30", .10), ("Mo-Su 18:00-06:00", .05), (None, .10)),
    Kind.GIG_MARKET: (("Mo-Su 06:00-18:00", .50), ("Mo-Sa 07:00-17:00", .40), (None, .10)),
    Kind.LABOR_PARK: (("Mo-Su 06:00-22:00", .80), ("24/7", .10), (None, .10)),
    Kind.DRIVERS_HOME: (("24/7", .70), ("Mo-Su 06:00-24:00", .20), (None, .10)),
    Kind.SERVICE_COMPLEX: (("Mo-Fr 09:00-17:30", .50), ("Mo-Su 09:00-21:00", .40),
                           (None, .10)),
    Kind.TRAINING_BASE: (("Mo-Fr 09:00-17:30", .80), ("Mo-Fr 08:30-12:00,14:30-18:00", .10),
                         (None, .10)),
    Kind.PARTNER: (("Mo-Su 09:00-21:00", .40), ("Mo-Fr 09:00-17:00", .30), ("24/7", .10),
                   ("Mo-Su 18:00-06:00", .05), (None, .15)),
}
# Entry method probabilities by kind, in the order open, QR code, registration, unknown.
_ENTRIES: tuple[Entry | None, ...] = (Entry.OPEN, Entry.QR_CODE, Entry.REGISTRATION, None)
_ENTRY_P: dict[Kind, tuple[float, float, float, float]] = {
    Kind.SMART_STATION: (.10, .85, .00, .05), Kind.BOX_STATION: (.80, .10, .00, .10),
    Kind.GIG_MARKET: (.60, .00, .30, .10), Kind.LABOR_PARK: (.95, .00, .00, .05),
    Kind.DRIVERS_HOME: (.50, .20, .25, .05), Kind.SERVICE_COMPLEX: (.50, .10, .35, .05),
    Kind.TRAINING_BASE: (.20, .00, .75, .05), Kind.PARTNER: (.90, .00, .00, .10),
}
_PRECISIONS = np.array([10.0, 25.0, 50.0, 100.0])
_PRECISION_P = np.array([0.3, 0.4, 0.2, 0.1])
_ANCHOR_WEIGHT = {"city_centre": 2.0, "district_seat": 2.0}  # other places weigh 1
NOTE = "演示数据 synthetic demonstration record: not a real station"


@dataclass(frozen=True, slots=True)
class Anchor:
    """A cited point that demo stations cluster around.

    ``sigma_along_m``/``sigma_across_m`` are the cluster's standard deviations
    along and across ``axis_deg`` (degrees counter-clockwise from east).
    """

    name: str
    lon: float
    lat: float
    district_code: str
    weight: float
    sigma_along_m: float
    sigma_across_m: float
    axis_deg: float


@lru_cache(maxsize=8)
def _districts(path: str) -> dict[str, tuple[str, BaseGeometry]]:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    out: dict[str, tuple[str, BaseGeometry]] = {}
    for feat in raw["features"]:
        props = feat["properties"]
        if props.get("level") == "district":
            geom = shape(feat["geometry"])
            shapely.prepare(geom)
            out[str(props["code"])] = (str(props["name_zh"]), geom)
    return out


def load_districts(
    boundaries: Path | str = DEFAULT_BOUNDARIES,
) -> dict[str, tuple[str, BaseGeometry]]:
    """District code → (Chinese name, prepared polygon) from a boundaries GeoJSON."""
    return dict(_districts(str(Path(boundaries).resolve())))


def load_anchors(places: Path | str = DEFAULT_PLACES) -> list[Anchor]:
    """Anchors from ``places.csv``: each place weighted within its district's share.

    Places of a district split :data:`DISTRICT_WEIGHTS` in proportion to their own
    weight (seats and the city centre count double). Urban anchors get elongated
    valley clusters, others round ones.
    """
    with Path(places).open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["district_code"] in DISTRICT_WEIGHTS]
    own = [_ANCHOR_WEIGHT.get(r["kind"], 1.0) for r in rows]
    totals: dict[str, float] = {}
    for r, w in zip(rows, own, strict=True):
        totals[r["district_code"]] = totals.get(r["district_code"], 0.0) + w
    anchors = []
    for r, w in zip(rows, own, strict=True):
        code = r["district_code"]
        urban = code in URBAN
        along, across = VALLEY_SIGMA_M if urban else (SEAT_SIGMA_M, SEAT_SIGMA_M)
        anchors.append(Anchor(r["name_en"], float(r["lon"]), float(r["lat"]), code,
                              DISTRICT_WEIGHTS[code] * w / totals[code], along, across,
                              VALLEY_AXIS_DEG if urban else 0.0))
    missing = sorted(set(DISTRICT_WEIGHTS) - set(totals))
    if missing:
        raise ValueError(f"{places}: no anchor place in districts {missing}")
    return anchors


def sample_points(
    n: int,
    *,
    seed: int = 2023,
    boundaries: Path | str = DEFAULT_BOUNDARIES,
    places: Path | str = DEFAULT_PLACES,
    rng: np.random.Generator | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.str_], NDArray[np.intp]]:
    """Draw ``n`` demo locations (WGS-84) around the anchors.

    Parameters
    ----------
    n : int
        Number of points (>= 0).
    seed : int
        Seed of a fresh ``numpy.random.default_rng`` (ignored when ``rng`` is given).
    boundaries, places : path
        The district polygons and the anchor places.
    rng : numpy.random.Generator, optional
        A generator to draw from (lets :func:`generate` continue the same stream).

    Returns
    -------
    lon, lat : ndarray of float64
        Degrees, each inside its anchor's district and within 2.5 σ of it.
    district_code : ndarray of str
        The 6-digit code of the district containing each point.
    anchor : ndarray of intp
        Index into :func:`load_anchors` of each point's anchor.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n!r}")
    rng = rng if rng is not None else np.random.default_rng(seed)
    anchors = load_anchors(places)
    districts = load_districts(boundaries)
    w = np.array([a.weight for a in anchors])
    a_lon = np.array([a.lon for a in anchors])
    a_lat = np.array([a.lat for a in anchors])
    s_along = np.array([a.sigma_along_m for a in anchors])
    s_across = np.array([a.sigma_across_m for a in anchors])
    axis = np.radians([a.axis_deg for a in anchors])
    codes = np.array([a.district_code for a in anchors])
    anchor = rng.choice(len(anchors), size=n, p=w / w.sum())
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    todo = np.arange(n)
    for _ in range(100):
        if todo.size == 0:
            break
        k = anchor[todo]
        z = rng.standard_normal((todo.size, 2))
        keep = np.hypot(z[:, 0], z[:, 1]) <= MAX_SIGMAS
        u, v = z[:, 0] * s_along[k], z[:, 1] * s_across[k]  # metres along/across the axis
        east = u * np.cos(axis[k]) - v * np.sin(axis[k])
        north = u * np.sin(axis[k]) + v * np.cos(axis[k])
        x, y = offset_degrees(a_lon[k], a_lat[k], east, north)
        for code in np.unique(codes[k]):
            sel = codes[k] == code
            keep[sel] &= shapely.contains_xy(districts[str(code)][1], x[sel], y[sel])
        lon[todo[keep]], lat[todo[keep]] = x[keep], y[keep]
        todo = todo[~keep]
    if todo.size:  # pragma: no cover - an anchor outside its own district
        raise RuntimeError(f"could not place {todo.size} points inside their districts")
    return lon, lat, codes[anchor], anchor


def _categorical(rng: np.random.Generator, kinds: NDArray[np.intp],
                 table: Sequence[Sequence[float]]) -> NDArray[np.intp]:
    """For each row, draw an option index with the probabilities of its kind."""
    out = np.zeros(kinds.size, dtype=np.intp)
    for k, probs in enumerate(table):
        sel = np.flatnonzero(kinds == k)
        p = np.asarray(probs, dtype=np.float64)
        out[sel] = rng.choice(p.size, size=sel.size, p=p / p.sum())
    return out


class Traits(NamedTuple):
    """What a synthetic station is, apart from where: drawn by :func:`draw_traits`."""

    kind: Kind
    amenities: frozenset[Amenity]
    opening_hours: str
    entry: Entry | None
    precision_m: float


def draw_traits(rng: np.random.Generator, n: int) -> list[Traits]:
    """Kinds, amenities, hours, entry and precision for ``n`` stations, in that draw order.

    Plausible by kind (the tables above); shared by the Lanzhou demo and the national
    benchmark registry, so both describe stations alike.
    """
    kind_i = rng.choice(len(_KINDS), size=n, p=np.array([_KIND_P[k] for k in _KINDS]))
    p_amen = np.array([_AMENITY_P[k] for k in _KINDS])
    has = rng.random((n, len(_AMENITIES))) < p_amen[kind_i]
    bits = has.astype(np.int64) @ (1 << np.arange(len(_AMENITIES), dtype=np.int64))
    hours_i = _categorical(rng, kind_i, [[p for _, p in _HOURS[k]] for k in _KINDS])
    entry_i = _categorical(rng, kind_i, [_ENTRY_P[k] for k in _KINDS])
    precision = rng.choice(_PRECISIONS, size=n, p=_PRECISION_P)
    amen_sets: dict[int, frozenset[Amenity]] = {}  # one shared set per combination
    out = []
    for ki, b, hi, ei, prec in zip(kind_i.tolist(), bits.tolist(), hours_i.tolist(),
                                   entry_i.tolist(), precision.tolist(), strict=True):
        kind = _KINDS[ki]
        amen = amen_sets.get(b)
        if amen is None:
            amen = amen_sets[b] = frozenset(a for j, a in enumerate(_AMENITIES) if b >> j & 1)
        out.append(Traits(kind, amen, _HOURS[kind][hi][0], _ENTRIES[ei], prec))
    return out


def generate(
    n: int = 300,
    *,
    seed: int = 2023,
    boundaries: Path | str = DEFAULT_BOUNDARIES,
    places: Path | str = DEFAULT_PLACES,
) -> list[Station]:
    """A demonstration registry of ``n`` synthetic stations (deterministic per seed).

    Parameters
    ----------
    n : int
        How many stations; 300 is about Lanzhou's real count (292 at end 2023).
        Large ``n`` (e.g. 200,000 for benchmarks) is vectorised and fast.
    seed : int
        The same seed always gives the same registry.
    boundaries, places : path
        ``boundaries.geojson`` and ``places.csv`` (the shipped ones by default).

    Returns
    -------
    list of Station
        Ids ``demo-0001``…, names like ``演示驿站 001 · 城关区``,
        ``synthetic=True`` and ``source="synthetic: synthetic.lanzhou seed=…"``.
    """
    rng = np.random.default_rng(seed)
    lon, lat, dcode, _ = sample_points(n, boundaries=boundaries, places=places, rng=rng)
    traits = draw_traits(rng, n)
    names = {c: zh for c, (zh, _) in load_districts(boundaries).items()}
    width = max(4, len(str(n)))
    source = f"synthetic: synthetic.lanzhou seed={seed}"
    return [Station(
        id=f"demo-{i:0{width}d}", name=f"演示{_KIND_ZH[t.kind]} {i:0{width - 1}d} · {names[code]}",
        kind=t.kind, lon=round(x, 6), lat=round(y, 6), amenities=t.amenities,
        opening_hours=t.opening_hours, entry=t.entry, address="", district_code=code,
        source=source, datum=Datum.WGS84, precision_m=t.precision_m, synthetic=True, note=NOTE)
        for i, (x, y, code, t) in enumerate(zip(lon.tolist(), lat.tolist(), dcode.tolist(),
                                                traits, strict=True), start=1)]
