"""The planner page ``/planner``: coverage map, per-district table, gaps, suggested sites.

Query: ``area`` (city or district code), ``level`` (``district``, ``subdistrict`` or
``community``: the table's units; default districts for the city, subdistricts inside a
district), ``radius`` (m) or ``minutes`` + ``mode``, ``n`` (new sites, 0–20), ``kind``
(repeated or comma-separated, like the finder: only these kinds count), ``sort``/``order``
(table, server-side: works without JS). A level without imported polygons
(``locator areas import``) shows stations counted per unit by their codes instead.
Downloads with the same query: ``/planner/units.csv``, ``/planner/plan.geojson``;
``/planner/report`` is a printable page. Plans are cached per registry and query.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import gettext

from locator.areas.store import areas_for
from locator.areas.units import LEVELS, default_level, load_boundaries
from locator.errors import QueryError
from locator.model import KIND_LABELS, N_, Kind
from locator.planning.plan import Plan, make_plan, plan_geojson, units_csv
from locator.stations.nearest import Filters
from locator.web.params import Args, parse_kind_value
from locator.web.service import current_registry

__all__ = ["bp"]

bp = Blueprint("planner", __name__, url_prefix="/planner")

CLASS_LABELS = (N_("within 500 m"), N_("500 m – 1 km"), N_("1–2 km"), N_("2–5 km"),
                N_("over 5 km"))
COLUMNS = {"name": N_("Unit"), "area_km2": N_("Area (km²)"),
           "covered_share": N_("Covered share"), "worst_gap_m": N_("Worst gap (m)"),
           "stations": N_("Stations"), "stations_per_km2": N_("Stations per km²")}
LEVEL_LABELS = {"district": N_("Districts"), "subdistrict": N_("Subdistricts (街道)"),
                "community": N_("Communities (社区)")}
_CACHE: dict[tuple[Any, ...], Plan] = {}
_LOCK = threading.Lock()
_CACHE_SIZE = 8


def _query() -> dict[str, Any]:
    args = Args(request.args)
    bounds = load_boundaries()
    area = args.raw("area") or bounds.area.code
    minutes = args.number("minutes", low=0.5, high=600)
    radius = None if minutes is not None else args.number("radius", low=1, high=100_000,
                                                          default=1000.0)
    mode = args.raw("mode") or "walk"
    if mode not in ("walk", "ebike"):
        raise QueryError("mode", f"mode must be walk or ebike, got {mode!r}")
    level = args.raw("level") or default_level(None if area == bounds.area.code else area)
    if level not in LEVELS:
        raise QueryError("level", f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    kinds = tuple(sorted(set(args.multi("kind", parse_kind_value))))
    return {"area": area, "radius": radius, "minutes": minutes, "mode": mode,
            "n": args.integer("n", low=0, high=20, default=3), "level": level,
            "kinds": kinds, "resolution": int(current_app.config["PLANNER_RESOLUTION"])}


def _plan(q: dict[str, Any]) -> Plan:
    registry = current_registry()
    stored = areas_for(current_app.config, current_app.instance_path, q["level"])
    areas, stamp = (None, None) if stored is None else (stored.units, stored.stamp)
    key = (id(registry), q["area"], q["radius"], q["minutes"], q["mode"], q["n"],
           q["resolution"], q["level"], q["kinds"], stamp)
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is not None:
        return cached
    bounds = load_boundaries().district(q["area"])
    wanted = Filters(kinds=frozenset(q["kinds"])) if q["kinds"] else None
    plan = make_plan(registry.index, bounds, resolution=q["resolution"], radius_m=q["radius"],
                     minutes=q["minutes"], mode=q["mode"], sites=q["n"], filters=wanted,
                     level=q["level"], areas=areas, registry_stations=registry.stations)
    with _LOCK:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = plan
    return plan


def _link_args(q: dict[str, Any]) -> dict[str, Any]:
    out = {"area": q["area"], "n": q["n"], "level": q["level"]}
    if q["kinds"]:
        out["kind"] = ",".join(q["kinds"])
    if q["minutes"] is not None:
        out.update(minutes=q["minutes"], mode=q["mode"])
    else:
        out["radius"] = q["radius"]
    return out


def _page(template: str) -> str:
    q = _query()
    plan = _plan(q)
    args = Args(request.args)
    sort = args.raw("sort") or "covered_share"
    if sort not in COLUMNS:
        sort = "covered_share"
    desc = (args.raw("order") or "asc") == "desc"
    rows = [r.as_dict() for r in plan.rows[:-1]]
    rows.sort(key=lambda r: (r[sort] is None, r[sort] if r[sort] is not None else 0),
              reverse=desc)
    tiles = str(current_app.config["DEFAULT_TILES"])
    from locator.maps.planner import planner_map, planner_parts  # (folium: with the first map)

    fmap = planner_map(plan, current_registry().index.stations, tiles=tiles,
                       labels={"legend": gettext("Distance to the nearest station"),
                               "gap": gettext("Gap"), "site": gettext("New site")},
                       class_labels=[gettext(c) for c in CLASS_LABELS],
                       static_url=lambda p: url_for("static", filename=p),
                       tianditu_key=current_app.config["TIANDITU_KEY"])
    areas = [load_boundaries().area, *load_boundaries().units]
    return render_template(
        template, parts=planner_parts(fmap), plan=plan, rows=rows, total=plan.rows[-1].as_dict(),
        q=q, link=_link_args(q), sort=sort, desc=desc,
        columns={k: gettext(v) for k, v in COLUMNS.items()}, areas=areas,
        levels={k: gettext(v) for k, v in LEVEL_LABELS.items()},
        kind_labels={k.value: gettext(KIND_LABELS[k]) for k in Kind},
        show_demo_banner=plan.synthetic_stations > 0)


@bp.get("/")
def index() -> str:
    """The planner page."""
    return _page("planner/index.html")


@bp.get("/report")
def report() -> str:
    """The printable report: the same map and tables, no controls."""
    return _page("planner/report.html")


@bp.get("/units.csv")
def units_download() -> Response:
    """The per-unit table as CSV."""
    plan = _plan(_query())
    return Response(units_csv(plan), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="units-{plan.boundaries.area.code}.csv"'})


@bp.get("/plan.geojson")
def plan_download() -> Response:
    """Gap polygons and suggested sites as GeoJSON."""
    plan = _plan(_query())
    body = json.dumps(plan_geojson(plan), ensure_ascii=False, allow_nan=False)
    return Response(body, mimetype="application/geo+json", headers={
        "Content-Disposition": f'attachment; filename="plan-{plan.boundaries.area.code}.geojson"'})
