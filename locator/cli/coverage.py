"""``locator coverage`` and ``locator suggest``: the planner's figures as files.

Both write the files the ``/planner`` page offers for download: ``units.csv`` (the
per-unit table) and ``plan.geojson`` (gap polygons and suggested sites), into
``--out`` (default: the current folder), and print a short report.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from locator.areas.store import areas_for
from locator.areas.units import LEVELS, default_level, load_boundaries
from locator.errors import LocatorError
from locator.files.atomic import write_atomic
from locator.model import Kind
from locator.planning.coverage import Mode, grid_for
from locator.planning.inputs import demand_per_cell, read_candidates, read_points
from locator.planning.plan import Plan, make_plan, plan_geojson, units_csv
from locator.stations.nearest import Filters
from locator.web.app import create_app

__all__ = ["coverage_command", "suggest_command"]

_STAGES = ("grid", "distances", "units", "gaps")


def _options(f: Any) -> Any:
    for opt in reversed([
        click.option("--district", metavar="CODE", help="A district code (default: the city)."),
        click.option("--level", type=click.Choice(LEVELS),
                     help="Units of the table (default: districts for the city, subdistricts "
                          "in a district); without imported polygons (locator areas import) "
                          "stations are counted per unit by their codes."),
        click.option("--resolution", type=click.IntRange(5, 11), default=9, show_default=True,
                     help="H3 resolution (9: cells of about 0.1 km²)."),
        click.option("--radius", "radius_m", type=click.FloatRange(1, 100_000, min_open=False),
                     help="Covered within this many metres (default 1000)."),
        click.option("--minutes", type=click.FloatRange(0.5, 600),
                     help="Covered within this many minutes of --mode travel instead."),
        click.option("--mode", type=click.Choice(["walk", "ebike"]), default="walk",
                     show_default=True),
        click.option("--kind", "kinds", multiple=True, type=click.Choice([k.value for k in Kind]),
                     help="Count only stations of this kind (repeatable)."),
        click.option("--demand", type=click.Path(dir_okay=False),
                     help="Population points (lon, lat, population) to report people."),
        click.option("--datum", type=click.Choice(["wgs84", "gcj02", "bd09"]), default="wgs84",
                     show_default=True, help="Datum of --demand/--candidates coordinates."),
        click.option("-o", "--out", type=click.Path(file_okay=False), default=".",
                     show_default=True, help="Folder for units.csv and plan.geojson."),
    ]):
        f = opt(f)
    return f


def _run(district: str | None, level: str | None, resolution: int, radius_m: float | None,
         minutes: float | None, mode: Mode, kinds: tuple[str, ...], demand: str | None,
         datum: str, out: str, sites: int, candidates: str | None) -> Plan:
    if radius_m is not None and minutes is not None:
        raise click.UsageError(f"give --radius or --minutes, not both (got {radius_m!r} and "
                               f"{minutes!r})")
    try:
        app = create_app()
        registry = app.extensions["locator"]
        level = level or default_level(district)
        stored = areas_for(app.config, app.instance_path, level)
        bounds = load_boundaries()
        if district:
            bounds = bounds.district(district)
        people = None
        if demand:
            points = read_points(demand, datum=datum, weight=True)
            for p in points.problems:
                click.echo(str(p), err=True)
            people, outside = demand_per_cell(points, grid_for(bounds, resolution))
            click.echo(f"demand: {people.sum():,.0f} people in the area, {outside:,.0f} outside")
        pool = None
        if candidates:
            pool, problems = read_candidates(candidates, datum=datum)
            for p in problems:
                click.echo(str(p), err=True)
        stages = len(_STAGES) + (1 if sites else 0)
        err: Any = sys.stderr
        with click.progressbar(length=stages, label="coverage", file=err) as bar:
            plan = make_plan(
                registry.index, bounds, resolution=resolution, radius_m=radius_m,
                minutes=minutes, mode=mode,
                filters=Filters(kinds=frozenset(Kind(k) for k in kinds)) if kinds else None,
                sites=sites, candidates=pool, people=people, step=lambda _: bar.update(1),
                level=level, areas=None if stored is None else stored.units,
                registry_stations=registry.stations)
    except LocatorError as exc:
        raise click.ClickException(exc.message) from None
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "units.csv", units_csv(plan).encode("utf-8"))
    write_atomic(folder / "plan.geojson", json.dumps(plan_geojson(plan), ensure_ascii=False,
                                                     allow_nan=False).encode("utf-8"))
    return plan


def _report(plan: Plan) -> None:
    total = plan.rows[-1]
    target = f"{plan.coverage.threshold_m:,.0f} m"
    if plan.synthetic_stations:
        click.echo(f"演示数据 / demonstration data: {plan.synthetic_stations} of "
                   f"{plan.stations} stations are synthetic, not real sites.")
    basis = "people" if plan.basis == "people" else "area, not people (no demand layer given)"
    click.echo(f"{plan.boundaries.area.name}: {total.covered_share:.1%} covered within "
               f"{target} — share of {basis}")
    for row in plan.rows[:-1]:
        click.echo(f"  {row.code or '-':>9} {row.name or row.level:<8} {row.covered_share:7.1%}"
                   f"  worst gap {row.worst_gap_m or 0:>9,.0f} m  stations {row.stations}")
    if not plan.polygons:
        _code_report(plan)
    if plan.gaps:
        g = plan.gaps[0]
        click.echo(f"largest gap: {g.area_m2 / 1e6:,.2f} km² around ({g.lon}, {g.lat})")


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
def coverage_command(district: str | None, level: str | None, resolution: int,
                     radius_m: float | None, minutes: float | None, mode: Mode,
                     kinds: tuple[str, ...], demand: str | None, datum: str, out: str) -> None:
    """Coverage of the city (or a district): per-unit table and gap polygons."""
    _report(_run(district, level, resolution, radius_m, minutes, mode, kinds, demand, datum,
                 out, 0, None))


@click.command("suggest")
@_options
@click.option("-n", "sites", type=click.IntRange(1, 200), default=5, show_default=True,
              help="How many new sites.")
@click.option("--candidates", type=click.Path(dir_okay=False),
              help="Candidate sites (points: id, name, lon, lat); default: grid cell centres.")
def suggest_command(district: str | None, level: str | None, resolution: int,
                    radius_m: float | None, minutes: float | None, mode: Mode,
                    kinds: tuple[str, ...], demand: str | None, datum: str, out: str, sites: int,
                    candidates: str | None) -> None:
    """Suggest N new sites (existing stations fixed), with coverage after each one."""
    plan = _run(district, level, resolution, radius_m, minutes, mode, kinds, demand, datum,
                out, sites, candidates)
    _report(plan)
    if plan.suggestion is not None:
        click.echo(f"before: {plan.suggestion.before:.2%}")
        for s in plan.suggestion.steps:
            c = s.candidate
            click.echo(f"  {s.rank:>3}. ({c.lon:.6f}, {c.lat:.6f}) {c.name!s:<12} → "
                       f"{s.covered_share:.2%}")
