"""A plan as files: per-unit CSV, XLSX workbook, GeoJSON — the same bytes from the page and the CLI.

Every file records what the figures rest on (:func:`export_meta`): the target and how its
metres were found, the basis (people or area), the grid resolution, the registry version,
the demand layer, and how many synthetic (demonstration) stations were counted.

* CSV: UTF-8 with a BOM (Excel then reads Chinese), ``# key,value`` meta rows first, then
  one header row whose cells are the page's label with the machine name in brackets
  (``覆盖比例 (covered_share)``), so people and programs read the same file
  (:func:`read_units_csv` reads it back). Cells that look like formulas get a leading ``'``.
* XLSX: sheets ``units``, ``sites``, ``meta`` (openpyxl; formula-looking text kept as text).
* GeoJSON: gap polygons and suggested sites, with the meta as the collection's ``meta``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from typing import Any

from shapely.geometry import mapping

from locator.model import N_
from locator.planning.plan import Plan

__all__ = ["SITE_FIELDS", "UNIT_FIELDS", "UNIT_LABELS", "export_meta", "plan_geojson",
           "plan_xlsx", "read_units_csv", "site_rows", "sites_csv", "units_csv"]

UNIT_FIELDS = ("code", "name", "level", "cells", "area_km2", "covered_km2", "covered_share",
               "worst_gap_m", "stations", "stations_per_km2", "people", "people_covered",
               "coded")
#: English labels (translated by the caller, e.g. with gettext) of the unit columns
UNIT_LABELS = {"code": N_("Code"), "name": N_("Unit"), "level": N_("Level"),
               "cells": N_("Cells"), "area_km2": N_("Area (km²)"),
               "covered_km2": N_("Covered (km²)"), "covered_share": N_("Covered share of area"),
               "worst_gap_m": N_("Worst gap (m)"), "stations": N_("Stations"),
               "stations_per_km2": N_("Stations per km²"), "people": N_("People"),
               "people_covered": N_("People covered"),
               "coded": N_("Stations carrying the code")}
SITE_FIELDS = ("rank", "id", "name", "lon", "lat", "district", "district_code", "subdistrict",
               "community", "near", "near_m", "gain", "gain_of", "covered_share")
SITE_LABELS = {"rank": N_("Rank"), "id": N_("Id"), "name": N_("Name"), "lon": N_("Longitude"),
               "lat": N_("Latitude"), "district": N_("District"),
               "district_code": N_("District code"), "subdistrict": N_("Subdistrict"),
               "community": N_("Community"), "near": N_("Near"), "near_m": N_("Distance (m)"),
               "gain": N_("Newly covered"), "gain_of": N_("Newly covered: of"),
               "covered_share": N_("Covered share after")}
_KEY = re.compile(r"\(([a-z0-9_]+)\)$")


def export_meta(plan: Plan) -> dict[str, Any]:
    """What every export records: target, basis, resolution, registry version, synthetic."""
    area = plan.boundaries.area
    return {"area": {"code": area.code, "name": area.name},
            "target": plan.target.as_dict() if plan.target else None,
            "basis": plan.basis, "demand": plan.demand or None,
            "covered_share": round(plan.covered_share, 6),
            "resolution": plan.coverage.grid.resolution, "registry_version": plan.registry,
            "synthetic_stations": plan.synthetic_stations, "stations": plan.stations,
            "kinds": list(plan.kinds) or None, "pool": plan.pool,
            "settled_within_m": plan.settled_m if plan.basis == "area" else None}


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _header(keys: tuple[str, ...], labels: Mapping[str, str]) -> list[str]:
    return [f"{labels.get(k, k)} ({k})" for k in keys]


def _meta_rows(plan: Plan) -> list[list[str]]:
    rows = []
    for key, value in export_meta(plan).items():
        if isinstance(value, dict):
            text = "; ".join(f"{k}={v}" for k, v in value.items() if v is not None)
        elif isinstance(value, list):
            text = ",".join(map(str, value))
        else:
            text = "" if value is None else str(value)
        rows.append([f"# {key}", text])
    return rows


def _csv(plan: Plan, keys: tuple[str, ...], labels: Mapping[str, str],
         rows: list[dict[str, Any]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([[_cell(v) for v in r] for r in _meta_rows(plan)])
    writer.writerow(_header(keys, labels))
    for row in rows:
        writer.writerow([_cell(row.get(k)) for k in keys])
    return "\ufeff" + out.getvalue()


def units_csv(plan: Plan, labels: Mapping[str, str] = UNIT_LABELS) -> str:
    """The per-unit table as CSV text (starting with the BOM; encode it as UTF-8)."""
    return _csv(plan, UNIT_FIELDS, labels, [r.as_dict() for r in plan.rows])


def site_rows(plan: Plan) -> list[dict[str, Any]]:
    """One dict per suggested site: where it is and what it adds."""
    if plan.suggestion is None:
        return []
    out = []
    for s, where in zip(plan.suggestion.steps, plan.sites, strict=True):
        c = s.candidate
        out.append({"rank": s.rank, "id": c.id, "name": c.name, "lon": round(c.lon, 6),
                    "lat": round(c.lat, 6), "district": where.district,
                    "district_code": where.district_code, "subdistrict": where.subdistrict,
                    "community": where.community, "near": where.place,
                    "near_m": where.place_m,
                    "gain": round(s.gain if plan.basis == "people" else s.gain / 1e6, 3),
                    "gain_of": "people" if plan.basis == "people" else "km2",
                    "covered_share": round(s.covered_share, 6)})
    return out


def sites_csv(plan: Plan, labels: Mapping[str, str] = SITE_LABELS) -> str:
    """The suggested sites as CSV text (BOM, meta rows, labelled headers)."""
    return _csv(plan, SITE_FIELDS, labels, site_rows(plan))


def read_units_csv(text: str) -> list[dict[str, Any]]:
    """Rows of :func:`units_csv` back as dicts typed like :meth:`UnitRow.as_dict`."""
    ints = {"cells", "stations", "coded"}
    floats = {"area_km2", "covered_km2", "covered_share", "worst_gap_m", "stations_per_km2",
              "people", "people_covered"}
    lines = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if r
             and not r[0].startswith("#")]
    keys = [m.group(1) if (m := _KEY.search(h)) else h for h in lines[0]]
    rows = []
    for raw in lines[1:]:
        row: dict[str, Any] = {}
        for key, value in zip(keys, raw, strict=True):
            value = value[1:] if value[:2] in ("'=", "'+", "'-", "'@") else value
            if value == "" and key in ints | floats:
                row[key] = None
            elif key in ints:
                row[key] = int(value)
            elif key in floats:
                row[key] = float(value)
            else:
                row[key] = value
        rows.append(row)
    return rows


def plan_xlsx(plan: Plan, unit_labels: Mapping[str, str] = UNIT_LABELS,
              site_labels: Mapping[str, str] = SITE_LABELS) -> bytes:
    """The per-unit table, the sites and the meta as an XLSX workbook."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.worksheets[0])
    sheets = ((book.create_sheet("units"), UNIT_FIELDS, unit_labels,
               [r.as_dict() for r in plan.rows]),
              (book.create_sheet("sites"), SITE_FIELDS, site_labels, site_rows(plan)))
    for sheet, keys, labels, rows in sheets:
        sheet.append(_header(keys, labels))
        for row in rows:
            sheet.append([_xlsx_value(row.get(k)) for k in keys])
        sheet.freeze_panes = "A2"
    meta = book.create_sheet("meta")
    for key, value in _meta_rows(plan):
        meta.append([key[2:], _cell(value)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(value: Any) -> Any:
    return value if isinstance(value, int | float) or value is None else _cell(value)


def plan_geojson(plan: Plan) -> dict[str, Any]:
    """Gap polygons and suggested sites as one RFC 7946 FeatureCollection (WGS-84).

    Each feature's ``layer`` is ``gap`` or ``site``; the collection's ``meta`` is
    :func:`export_meta` (target, basis, resolution, registry version, synthetic stations).
    """
    features: list[dict[str, Any]] = []
    for g in plan.gaps:
        features.append({"type": "Feature", "geometry": mapping(g.geometry), "properties": {
            "layer": "gap", "rank": g.rank, "area_m2": round(g.area_m2, 1), "cells": g.cells,
            "worst_m": round(g.worst_m, 1), "people": g.people}})
    for row in site_rows(plan):
        features.append({"type": "Feature", "geometry": {
            "type": "Point", "coordinates": [row["lon"], row["lat"]]},
            "properties": {"layer": "site", **{k: v for k, v in row.items()
                                               if k not in ("lon", "lat")}}})
    return {"type": "FeatureCollection", "meta": export_meta(plan), "features": features}
