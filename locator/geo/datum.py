"""WGS-84 ⇄ GCJ-02 ⇄ BD-09: the only module that knows the Chinese map datums.

Everything inside locator is WGS-84 longitude/latitude. GCJ-02 ("Mars
coordinates", used by Amap, Tencent and Google's China tiles) and BD-09 (Baidu)
appear only at the edges: reading a file that declares them, drawing on their
tiles, or linking to their apps.

The forward transforms are the published closed forms. The inverses have no
closed form; they are solved by fixed-point iteration until the forward image
matches to 1e-10° (about 0.01 mm), so a round trip is exact to far below the
0.5 m the project promises. Points outside China's rough bounding box are not
shifted, as the official GCJ-02 implementations do.

All functions take scalars or array-likes and return numpy arrays (or floats
for scalar input).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from locator.errors import DatumError

__all__ = [
    "Datum",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "convert",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

Floats = NDArray[np.float64]

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
_TOL_DEG = 1e-10
_MAX_ITER = 30


class Datum(StrEnum):
    """A horizontal datum a coordinate can be given in."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"

    @classmethod
    def parse(cls, value: str) -> Datum:
        """Parse a datum name as people write it, case- and punctuation-insensitively.

        Besides the codes, the names of the maps coordinates are picked on: ``GPS``,
        ``CGCS2000`` and ``天地图`` (CGCS2000, within a metre of WGS-84 here) are WGS-84;
        ``高德``/``Amap``, ``腾讯``/``Tencent`` and ``火星坐标`` are GCJ-02; ``百度``/``Baidu``
        is BD-09. ``坐标``/``坐标系``/``地图`` suffixes and bracketed notes (``GCJ02（高德）``) are
        ignored.

        Raises
        ------
        DatumError
            Naming the value when it is none of these.
        """
        text = str(value).strip().lower()
        candidates = [text, *(p for p in re.split(r"[(（)）\[\]【】/、]", text) if p.strip())]
        for candidate in candidates:
            key = re.sub(r"[-_:\s.]", "", candidate)
            key = re.sub(r"(坐标系|坐标|地图)$", "", key) or key
            if key in _DATUM_NAMES:
                return _DATUM_NAMES[key]
        raise DatumError(f"unknown datum {value!r}; expected one of wgs84 (GPS), gcj02 (高德), "
                         "bd09 (百度)")


_DATUM_NAMES: dict[str, Datum] = {
    **dict.fromkeys(("wgs84", "wgs", "wgs1984", "epsg4326", "gps", "cgcs2000", "epsg4490",
                     "天地图", "tianditu", "地球", "osm", "openstreetmap"), Datum.WGS84),
    **dict.fromkeys(("gcj02", "gcj", "高德", "amap", "gaode", "腾讯", "tencent", "qq",
                     "火星", "国测局"), Datum.GCJ02),
    **dict.fromkeys(("bd09", "bd09ll", "bd", "百度", "baidu"), Datum.BD09),
}


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where a point lies inside the rough box in which GCJ-02 applies a shift."""
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    return (x >= 72.004) & (x <= 137.8347) & (y >= 0.8293) & (y <= 55.8271)


def _delta(lon: Floats, lat: Floats) -> tuple[Floats, Floats]:
    """The GCJ-02 offset (degrees) to add to a WGS-84 point."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * np.cos(radlat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]:
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    if x.shape != y.shape:
        raise DatumError(f"lon and lat differ in shape: {x.shape} vs {y.shape}")
    return x, y


def _out(x: Floats, y: Floats, scalar: bool) -> tuple[Floats, Floats] | tuple[float, float]:
    if scalar:
        return float(x), float(y)
    return x, y


def _gcj_forward(x: Floats, y: Floats) -> tuple[Floats, Floats]:
    dlon, dlat = _delta(x, y)
    return x + dlon, y + dlat


def _bd_forward(x: Floats, y: Floats) -> tuple[Floats, Floats]:
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_approx_inverse(x: Floats, y: Floats) -> tuple[Floats, Floats]:
    x = x - 0.0065
    y = y - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: object, x: Floats, y: Floats, x0: Floats, y0: Floats
) -> tuple[Floats, Floats]:
    """Solve ``forward(p) == (x, y)`` by fixed-point iteration from ``(x0, y0)``."""
    fwd = forward  # typed loosely: a function of two arrays returning two arrays
    px, py = x0.copy(), y0.copy()
    for _ in range(_MAX_ITER):
        fx, fy = fwd(px, py)  # type: ignore[operator]
        ex, ey = fx - x, fy - y
        px -= ex
        py -= ey
        if not (np.nanmax(np.abs(ex), initial=0.0) > _TOL_DEG
                or np.nanmax(np.abs(ey), initial=0.0) > _TOL_DEG):
            break
    return px, py


@overload
def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]: ...
def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats] | tuple[float, float]:
    """Shift WGS-84 lon/lat (degrees) into GCJ-02."""
    x, y = _as_arrays(lon, lat)
    return _out(*_gcj_forward(x, y), scalar=x.ndim == 0)


@overload
def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]: ...
def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats] | tuple[float, float]:
    """Invert :func:`wgs84_to_gcj02` (iteratively, to 1e-10°)."""
    x, y = _as_arrays(lon, lat)
    dlon, dlat = _delta(x, y)
    return _out(*_invert(_gcj_forward, x, y, x - dlon, y - dlat), scalar=x.ndim == 0)


@overload
def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]: ...
def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats] | tuple[float, float]:
    """Shift GCJ-02 lon/lat into BD-09 (Baidu's ``bd09ll``)."""
    x, y = _as_arrays(lon, lat)
    return _out(*_bd_forward(x, y), scalar=x.ndim == 0)


@overload
def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]: ...
def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats] | tuple[float, float]:
    """Invert :func:`gcj02_to_bd09` (iteratively, to 1e-10°)."""
    x, y = _as_arrays(lon, lat)
    x0, y0 = _bd_approx_inverse(x, y)
    return _out(*_invert(_bd_forward, x, y, x0, y0), scalar=x.ndim == 0)


@overload
def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]: ...
def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats] | tuple[float, float]:
    """WGS-84 to BD-09, through GCJ-02."""
    x, y = _as_arrays(lon, lat)
    return _out(*_bd_forward(*_gcj_forward(x, y)), scalar=x.ndim == 0)


@overload
def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]: ...
def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats] | tuple[float, float]:
    """BD-09 to WGS-84, through GCJ-02."""
    x, y = _as_arrays(lon, lat)
    gx, gy = bd09_to_gcj02(x, y)
    return _out(*gcj02_to_wgs84(gx, gy), scalar=x.ndim == 0)


_TABLE = {
    (Datum.WGS84, Datum.GCJ02): wgs84_to_gcj02,
    (Datum.GCJ02, Datum.WGS84): gcj02_to_wgs84,
    (Datum.GCJ02, Datum.BD09): gcj02_to_bd09,
    (Datum.BD09, Datum.GCJ02): bd09_to_gcj02,
    (Datum.WGS84, Datum.BD09): wgs84_to_bd09,
    (Datum.BD09, Datum.WGS84): bd09_to_wgs84,
}


def convert(
    lon: ArrayLike, lat: ArrayLike, *, src: Datum | str, dst: Datum | str
) -> tuple[Floats, Floats]:
    """Convert coordinates between any two datums; returns arrays.

    Parameters
    ----------
    lon, lat : array_like
        Degrees in ``src``.
    src, dst : Datum or str
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"``.
    """
    s, d = Datum.parse(src), Datum.parse(dst)
    x, y = _as_arrays(lon, lat)
    if s is d:
        return x.copy(), y.copy()
    fx, fy = _TABLE[(s, d)](x, y)
    return np.asarray(fx, dtype=np.float64), np.asarray(fy, dtype=np.float64)
