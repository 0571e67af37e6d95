"""Read planners' area files safely: GeoJSON, GeoPackage, or a Shapefile inside a .zip.

GeoJSON and GeoPackage go through the registry's safe readers
(:func:`locator.files.readers.open_vector_file`: size and depth checks, GeoPackage
from an in-memory SQLite copy, never GDAL). A Shapefile comes as a ``.zip``: the
archive is checked for bombs (:func:`locator.files.containers.check_zip`), member
names for path traversal (absolute paths, ``..``, symlinks, drive letters), and its
``.shp``/``.shx``/``.dbf``/``.prj``/``.cpg`` members are read into memory (each
bounded) and parsed by pyshp from file objects: nothing is extracted to disk and no
path or URL ever reaches a parser. A ``.prj`` in another CRS is kept in the table's
``meta["crs"]`` (WKT) so :mod:`locator.areas.imports` can reproject with pyproj.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
from pathlib import PurePosixPath
from typing import Any

from locator.errors import RegistryError
from locator.files.containers import check_zip
from locator.files.rawtable import RawRow, RawTable
from locator.files.readers import MAX_BYTES, open_vector_file, read_source

__all__ = ["MAX_MEMBER_BYTES", "SHAPEFILE_PARTS", "read_area_table", "read_shapefile_zip"]

SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
MAX_MEMBER_BYTES = 64 * 1024 * 1024


def read_area_table(source: str | os.PathLike[str] | bytes, *, name: str | None = None,
                    max_bytes: int = MAX_BYTES, layer: str | None = None) -> RawTable:
    """Rows of a GeoJSON, GeoPackage or zipped Shapefile of polygons.

    Parameters
    ----------
    source : path or bytes
        A local regular file or its bytes (``/vsi…`` paths and URLs are refused).
    name : str, optional
        The name shown in messages.
    max_bytes : int
        Larger files are refused before parsing.
    layer : str, optional
        GeoPackage layer, or the Shapefile's name inside the zip when it holds several.

    Raises
    ------
    RegistryError
        When the file cannot be read at all; the message names the file and why.
    """
    data, shown = read_source(source, max_bytes=max_bytes, name=name)
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        try:
            return read_shapefile_zip(data, shown, layer)
        except RegistryError as exc:
            raise RegistryError(f"{shown}: {exc.message}", file=shown) from None
    return open_vector_file(data, name=shown, allowed=("geojson", "gpkg"),
                            max_bytes=max_bytes, layer=layer)


def _safe_member(info: zipfile.ZipInfo) -> PurePosixPath | None:
    """The member's path if it is a plain file with a harmless name; ``None`` for folders."""
    raw = info.filename
    if info.is_dir():
        return None
    mode = (info.external_attr >> 16) & 0o170000
    if mode == stat.S_IFLNK:
        raise RegistryError(f"zip member {raw!r} is a symbolic link: refused")
    text = raw.replace("\\", "/")
    path = PurePosixPath(text)
    if text.startswith("/") or ".." in path.parts or (len(text) > 1 and text[1] == ":") \
            or "\x00" in text:
        raise RegistryError(f"zip member name {raw!r} points outside the archive: refused")
    return path


def _members(archive: zipfile.ZipFile, layer: str | None) -> dict[str, zipfile.ZipInfo]:
    """The Shapefile parts (by suffix) of the one (or the named) layer in the archive."""
    layers: dict[str, dict[str, zipfile.ZipInfo]] = {}
    for info in archive.infolist():
        path = _safe_member(info)
        if path is None or path.parts[0] == "__MACOSX" or path.name.startswith("._"):
            continue
        suffix = path.suffix.lower()
        if suffix in SHAPEFILE_PARTS:
            layers.setdefault(str(path.with_suffix("")), {})[suffix] = info
    shapes = {stem: parts for stem, parts in layers.items() if ".shp" in parts}
    if layer is not None:
        shapes = {s: p for s, p in shapes.items()
                  if s == layer or PurePosixPath(s).name == layer}
    if len(shapes) != 1:
        found = sorted(PurePosixPath(s).name for s in shapes) or "none"
        raise RegistryError(f"expected one .shp in the zip (or name one with --layer), "
                            f"found {found}")
    parts = next(iter(shapes.values()))
    if ".dbf" not in parts:
        raise RegistryError(f"{parts['.shp'].filename!r} has no .dbf beside it (the "
                            "attributes: names and codes)")
    return parts


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > MAX_MEMBER_BYTES:
        raise RegistryError(f"zip member {info.filename!r} is {info.file_size:,} bytes "
                            f"(limit {MAX_MEMBER_BYTES:,})")
    with archive.open(info) as fh:
        data = fh.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise RegistryError(f"zip member {info.filename!r} is not the size its header says")
    return data


# What a .cpg may name (spelt as ArcGIS, QGIS and Chinese GIS tools write it: upper or lower
# case, with or without "-", "_" or spaces) → the Python codec. An allow-list: a .cpg is
# text from the file's author, and Python's codec registry also holds bytes-to-bytes
# transforms (base64_codec, zlib_codec…) that are no text encoding at all.
_CPG_CODECS = {
    **dict.fromkeys(("utf8", "65001"), "utf-8"),
    **dict.fromkeys(("gbk", "936", "cp936", "ansi936", "gb2312", "gb18030", "54936"), "gb18030"),
    **dict.fromkeys(("big5", "950", "cp950", "ansi950"), "big5"),
    **dict.fromkeys(("iso88591", "88591", "latin1"), "latin-1"),
    **dict.fromkeys(("1252", "cp1252", "windows1252", "ansi1252"), "cp1252"),
    **dict.fromkeys(("ascii", "usascii", "20127"), "ascii"),
}


def _encodings(cpg: bytes | None) -> list[str]:
    """The codecs to try for the attributes: the one the ``.cpg`` names, else UTF-8 then GBK.

    Raises
    ------
    RegistryError
        When the ``.cpg`` names an encoding outside :data:`_CPG_CODECS`.
    """
    if cpg:
        label = cpg.decode("ascii", "replace").strip()
        key = "".join(c for c in label.lower() if c.isalnum())
        if key in _CPG_CODECS:
            return [_CPG_CODECS[key]]
        if label:
            raise RegistryError(f"the .cpg names the text encoding {label[:40]!r}, which is "
                                "not accepted; use UTF-8, GBK (936), Big5 (950), ISO-8859-1 "
                                "or Windows-1252")
    return ["utf-8", "gb18030"]  # Chinese GIS software often writes GBK without a .cpg


def read_shapefile_zip(data: bytes, name: str, layer: str | None = None) -> RawTable:
    """The features of the Shapefile inside a zip archive, parsed by pyshp from memory.

    ``meta`` holds ``crs`` (the ``.prj`` WKT, or ``None`` when there is none) and
    ``encoding`` (the attribute text encoding used).

    Raises
    ------
    RegistryError
        For a broken or unsafe archive, no (or several) ``.shp``, no ``.dbf``, or a
        Shapefile pyshp cannot read.
    """
    import shapefile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise RegistryError(f"not a valid zip archive: {exc}") from None
    check_zip(data)
    parts = _members(archive, layer)
    blobs = {suffix: _read_member(archive, info) for suffix, info in parts.items()}
    prj = blobs.get(".prj")
    crs = prj.decode("utf-8", "replace").strip() if prj else None
    last: Exception | None = None
    for encoding in _encodings(blobs.get(".cpg")):
        try:
            with shapefile.Reader(shp=io.BytesIO(blobs[".shp"]), dbf=io.BytesIO(blobs[".dbf"]),
                                  shx=io.BytesIO(blobs[".shx"]) if ".shx" in blobs else None,
                                  encoding=encoding) as reader:
                columns = tuple(f[0] for f in reader.fields[1:])
                rows = _rows(reader)
            return RawTable(name, "shapefile", columns, tuple(rows), encoding,
                            {"crs": crs, "layer": PurePosixPath(parts[".shp"].filename).stem})
        except (UnicodeDecodeError, shapefile.dbfFileException) as exc:
            if not isinstance(exc, UnicodeDecodeError) and "decode" not in str(exc):
                raise RegistryError(f"not a readable Shapefile: {exc}") from None
            last = exc
        except (shapefile.ShapefileException, ValueError, OSError, IndexError, KeyError,
                TypeError, struct.error) as exc:
            raise RegistryError(f"not a readable Shapefile: {type(exc).__name__}: "
                                f"{exc}") from None
    raise RegistryError(f"attribute text is neither UTF-8 nor GB18030 ({last}); add a .cpg")


def _rows(reader: Any) -> list[RawRow]:
    import shapefile

    rows: list[RawRow] = []
    for number in range(len(reader)):
        record = reader.record(number)
        fields = record.as_dict() if record is not None else {}
        try:
            shp = reader.shape(number)
            geom = None if shp.shapeType == shapefile.NULL else shp.__geo_interface__
        except (shapefile.ShapefileException, ValueError, IndexError, TypeError,
                struct.error) as exc:
            rows.append(RawRow(number + 1, fields, None, ("geometry", "<shape>",
                                                          f"unreadable shape: {exc}")))
            continue
        rows.append(RawRow(number + 1, fields, geom))
    return rows
