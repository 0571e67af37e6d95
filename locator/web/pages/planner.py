"""The planner page ``/planner``: coverage map, per-unit table, gaps, named suggested sites.

Query (:func:`locator.web.plans.page_query`): ``area`` (city or district code), ``level``
(``district``, ``subdistrict`` or ``community``), ``radius`` (m, steps of 50) or ``minutes``
(steps of 0.5) + ``mode``, ``n`` (new sites, 0–20), ``kind`` (only these kinds count),
``pool`` (``grid``: any cell; ``partner``: the partner stations; ``file``: the uploaded
candidate file), ``compare`` (``sites``: today against today plus the suggestions;
``target`` with ``radius2``/``minutes2``), ``sort``/``order`` (table, server-side).
Downloads with the same query: ``units.csv``, ``sites.csv``, ``plan.xlsx``, ``plan.geojson``;
``/planner/report`` is a printable page. Shares are of people when a demand layer is loaded
(``/planner/inputs``), else of area, and the page says which. Plans come from
:func:`locator.web.plans.plan_for` (cached, admitted); pages and downloads are compressed.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext

from locator.areas.units import load_boundaries
from locator.model import KIND_LABELS, N_, Kind
from locator.planning import exports, scenario
from locator.planning.coverage import threshold_metres
from locator.planning.plan import Plan
from locator.web import plans
from locator.web.config import settings
from locator.web.params import Args
from locator.web.service import current_registry

__all__ = ["bp"]

bp = Blueprint("planner", __name__, url_prefix="/planner")

CLASS_LABELS = (N_("within 500 m"), N_("500 m – 1 km"), N_("1–2 km"), N_("2–5 km"),
                N_("over 5 km"))
COLUMNS = {"name": N_("Unit"), "area_km2": N_("Area (km²)"),
           "covered_share": N_("Covered share of area"), "worst_gap_m": N_("Worst gap (m)"),
           "stations": N_("Stations"), "stations_per_km2": N_("Stations per km²")}
PEOPLE_COLUMNS = {"people": N_("People"), "people_share": N_("Covered share of people")}
LEVEL_LABELS = {"district": N_("Districts"), "subdistrict": N_("Subdistricts (街道)"),
                "community": N_("Communities (社区)")}
POOL_LABELS = {"grid": N_("anywhere in the grid"), "partner": N_("partner sites (合作站点)"),
               "file": N_("the uploaded candidate file")}


def _link_args(q: plans.PlanQuery) -> dict[str, Any]:
    out: dict[str, Any] = {"area": q.area, "n": q.n, "level": q.level}
    if q.kinds:
        out["kind"] = ",".join(q.kinds)
    if q.pool != "grid":
        out["pool"] = q.pool
    if q.minutes is not None:
        out.update(minutes=f"{q.minutes:g}", mode=q.mode)
    else:
        out["radius"] = f"{q.radius:g}"
    if q.compare:
        out["compare"] = q.compare
        if q.radius2 is not None:
            out["radius2"] = f"{q.radius2:g}"
        if q.minutes2 is not None:
            out["minutes2"] = f"{q.minutes2:g}"
    return out


def _rows(plan: Plan, sort: str, desc: bool) -> list[dict[str, Any]]:
    rows = []
    for r in plan.rows[:-1]:
        d = r.as_dict()
        d["people_share"] = (d["people_covered"] / d["people"]) if d["people"] else None
        rows.append(d)
    rows.sort(key=lambda r: (r[sort] is None, r[sort] if r[sort] is not None else 0),
              reverse=desc)
    return rows


def _comparison(plan: Plan, q: plans.PlanQuery) -> tuple[str, list[dict[str, Any]]] | None:
    if q.compare == "sites" and plan.suggestion is not None and plan.suggestion.steps:
        steps = plan.suggestion.steps
        other = scenario.with_sites(plan.coverage,
                                    np.array([s.candidate.lon for s in steps]),
                                    np.array([s.candidate.lat for s in steps]))
        title = gettext("Today and with the %(n)d suggested sites", n=len(steps))
    elif q.compare == "target":
        metres = threshold_metres(radius_m=q.radius2, minutes=q.minutes2,
                                  mode="ebike" if q.mode == "ebike" else "walk",
                                  travel=current_registry().index.travel)
        other = scenario.retarget(plan.coverage, metres)
        a, b = (f"{m:,.0f}" for m in (plan.coverage.threshold_m, metres))
        title = gettext("Within %(a)s m and within %(b)s m", a=a, b=b)
    else:
        return None
    return title, [c.as_dict() for c in scenario.compare(plan, other)]


def _page(template: str) -> str:
    args = Args(request.args)
    q = plans.page_query(args)
    with plans.planned(q) as plan:  # a new plan keeps its slot while the page is drawn
        return _draw(template, args, q, plan)


def _draw(template: str, args: Args, q: plans.PlanQuery, plan: Plan) -> str:
    sort = args.raw("sort") or "covered_share"
    if sort not in COLUMNS and sort not in PEOPLE_COLUMNS:
        sort = "covered_share"
    desc = (args.raw("order") or "asc") == "desc"
    tiles = settings().default_tiles
    from locator.maps.planner import planner_map, planner_parts  # (folium: with the first map)

    fmap = planner_map(plan, current_registry().index.stations, tiles=tiles,
                       labels={"legend": gettext("Distance to the nearest station"),
                               "gap": gettext("Gap"), "site": gettext("New site"),
                               "people": gettext("People per km² (demand layer)"),
                               "distance": gettext("Distance classes")},
                       class_labels=[gettext(c) for c in CLASS_LABELS],
                       static_url=lambda p: url_for("static", filename=p),
                       tianditu_key=settings().tianditu_key)
    columns = {k: gettext(v) for k, v in COLUMNS.items()}
    if plan.basis == "people":
        columns.update({k: gettext(v) for k, v in PEOPLE_COLUMNS.items()})
    demand = plans.demand_input()
    return render_template(
        template, parts=planner_parts(fmap), plan=plan, rows=_rows(plan, sort, desc),
        total=plan.rows[-1].as_dict(), q=q, link=_link_args(q), sort=sort, desc=desc,
        columns=columns, areas=[load_boundaries().area, *load_boundaries().units],
        levels={k: gettext(v) for k, v in LEVEL_LABELS.items()},
        pools={k: gettext(v) for k, v in POOL_LABELS.items()},
        kind_labels={k.value: gettext(KIND_LABELS[k]) for k in Kind},
        comparison=_comparison(plan, q), demand=None if demand is None else demand.meta,
        candidates=plans.candidates_input() is not None,
        show_demo_banner=plan.synthetic_stations > 0)


@bp.get("/")
def index() -> str:
    """The planner page."""
    return _page("planner/index.html")


@bp.get("/report")
def report() -> str:
    """The printable report: the same map and tables, no controls."""
    return _page("planner/report.html")


def _labels(table: dict[str, str]) -> dict[str, str]:
    return {k: gettext(v) for k, v in table.items()}


def _download(body: str | bytes, mimetype: str, name: str) -> Response:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


def _plan() -> Plan:
    return plans.plan_for(plans.page_query(Args(request.args)))


@bp.get("/units.csv")
def units_download() -> Response:
    """The per-unit table as CSV (BOM, the page's language in the headers, the meta rows)."""
    plan = _plan()
    return _download(exports.units_csv(plan, _labels(exports.UNIT_LABELS)),
                     "text/csv; charset=utf-8", f"units-{plan.boundaries.area.code}.csv")


@bp.get("/sites.csv")
def sites_download() -> Response:
    """The suggested sites as CSV."""
    plan = _plan()
    return _download(exports.sites_csv(plan, _labels(exports.SITE_LABELS)),
                     "text/csv; charset=utf-8", f"sites-{plan.boundaries.area.code}.csv")


@bp.get("/plan.xlsx")
def xlsx_download() -> Response:
    """Units, sites and meta as an Excel workbook."""
    plan = _plan()
    return _download(exports.plan_xlsx(plan, _labels(exports.UNIT_LABELS),
                                       _labels(exports.SITE_LABELS)),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     f"plan-{plan.boundaries.area.code}.xlsx")


@bp.get("/plan.geojson")
def plan_download() -> Response:
    """Gap polygons and suggested sites as GeoJSON (``meta``: target, basis, registry…)."""
    plan = _plan()
    body = json.dumps(exports.plan_geojson(plan), ensure_ascii=False, allow_nan=False)
    return _download(body, "application/geo+json",
                     f"plan-{plan.boundaries.area.code}.geojson")
