"""Write stations out as CSV, XLSX, GeoJSON or GeoPackage.

CSV and XLSX cells that a spreadsheet would run as a formula (text starting
with ``= + - @``, a tab or a carriage return) are neutralised with a leading
apostrophe; import strips exactly that apostrophe again, so round trips are
exact. CSV is UTF-8 with a BOM so Excel shows Chinese text correctly. A station whose
location is unknown has ``unknown`` in its lon/lat cells (a blank would make an import
place it by its address); GeoJSON and GeoPackage give it a null geometry.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from locator.files.formulas import neutralise
from locator.model import Station
from locator.registry.store import COLUMNS, encode_station
from locator.registry.store.gpkg_layer import write_geopackage
from locator.registry.validate import UNKNOWN_LOCATION

__all__ = ["EXPORT_FORMATS", "export_stations", "neutralise", "to_csv", "to_geojson", "to_xlsx"]

EXPORT_FORMATS = ("csv", "xlsx", "geojson", "gpkg")
_LON, _LAT = COLUMNS.index("lon"), COLUMNS.index("lat")


def _cells(s: Station) -> list[Any]:
    row = [neutralise(v) for v in encode_station(s)]
    if not s.located:  # say "unknown" so that an import keeps it so (a blank would be placed)
        row[_LON] = row[_LAT] = UNKNOWN_LOCATION
    return row


def to_csv(stations: Sequence[Station]) -> bytes:
    """CSV bytes (UTF-8 with BOM), one row per station, columns as stored."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for s in stations:
        writer.writerow(["" if v is None else repr(v) if isinstance(v, float) else v
                         for v in _cells(s)])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(stations: Sequence[Station]) -> bytes:
    """XLSX bytes: one sheet ``stations``, text cells neutralised, numbers as numbers."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("stations")
    sheet.append(list(COLUMNS))
    for s in stations:
        sheet.append(_cells(s))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_geojson(stations: Sequence[Station]) -> bytes:
    """An RFC 7946 FeatureCollection (WGS-84), amenities as lists."""
    features = []
    for s in stations:
        props = dict(zip(COLUMNS, encode_station(s), strict=True))
        lon, lat = props.pop("lon"), props.pop("lat")
        props["amenities"] = sorted(a.value for a in s.amenities)
        props["synthetic"] = s.synthetic
        geometry = None if lon is None else {"type": "Point", "coordinates": [lon, lat]}
        features.append({"type": "Feature", "id": s.id, "geometry": geometry,
                         "properties": props})
    body = {"type": "FeatureCollection", "features": features}
    return json.dumps(body, ensure_ascii=False, allow_nan=False, indent=1).encode("utf-8")


def export_stations(stations: Sequence[Station], fmt: str, path: Path | None = None) -> bytes:
    """Stations in ``fmt``; written to ``path`` when given (GeoPackage needs a path)."""
    if fmt == "gpkg":
        if path is None:
            raise ValueError("gpkg export needs an output path")
        write_geopackage(path, stations)
        return b""
    data = {"csv": to_csv, "xlsx": to_xlsx, "geojson": to_geojson}[fmt](stations)
    if path is not None:
        path.write_bytes(data)
    return data
