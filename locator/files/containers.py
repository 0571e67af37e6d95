"""The two container formats: XLSX (a zip of XML) and GeoPackage (an SQLite file).

Both are opened from bytes only. A zip is checked for bombs before openpyxl (with
defusedxml) parses any XML; a GeoPackage is deserialised into an in-memory SQLite
database, so no path reaches SQLite or GDAL.
"""

from __future__ import annotations

import io
import sqlite3
import zipfile
from typing import Any

from locator.errors import RegistryError
from locator.files.rawtable import RawRow, RawTable, table_from_cells

__all__ = ["ZIP_MAX_MEMBERS", "ZIP_MAX_RATIO", "ZIP_MAX_TOTAL", "check_zip", "gpkg_geometry",
           "read_gpkg", "read_xlsx"]

ZIP_MAX_TOTAL = 200 * 1024 * 1024  # uncompressed bytes of all members
ZIP_MAX_RATIO = 100  # uncompressed / compressed, for members over ZIP_RATIO_FLOOR
ZIP_RATIO_FLOOR = 1024 * 1024
ZIP_MAX_MEMBERS = 1000


def check_zip(data: bytes) -> None:
    """Refuse a zip archive whose members are too many, too large or too compressed.

    Raises
    ------
    RegistryError
        Naming the member and its sizes.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise RegistryError(f"not a valid XLSX (zip) archive: {exc}") from None
    infos = archive.infolist()
    if len(infos) > ZIP_MAX_MEMBERS:
        raise RegistryError(f"archive has {len(infos)} members (limit {ZIP_MAX_MEMBERS})")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > ZIP_RATIO_FLOOR and ratio > ZIP_MAX_RATIO:
            raise RegistryError(
                f"zip member {info.filename!r} expands {ratio:,.0f}× to {info.file_size:,} "
                f"bytes (limit {ZIP_MAX_RATIO}×): refused as a possible zip bomb")
    if total > ZIP_MAX_TOTAL:
        raise RegistryError(f"archive expands to {total:,} bytes (limit {ZIP_MAX_TOTAL:,}): "
                            "refused as a possible zip bomb")


def read_xlsx(data: bytes, name: str, layer: str | None) -> RawTable:
    """The first (or the named) sheet of an XLSX workbook."""
    check_zip(data)
    import openpyxl
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:
        raise RegistryError("defusedxml is not installed; XLSX import is disabled")
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise RegistryError(f"not a readable XLSX workbook: {type(exc).__name__}: {exc}") from None
    try:
        if layer is not None and layer not in book.sheetnames:
            raise RegistryError(f"no sheet {layer!r}; sheets: {book.sheetnames}")
        sheet = book[layer] if layer is not None else book.worksheets[0]
        numbered = enumerate(sheet.iter_rows(values_only=True), start=1)
        return table_from_cells(name, "xlsx", None, numbered)
    finally:
        book.close()


# --- GeoPackage -------------------------------------------------------------------------

_ENVELOPE = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def gpkg_geometry(blob: bytes | None) -> Any:
    """A GeoPackage geometry blob → GeoJSON geometry mapping (``None`` for empty/null)."""
    if blob is None:
        return None
    import shapely

    if len(blob) < 8 or blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob")
    flags = blob[3]
    if flags & 0b10000:
        return None
    envelope = _ENVELOPE.get((flags >> 1) & 0b111)
    if envelope is None:
        raise ValueError("bad envelope code in geometry header")
    geom = shapely.from_wkb(bytes(blob[8 + envelope:]))
    return shapely.geometry.mapping(geom)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _primary_key(con: sqlite3.Connection, table: str) -> str | None:
    keys = [r[1] for r in con.execute(f"PRAGMA table_info({_quote(table)})") if r[5] == 1]
    return keys[0] if len(keys) == 1 else None


def read_gpkg(data: bytes, name: str, layer: str | None) -> RawTable:
    """The only (or the named) EPSG:4326 feature layer of a GeoPackage."""
    con = sqlite3.connect(":memory:")
    try:
        if len(data) > 19 and data[18:20] == b"\x02\x02":
            data = data[:18] + b"\x01\x01" + data[20:]  # a WAL file's header, read as a copy
        try:
            con.deserialize(data)
            layers = con.execute(
                "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c JOIN "
                "gpkg_geometry_columns g USING (table_name) WHERE c.data_type = 'features'"
            ).fetchall()
        except sqlite3.DatabaseError as exc:
            raise RegistryError(f"not a GeoPackage: {exc}") from None
        if layer is not None:
            layers = [entry for entry in layers if entry[0] == layer]
        if len(layers) != 1:
            names = [entry[0] for entry in layers]
            raise RegistryError(f"expected one feature layer (or name one), found {names}")
        table, geom_col, srs_id = layers[0]
        srs = con.execute("SELECT organization, organization_coordsys_id FROM "
                          "gpkg_spatial_ref_sys WHERE srs_id = ?", (srs_id,)).fetchone()
        if srs is None or str(srs[0]).upper() != "EPSG" or int(srs[1]) != 4326:
            raise RegistryError(f"layer {table!r} is in SRS {srs!r}; only EPSG:4326 is accepted")
        if con.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                       (table,)).fetchone()[0] != 1:
            raise RegistryError(f"layer {table!r} is not a table")
        cursor = con.execute(f"SELECT * FROM {_quote(table)}")  # noqa: S608 - quoted name
        columns = [d[0] for d in cursor.description]
        key = _primary_key(con, table)
        rows: list[RawRow] = []
        for position, values in enumerate(cursor, start=1):
            fields = dict(zip(columns, values, strict=True))
            blob = fields.pop(geom_col, None)
            fid = fields.pop(key, None) if key else None
            number = fid if isinstance(fid, int) else position
            try:
                geometry = gpkg_geometry(blob)
            except Exception as exc:  # struct, WKB and GEOS errors alike
                rows.append(RawRow(number, fields, None, (geom_col, "<blob>", f"bad geometry: "
                                                          f"{exc}")))
                continue
            rows.append(RawRow(number, fields, geometry))
        return RawTable(name, "gpkg", tuple(c for c in columns if c not in (geom_col, key)),
                        tuple(rows),
                        None, {"layer": table})
    finally:
        con.close()
