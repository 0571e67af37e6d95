"""Open untrusted vector/table files safely: GeoJSON, CSV, XLSX and GeoPackage → raw rows.

Reusable by anything that imports user files (stations here; planners' area
polygons elsewhere): call :func:`open_vector_file` with the formats you accept
and validate the :class:`RawRow` objects it returns.

Safety rules, enforced here so callers cannot forget them:

* GDAL is never involved. Every format is parsed by Python code that only sees
  the bytes it was given: JSON by :mod:`json` (after a size and nesting-depth
  check), CSV by :mod:`csv`, XLSX by openpyxl in read-only mode with defusedxml
  (after the zip's member sizes and compression ratios are checked, so a zip
  bomb is refused before any XML is parsed), GeoPackage by :mod:`sqlite3` from
  an in-memory copy (``Connection.deserialize``), geometry blobs by shapely.
* A path must name a regular local file: ``/vsi…`` paths, URLs, driver-prefixed
  strings (``GPKG:…``) and devices or FIFOs are refused.
* The format is decided by the content, not the name; a name whose suffix
  disagrees with the content (a VRT saved as ``.geojson``) is refused.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import stat
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from locator.errors import RegistryError
from locator.files.containers import check_zip, read_gpkg, read_xlsx
from locator.files.rawtable import RawRow, RawTable, table_from_cells

__all__ = ["FORMATS", "MAX_BYTES", "RawRow", "RawTable", "check_zip", "json_depth_exceeds",
           "open_vector_file", "parse_json", "read_source", "sniff_format"]

FORMATS = ("geojson", "csv", "xlsx", "gpkg")
MAX_BYTES = 20 * 1024 * 1024
MAX_JSON_DEPTH = 32

_SUFFIXES = {".geojson": "geojson", ".json": "geojson", ".csv": "csv", ".txt": "csv",
             ".xlsx": "xlsx", ".xlsm": "xlsx", ".gpkg": "gpkg"}
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(//|[A-Za-z])")
_DRIVER_PREFIX = re.compile(r"^[A-Z][A-Za-z0-9_]*:")
_JSON_CHUNK = 1 << 20  # bytes per step of the depth check (its arrays stay a few MB)
_QUOTE = ord('"')
_STEP = np.zeros(256, dtype=np.int8)  # +1 for [ and {, -1 for ] and }, 0 for other bytes
_STEP[[ord("["), ord("{")]] = 1
_STEP[[ord("]"), ord("}")]] = -1


def _fail(name: str, reason: str) -> RegistryError:
    return RegistryError(f"{name}: {reason}", file=name)


def read_source(source: str | os.PathLike[str] | bytes, *, max_bytes: int = MAX_BYTES,
                name: str | None = None) -> tuple[bytes, str]:
    """The bytes of a safe local path (or the given bytes) and the name to show.

    Raises
    ------
    RegistryError
        For ``/vsi…`` paths, URLs, driver prefixes, non-regular files and oversized input.
    """
    if isinstance(source, bytes | bytearray):
        data, shown = bytes(source), name or "upload"
    else:
        data, shown = _read_path(source, max_bytes)
        shown = name or shown
    if len(data) > max_bytes:
        raise _fail(shown, f"file is over the limit of {max_bytes:,} bytes")
    return data, shown


def _read_path(source: str | os.PathLike[str], max_bytes: int) -> tuple[bytes, str]:
    text = os.fspath(source)
    name = Path(text).name or text
    if "/vsi" in text.lower() or text.lower().startswith("vsi"):
        raise _fail(name, f"GDAL virtual paths are refused, got {text!r}")
    if _URL.match(text) or _DRIVER_PREFIX.match(text):
        raise _fail(name, f"only local file paths are accepted, got {text!r}")
    try:
        info = os.stat(text)
    except OSError as exc:
        raise _fail(name, f"cannot open {text!r}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise _fail(name, f"not a regular file: {text!r}")
    if info.st_size > max_bytes:
        raise _fail(name, f"file is {info.st_size:,} bytes; the limit is {max_bytes:,}")
    with open(text, "rb") as fh:
        return fh.read(max_bytes + 1), name


def sniff_format(data: bytes) -> str:
    """The format the bytes are in (``geojson``, ``csv``, ``xlsx``, ``gpkg``).

    Raises
    ------
    RegistryError
        For empty input, XML (a GDAL VRT or anything else) and binary garbage.
    """
    if data.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    head = data[:4096].lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n")
    if not head:
        raise RegistryError("file is empty")
    if head.startswith((b"{", b"[")):
        return "geojson"
    if head.startswith(b"<") or head.replace(b"\x00", b"").startswith(b"<"):
        if b"OGRVRTDataSource" in data[:65536].replace(b"\x00", b""):
            raise RegistryError("GDAL VRT content refused (it can make GDAL read other files)")
        raise RegistryError("XML/HTML content is not a registry file")
    sample = data[:4096]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "csv"  # UTF-16 text as Excel saves "Unicode text"
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    if b"\x00" in sample or controls > len(sample) // 100:
        raise RegistryError("binary content that is not XLSX or GeoPackage (garbage bytes?)")
    return "csv"


def open_vector_file(source: str | os.PathLike[str] | bytes, *, name: str | None = None,
                     allowed: Collection[str] = FORMATS, max_bytes: int = MAX_BYTES,
                     layer: str | None = None) -> RawTable:
    """Read a GeoJSON, CSV, XLSX or GeoPackage file without trusting it.

    Parameters
    ----------
    source : path or bytes
        A local regular file, or the uploaded bytes themselves.
    name : str, optional
        The file name shown in messages (and whose suffix must agree with the content).
    allowed : collection of str
        Formats the caller accepts, from :data:`FORMATS`.
    max_bytes : int
        Larger inputs are refused before parsing.
    layer : str, optional
        GeoPackage layer or XLSX sheet to read (default: the only/first one).

    Raises
    ------
    RegistryError
        When the file cannot be read at all: the message names the file and why.
    """
    data, shown = read_source(source, max_bytes=max_bytes, name=name)
    try:
        fmt = sniff_format(data)
    except RegistryError as exc:
        raise _fail(shown, exc.message) from None
    suffix = Path(shown).suffix.lower()
    if suffix in _SUFFIXES and _SUFFIXES[suffix] != fmt:
        raise _fail(shown, f"content is {fmt} but the name says {suffix!r}")
    if fmt not in allowed:
        raise _fail(shown, f"{fmt} files are not accepted here (allowed: {', '.join(allowed)})")
    reader = {"geojson": _read_geojson, "csv": _read_csv, "xlsx": read_xlsx,
              "gpkg": read_gpkg}[fmt]
    try:
        return reader(data, shown, layer)
    except RegistryError as exc:
        raise _fail(shown, exc.message) from None


# --- JSON / GeoJSON ---------------------------------------------------------------------


def _constant(token: str) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[token]


def json_depth_exceeds(data: bytes, max_depth: int) -> bool:
    """Whether JSON ``data`` nests arrays/objects deeper than ``max_depth`` (strings skipped).

    Linear in the input whatever it holds, and vectorised: backslash pairs and then escaped
    quotes are removed (``bytes.replace`` pairs a run of backslashes left to right exactly as
    JSON does), so every quote left opens or closes a string; a running parity of quotes
    says which brackets are inside strings, and a running sum of the others is the depth.
    The backtracking regex tokenizer this replaces took 8 s for 40 KB of escaped quotes and
    was still running after 60 s at 10 MB (``tests/test_registry_files.py`` gives it 10 MB
    of such inputs; ``bench/json_depth.py`` times it).

    Exact for valid JSON; for invalid JSON (unbalanced brackets, a backslash outside a
    string) the answer may be either, and the parser refuses the text anyway.
    """
    cleaned = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    depth, inside = 0, 0
    for start in range(0, len(cleaned), _JSON_CHUNK):
        part = np.frombuffer(cleaned, np.uint8, count=min(_JSON_CHUNK, len(cleaned) - start),
                             offset=start)
        quotes = np.cumsum(part == _QUOTE, dtype=np.int64) + inside  # odd: inside a string
        steps = np.take(_STEP, part)
        steps[(quotes & 1).astype(bool)] = 0
        running = np.cumsum(steps, dtype=np.int64) + depth
        if int(running.max()) > max_depth:
            return True
        depth, inside = int(running[-1]), int(quotes[-1]) & 1
    return False


def parse_json(data: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse JSON bytes and refuse nesting deeper than ``max_depth``.

    ``NaN``/``Infinity`` tokens become non-finite floats so that the row holding
    them is rejected by validation rather than the whole file. The depth is checked on the
    bytes before parsing (:func:`json_depth_exceeds`: linear and vectorised, ~0.05 s for
    10 MB), so nothing deeper is ever built.

    Raises
    ------
    RegistryError
        When the text is not UTF-8, nests deeper than ``max_depth`` or is not JSON.
    """
    if json_depth_exceeds(data, max_depth):
        raise RegistryError(f"JSON nested deeper than {max_depth} levels")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegistryError(f"JSON is not UTF-8 (byte {exc.start})") from None
    try:
        parsed = json.loads(text, parse_constant=_constant)
    except RecursionError:
        raise RegistryError(f"JSON nested deeper than {max_depth} levels") from None
    except ValueError as exc:
        raise RegistryError(f"not valid JSON: {exc}") from None
    return parsed


_CRS84 = {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "EPSG:4326",
          "urn:ogc:def:crs:EPSG::4326", "urn:ogc:def:crs:EPSG:4326"}


def _check_crs(data: dict[str, Any]) -> None:
    crs = data.get("crs")
    if crs is None:
        return
    crs_name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if crs_name not in _CRS84:
        raise RegistryError(f"legacy 'crs' member {crs_name or crs!r} is not WGS-84 lon/lat; "
                            "export the file as GeoJSON in EPSG:4326 (RFC 7946)")


def _read_geojson(data: bytes, name: str, layer: str | None) -> RawTable:
    obj = parse_json(data)
    if isinstance(obj, dict) and obj.get("type") == "Feature":
        obj = {"type": "FeatureCollection", "features": [obj], "crs": obj.get("crs")}
    if not isinstance(obj, dict) or obj.get("type") != "FeatureCollection":
        raise RegistryError("not a GeoJSON FeatureCollection")
    _check_crs(obj)
    features = obj.get("features")
    if not isinstance(features, list):
        raise RegistryError("'features' is not a list")
    rows: list[RawRow] = []
    columns: dict[str, None] = {}
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            rows.append(RawRow(number, {}, None, ("feature", feature, "is not a GeoJSON Feature")))
            continue
        props = feature.get("properties")
        if props is None:
            props = {}
        if not isinstance(props, dict):
            rows.append(RawRow(number, {}, None, ("properties", props, "must be an object")))
            continue
        if "id" not in props and isinstance(feature.get("id"), str | int):
            props = {"id": feature["id"], **props}
        columns.update(dict.fromkeys(props))
        rows.append(RawRow(number, props, feature.get("geometry")))
    return RawTable(name, "geojson", tuple(columns), tuple(rows), "utf-8",
                    {"datum": obj.get("datum")})


# --- CSV --------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise RegistryError(f"text is neither UTF-8 nor GB18030 (byte {exc.start})") from None


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes, name: str, layer: str | None) -> RawTable:
    text, encoding = _decode(data)
    if "\x00" in text:
        raise RegistryError("text contains NUL characters (garbage bytes?)")
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))
    try:
        table = list(reader)
    except csv.Error as exc:
        raise RegistryError(f"CSV syntax error: {exc}") from None
    return table_from_cells(name, "csv", encoding, ((n, r) for n, r in enumerate(table, start=1)))


