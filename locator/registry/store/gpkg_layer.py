"""The GeoPackage 1.4 format the store writes: its metadata tables, the ``stations`` feature
layer (EPSG:4326 point blobs, one row per station in :data:`~locator.registry.store.COLUMNS`),
and a standalone one-layer GeoPackage of stations for exports. QGIS and ``ogr2ogr`` open both."""
# ruff: noqa: S608 - SQL is built only from this module's constant column names

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from locator.files.atomic import replace_with
from locator.model import Station
from locator.registry.store import COLUMNS, encode_station

__all__ = ["APPLICATION_ID", "COLS_SQL", "GPKG_SCHEMA", "MARKS_SQL", "NAMES_SQL", "USER_VERSION",
           "fill_layer", "point_blob", "write_geopackage"]

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10400
_WGS84_WKT = ('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
              'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4326"]]')
_TYPES = {"lon": "REAL", "lat": "REAL", "precision_m": "REAL", "synthetic": "INTEGER"}
COLS_SQL = ", ".join(f'"{c}" {_TYPES.get(c, "TEXT")}' for c in COLUMNS)
NAMES_SQL = ", ".join(f'"{c}"' for c in COLUMNS)
MARKS_SQL = ", ".join("?" for _ in COLUMNS)

GPKG_SCHEMA = f"""
CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
  organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL, description TEXT);
INSERT INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', NULL),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', NULL),
  ('WGS 84 geodetic', 4326, 'EPSG', 4326, '{_WGS84_WKT}', 'longitude/latitude WGS 84');
CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
  identifier TEXT UNIQUE, description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL,
  m TINYINT NOT NULL, PRIMARY KEY (table_name, column_name),
  FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE stations (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT, {COLS_SQL});
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
  VALUES ('stations', 'features', 'stations', 'trade-union stations (active version)', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('stations', 'geom', 'POINT', 4326, 0, 0);
"""

def point_blob(lon: float | None, lat: float | None) -> bytes | None:
    """A GeoPackage geometry blob (little-endian, no envelope, SRS 4326) for a point."""
    if lon is None or lat is None:
        return None
    return b"GP\x00\x01" + struct.pack("<i", 4326) + struct.pack("<BIdd", 1, 1, lon, lat)


def fill_layer(con: sqlite3.Connection, rows: Iterable[Sequence[Any]]) -> None:
    """Replace the feature layer's rows by ``rows`` (encoded stations, :data:`COLUMNS`)."""
    con.execute("DELETE FROM stations")
    con.executemany(f"INSERT INTO stations (geom, {NAMES_SQL}) VALUES (?, {MARKS_SQL})",
                    ((point_blob(row[3], row[4]), *row) for row in rows))  # (lon, lat)
    con.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'), "
                "min_x = (SELECT min(lon) FROM stations), min_y = (SELECT min(lat) FROM stations), "
                "max_x = (SELECT max(lon) FROM stations), max_y = (SELECT max(lat) FROM stations) "
                "WHERE table_name = 'stations'")


def write_geopackage(path: Path, stations: Sequence[Station]) -> None:
    """Write ``stations`` as a fresh one-layer GeoPackage at ``path`` (atomically)."""
    def fill(tmp: Path) -> None:
        con = sqlite3.connect(tmp, isolation_level=None)
        try:
            con.execute(f"PRAGMA application_id={APPLICATION_ID}")
            con.execute(f"PRAGMA user_version={USER_VERSION}")
            con.executescript(GPKG_SCHEMA)
            con.execute("BEGIN")
            fill_layer(con, map(encode_station, stations))
            con.execute("COMMIT")
        finally:
            con.close()

    replace_with(path, fill)
