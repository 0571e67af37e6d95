"""``locator coverage``, ``locator suggest`` and ``locator inputs``: the planner from the shell.

``coverage``/``suggest`` answer from the same function as the ``/planner`` page and
``/api/v1/coverage`` (:func:`locator.web.plans.compute`, with the deployment's stored
population layer and candidate file unless ``--demand``/``--candidates`` replace them or
``--no-stored`` leaves them out), write the page's downloads — ``units.csv``, ``sites.csv``,
``plan.xlsx``, ``plan.geojson`` — into ``--out`` (headers in ``--lang``) and print a report
(``--json``: the API's answer). ``inputs add|list|remove`` stores the planner inputs the
page's ``/planner/inputs`` stores.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from locator.areas.units import LEVELS
from locator.errors import LocatorError
from locator.files.atomic import write_atomic
from locator.model import Kind
from locator.planning import exports, inputstore
from locator.planning.demand import KINDS, read_demand
from locator.planning.inputs import read_candidates
from locator.planning.plan import POOLS, Plan, summary
from locator.web import plans
from locator.web.app import create_app
from locator.web.params import Args

__all__ = ["coverage_command", "inputs_group", "suggest_command"]

_STAGES = ("grid", "distances", "units", "gaps")


def _options(f: Any) -> Any:
    for opt in reversed([
        click.option("--district", metavar="CODE", help="A district code (default: the city)."),
        click.option("--level", type=click.Choice(LEVELS),
                     help="Units of the table (default: districts for the city, subdistricts "
                          "in a district); without imported polygons (locator areas import) "
                          "stations are counted per unit by their codes."),
        click.option("--resolution", type=click.IntRange(5, 11),
                     help="H3 resolution (default LOCATOR_PLANNER_RESOLUTION, as the page)."),
        click.option("--radius", "radius_m", type=float,
                     help="Covered within this many metres (steps of 50; default 1000)."),
        click.option("--minutes", type=float,
                     help="Covered within this many minutes (steps of 0.5) of --mode travel."),
        click.option("--mode", type=click.Choice(["walk", "ebike"]), default="walk",
                     show_default=True),
        click.option("--kind", "kinds", multiple=True, type=click.Choice([k.value for k in Kind]),
                     help="Count only stations of this kind (repeatable)."),
        click.option("--demand", type=click.Path(dir_okay=False),
                     help="Population: a GeoTIFF, people per unit (CSV/XLSX) or points with a "
                          "population column; default: the stored layer (locator inputs)."),
        click.option("--demand-kind", type=click.Choice(KINDS),
                     help="What --demand is (default: recognised from the file)."),
        click.option("--demand-level", type=click.Choice(LEVELS), default="district",
                     show_default=True, help="Units a --demand table names."),
        click.option("--no-stored", is_flag=True,
                     help="Ignore the stored population layer and candidate file."),
        click.option("--datum", type=click.Choice(["wgs84", "gcj02", "bd09"]), default="wgs84",
                     show_default=True, help="Datum of --demand/--candidates coordinates."),
        click.option("--lang", type=click.Choice(["zh_CN", "en"]), default="zh_CN",
                     show_default=True, help="Language of the files' headers."),
        click.option("--json", "as_json", is_flag=True,
                     help="Print the /api/v1/coverage answer instead of the report."),
        click.option("-o", "--out", type=click.Path(file_okay=False), default=".",
                     show_default=True, help="Folder for the files."),
    ]):
        f = opt(f)
    return f


def _query(o: dict[str, Any], sites: int, pool: str) -> plans.PlanQuery:
    args: dict[str, str] = {"n": str(sites), "pool": pool, "mode": o["mode"]}
    for key, name in (("district", "area"), ("level", "level"), ("radius_m", "radius"),
                      ("minutes", "minutes")):
        if o[key] is not None:
            args[name] = f"{o[key]:g}" if isinstance(o[key], float) else str(o[key])
    if o["kinds"]:
        args["kind"] = ",".join(o["kinds"])
    q = plans.page_query(Args(MultiDict(args)))
    return replace(q, resolution=int(o["resolution"])) if o["resolution"] else q


def _run(o: dict[str, Any], sites: int, candidates: str | None, pool: str) -> Plan:
    try:
        app = create_app()
        with app.test_request_context(f"/?lang={o['lang']}"):
            q = _query(o, sites, pool)
            demand = None
            if o["demand"]:
                demand = read_demand(o["demand"], kind=o["demand_kind"],
                                     level=o["demand_level"], datum=o["datum"])
                for p in demand.problems:
                    click.echo(str(p), err=True)
            pool_sites = None
            if candidates:
                pool_sites, problems = read_candidates(candidates, datum=o["datum"])
                for p in problems:
                    click.echo(str(p), err=True)
            stages = len(_STAGES) + (1 if sites else 0)
            err: Any = sys.stderr
            with click.progressbar(length=stages, label="coverage", file=err) as bar:
                plan = plans.compute(q, demand=demand, candidates=pool_sites,
                                     use_stored=not o["no_stored"],
                                     step=lambda _: bar.update(1), sites=sites)
            _write(plan, Path(o["out"]))
    except LocatorError as exc:
        raise click.ClickException(exc.message) from None
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    return plan


def _write(plan: Plan, folder: Path) -> None:
    units = {k: gettext(v) for k, v in exports.UNIT_LABELS.items()}
    site = {k: gettext(v) for k, v in exports.SITE_LABELS.items()}
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "units.csv", exports.units_csv(plan, units).encode("utf-8"))
    write_atomic(folder / "sites.csv", exports.sites_csv(plan, site).encode("utf-8"))
    write_atomic(folder / "plan.xlsx", exports.plan_xlsx(plan, units, site))
    write_atomic(folder / "plan.geojson", json.dumps(
        exports.plan_geojson(plan), ensure_ascii=False, allow_nan=False).encode("utf-8"))


def _report(plan: Plan) -> None:
    total = plan.rows[-1]
    target = f"{plan.coverage.threshold_m:,.0f} m"
    if plan.target is not None and plan.target.minutes:
        target = (f"{plan.target.minutes:g} min {plan.target.mode} (≈ {target} in a straight "
                  f"line)")
    if plan.synthetic_stations:
        click.echo(f"演示数据 / demonstration data: {plan.synthetic_stations} of "
                   f"{plan.stations} stations are synthetic, not real sites.")
    if plan.basis == "people":
        click.echo(f"{plan.boundaries.area.name}: {plan.covered_share:.1%} of the people "
                   f"({total.people_covered or 0:,.0f} of {total.people or 0:,.0f}, demand "
                   f"layer {plan.demand}) live within {target} of a station; "
                   f"{total.covered_share:.1%} of the area")
    else:
        click.echo(f"{plan.boundaries.area.name}: {total.covered_share:.1%} of the area is "
                   f"within {target} of a station — share of area, not people (no "
                   f"population layer loaded)")
    for row in plan.rows[:-1]:
        click.echo(f"  {row.code or '-':>9} {row.name or row.level:<8} {row.covered_share:7.1%}"
                   f"  worst gap {row.worst_gap_m or 0:>9,.0f} m  stations {row.stations}")
    if not plan.polygons:
        _code_report(plan)
    if plan.gaps:
        g = plan.gaps[0]
        who = f"{g.people:,.0f} people, " if g.people is not None else ""
        click.echo(f"largest gap: {who}{g.area_m2 / 1e6:,.2f} km² around ({g.lon}, {g.lat})")


def _code_report(plan: Plan) -> None:
    click.echo(f"no {plan.level} polygons were imported (locator areas import), so area "
               f"coverage is not available per {plan.level}; stations counted by the "
               f"{plan.level} code they carry:")
    for c in plan.code_counts:
        if c.stations:
            label = c.name if c.known else ("(code not in the list)" if c.code else
                                            "(no code)")
            click.echo(f"  {c.code or '-':>20} {label:<12} stations {c.stations}"
                       f" (demonstration {c.synthetic})")
    empty = sum(1 for c in plan.code_counts if not c.stations)
    click.echo(f"  {empty} {plan.level} units have no station by code")


@click.command("coverage")
@_options
def coverage_command(**o: Any) -> None:
    """Coverage of the city (or a district): per-unit table and gap polygons."""
    plan = _run(o, 0, None, "grid")
    if o["as_json"]:
        click.echo(json.dumps(summary(plan), ensure_ascii=False, indent=1))
    else:
        _report(plan)


@click.command("suggest")
@_options
@click.option("-n", "sites", type=click.IntRange(1, 200), default=5, show_default=True,
              help="How many new sites.")
@click.option("--pool", type=click.Choice(POOLS), default="grid", show_default=True,
              help="Where sites may go: any grid cell, the partner stations, or the "
                   "candidate file (--candidates, else the stored one).")
@click.option("--candidates", type=click.Path(dir_okay=False),
              help="Candidate sites (points: id, name, lon, lat); implies --pool file.")
def suggest_command(sites: int, pool: str, candidates: str | None, **o: Any) -> None:
    """Suggest N new sites (existing stations fixed), named by where they are."""
    plan = _run(o, sites, candidates, "file" if candidates else pool)
    if o["as_json"]:
        click.echo(json.dumps(summary(plan), ensure_ascii=False, indent=1))
        return
    _report(plan)
    if plan.suggestion is not None:
        click.echo(f"before: {plan.suggestion.before:.2%}")
        for row in exports.site_rows(plan):
            where = " · ".join(x for x in (row["district"], row["subdistrict"],
                                           row["community"]) if x) or "outside every district"
            near = f", {row['near_m'] / 1000:.1f} km from {row['near']}" if row["near"] else ""
            gain = (f"+{row['gain']:,.0f} people" if row["gain_of"] == "people"
                    else f"+{row['gain']:.2f} km²")
            click.echo(f"  {row['rank']:>3}. ({row['lon']:.6f}, {row['lat']:.6f}) {where}"
                       f"{near} {row['name']!s} {gain} → {row['covered_share']:.2%}")


@click.group("inputs")
def inputs_group() -> None:
    """The planner's population layer and candidate file (as /planner/inputs)."""


@inputs_group.command("add")
@click.argument("what", type=click.Choice(inputstore.INPUTS))
@click.argument("path", type=click.Path(dir_okay=False, exists=True))
@click.option("--kind", type=click.Choice(KINDS), help="Demand kind (default: recognised).")
@click.option("--level", type=click.Choice(LEVELS), default="district", show_default=True,
              help="Units a population table names.")
@click.option("--datum", type=click.Choice(["wgs84", "gcj02", "bd09"]), default="wgs84",
              show_default=True)
@click.option("--allow-partial", is_flag=True, help="Store even if some rows are refused.")
def inputs_add(what: str, path: str, kind: str | None, level: str, datum: str,
               allow_partial: bool) -> None:
    """Check a file and store it as the planner's WHAT (demand or candidates)."""
    app = create_app()
    try:
        with app.test_request_context("/"):
            meta, problems = plans.store_input(
                what, Path(path).read_bytes(), Path(path).name, kind=kind, level=level,
                datum=datum, by="cli", allow_partial=allow_partial)
    except LocatorError as exc:
        raise click.ClickException(exc.message) from None
    for p in problems:
        click.echo(str(p), err=True)
    if meta is None:
        click.echo(f"{len(problems)} rows refused: nothing stored (--allow-partial to store "
                   f"the rest)", err=True)
        sys.exit(1)
    click.echo(json.dumps({k: v for k, v in meta.items() if k != "history"},
                          ensure_ascii=False))


@inputs_group.command("list")
def inputs_list() -> None:
    """Show the stored inputs."""
    app = create_app()
    with app.app_context():
        for what, found in (("demand", plans.demand_input()),
                            ("candidates", plans.candidates_input())):
            shown = {k: v for k, v in found.meta.items() if k != "history"} if found else None
            click.echo(f"{what}: {json.dumps(shown, ensure_ascii=False)}")


@inputs_group.command("remove")
@click.argument("what", type=click.Choice(inputstore.INPUTS))
def inputs_remove(what: str) -> None:
    """Stop using the stored WHAT."""
    app = create_app()
    gone = inputstore.remove(inputstore.data_dir(app.config, app.instance_path), what)
    click.echo(f"{what}: {'removed' if gone else 'none stored'}")
