"""The two container formats: XLSX (a zip of XML) and GeoPackage (an SQLite file).

Both are opened from bytes only. A zip is checked for bombs before openpyxl (with
defusedxml) parses any XML; a GeoPackage is deserialised into an in-memory SQLite
database, so no path reaches SQLite or GDAL.

A GeoPackage is a database, and a database can hold code: a view, a generated column or a
virtual table computes its rows when read, so a 16 KB file can hold a view named
``gpkg_contents`` that recurses forever or a column that builds a 400 MB string per row.
:func:`read_gpkg` therefore reads only *stored* values:

* the copy is opened ``query_only`` with ``trusted_schema=OFF``, cell-size checks on, and no
  value longer than the file itself (``SQLITE_LIMIT_LENGTH``: nothing stored can be);
* every table it reads (``gpkg_contents``, ``gpkg_geometry_columns``,
  ``gpkg_spatial_ref_sys`` and the data layer) must be an ordinary table with no
  generated columns — a view, a virtual table or a generated column there is refused
  before any row is read. Triggers are allowed: they run only on writes, which the copy
  refuses, and GDAL puts R-tree triggers on every layer it writes;
* every statement runs under a deadline (:data:`GPKG_READ_SECONDS`, a SQLite progress
  handler), a backstop for whatever the checks above did not foresee.

After those checks what is read is bounded by the file: SQLite's memory is the copy plus
its page cache, and the rows are the file's own values.
"""

from __future__ import annotations

import io
import sqlite3
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from locator.errors import RegistryError
from locator.files.rawtable import RawRow, RawTable, table_from_cells

__all__ = ["GPKG_READ_SECONDS", "ZIP_MAX_MEMBERS", "ZIP_MAX_RATIO", "ZIP_MAX_TOTAL", "check_zip",
           "gpkg_geometry", "read_gpkg", "read_xlsx"]

ZIP_MAX_TOTAL = 200 * 1024 * 1024  # uncompressed bytes of all members
ZIP_MAX_RATIO = 100  # uncompressed / compressed, for members over ZIP_RATIO_FLOOR
ZIP_RATIO_FLOOR = 1024 * 1024
ZIP_MAX_MEMBERS = 1000
#: Longest any one SQLite statement may run on an uploaded GeoPackage (a backstop: reading a
#: 64 MB file of 200,000 stations takes about a second).
GPKG_READ_SECONDS = 20.0


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


@contextmanager
def _untrusted(data: bytes, seconds: float) -> Iterator[sqlite3.Connection]:
    """An in-memory, read-only SQLite copy of ``data`` whose statements must end in ``seconds``.

    Raises
    ------
    RegistryError
        When the bytes are not an SQLite database, a statement runs out of time or SQLite
        finds the file corrupt.
    """
    con = sqlite3.connect(":memory:")
    deadline = time.monotonic() + seconds
    try:
        # nothing stored in the file can be longer than the file: a longer value is computed
        con.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max(len(data), 1024))
        if len(data) > 19 and data[18:20] == b"\x02\x02":
            data = data[:18] + b"\x01\x01" + data[20:]  # a WAL file's header, read as a copy
        try:
            con.deserialize(data)
            for pragma in ("trusted_schema=OFF", "query_only=ON", "cell_size_check=ON"):
                con.execute(f"PRAGMA {pragma}")
        except sqlite3.DatabaseError as exc:
            raise RegistryError(f"not a GeoPackage: {exc}") from None
        con.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            yield con
        except sqlite3.DatabaseError as exc:  # interrupted, or a corrupt page met mid-read
            if time.monotonic() > deadline:
                raise RegistryError(f"reading the GeoPackage took over {seconds:g} s: "
                                    "refused") from None
            raise RegistryError(f"not a readable GeoPackage: {exc}") from None
    finally:
        con.close()


def _require_tables(con: sqlite3.Connection, *names: str) -> None:
    """Refuse unless each of ``names`` is an ordinary table without generated columns.

    Raises
    ------
    RegistryError
        Naming the object and what it is instead (a view, a virtual table…).
    """
    for name in names:
        try:
            found = con.execute("SELECT type, sql FROM sqlite_master WHERE lower(name) = "
                                "lower(?)", (name,)).fetchall()
        except sqlite3.DatabaseError as exc:
            raise RegistryError(f"not a GeoPackage: {exc}") from None
        if not found:
            raise RegistryError(f"not a GeoPackage: no table {name!r}")
        kinds = [str(kind) for kind, _sql in found]
        if kinds != ["table"]:
            raise RegistryError(f"{name!r} is a {' and a '.join(kinds)}, not a table: refused "
                                "(a view computes its rows when read)")
        if str(found[0][1] or "").lstrip().upper().startswith("CREATE VIRTUAL"):
            raise RegistryError(f"{name!r} is a virtual table, not a table: refused")
        generated = [str(row[1]) for row in con.execute(
            f"PRAGMA table_xinfo({_quote(name)})") if row[6] in (2, 3)]
        if generated:
            raise RegistryError(f"table {name!r} has generated columns {generated} (computed "
                                "when read): refused")


def read_gpkg(data: bytes, name: str, layer: str | None,
              *, seconds: float = GPKG_READ_SECONDS) -> RawTable:
    """The only (or the named) EPSG:4326 feature layer of a GeoPackage.

    Only stored values are read (see the module's notes): views, virtual tables and
    generated columns where tables are expected are refused, and every statement must end
    within ``seconds``.

    Raises
    ------
    RegistryError
        For anything but a GeoPackage with exactly one such (or the named) layer.
    """
    with _untrusted(data, seconds) as con:
        _require_tables(con, "gpkg_contents", "gpkg_geometry_columns", "gpkg_spatial_ref_sys")
        layers = con.execute(
            "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c JOIN "
            "gpkg_geometry_columns g USING (table_name) WHERE c.data_type = 'features'"
        ).fetchall()
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
        _require_tables(con, str(table))
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
