"""The two comparison servers of ``bench/load.py`` (gunicorn imports ``load_apps:bare()``...).

Both read the same store as ours (``LOCATOR_BENCH_STORE``, a GeoPackage path): the
active version's ids and lon/lat, straight from SQLite.

* ``bare()`` — **the ceiling**: a bare Flask app whose ``/nearest`` parses lat/lon and
  does one ``cKDTree.query(k=5)`` on unit vectors, answering the ids and chord lengths
  as JSON. No validation, no filters, no geodesic metres, no GeoJSON, no rate limit,
  no ETag: the least a Flask endpoint can do and still answer the question.
* ``naive()`` — **the obvious baseline**: Flask + geopandas, one ``sjoin_nearest`` per
  request between a one-point GeoDataFrame and the stations (projected once to
  EPSG:3857 so distances are planar metres, not degrees; the spatial index is built
  at start-up), answering the nearest station as a GeoJSON Feature. ``sjoin_nearest``
  finds only the nearest (k=1), which favours it.
"""

from __future__ import annotations

import math
import os
import sqlite3
from typing import Any

import numpy as np
from flask import Flask, Response, jsonify, request
from numpy.typing import NDArray


def _stations() -> tuple[list[str], NDArray[np.float64], NDArray[np.float64]]:
    path = os.environ["LOCATOR_BENCH_STORE"]
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (active,) = con.execute("SELECT value FROM registry_state WHERE key = 'active'").fetchone()
        rows = con.execute("SELECT id, lon, lat FROM station_history WHERE version = ? "
                           "ORDER BY ordinal", (active,)).fetchall()
    finally:
        con.close()
    return ([r[0] for r in rows], np.array([r[1] for r in rows]), np.array([r[2] for r in rows]))


def bare() -> Flask:
    """Flask + one cKDTree query per request (the ceiling for any Flask endpoint)."""
    from scipy.spatial import cKDTree

    ids, lon, lat = _stations()
    lam, phi = np.radians(lon), np.radians(lat)
    tree = cKDTree(np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam),
                             np.sin(phi)], axis=-1))
    app = Flask("bare")

    @app.get("/nearest")
    def nearest() -> Response:
        la = math.radians(float(request.args["lat"]))
        lo = math.radians(float(request.args["lon"]))
        dist, idx = tree.query((math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo),
                                math.sin(la)), k=5)
        return jsonify({"ids": [ids[i] for i in idx.tolist()], "chord": dist.tolist()})

    return app


def naive() -> Flask:
    """Flask + geopandas ``sjoin_nearest`` per request (the obvious way to write it)."""
    import geopandas as gpd

    ids, lon, lat = _stations()
    stations = gpd.GeoDataFrame({"id": ids}, geometry=gpd.points_from_xy(lon, lat),
                                crs="EPSG:4326").to_crs("EPSG:3857")
    stations.sindex  # noqa: B018  (build the spatial index once, at start-up)
    app = Flask("naive")

    @app.get("/nearest")
    def nearest() -> Response:
        point = gpd.GeoDataFrame(geometry=gpd.points_from_xy(
            [float(request.args["lon"])], [float(request.args["lat"])]),
            crs="EPSG:4326").to_crs("EPSG:3857")
        joined = gpd.sjoin_nearest(point, stations, distance_col="distance_m")
        row = joined.iloc[0]
        hit: Any = stations.loc[int(row["index_right"])]
        geometry: Any = gpd.GeoSeries([hit.geometry], crs="EPSG:3857").to_crs("EPSG:4326").iloc[0]
        return jsonify({"type": "FeatureCollection", "features": [{
            "type": "Feature", "id": hit["id"],
            "geometry": {"type": "Point", "coordinates": [geometry.x, geometry.y]},
            "properties": {"id": hit["id"], "distance_m": float(row["distance_m"])}}]})

    return app
