"""``locator import``, ``export``, ``template`` and ``locator registry check|history|rollback``.

They read the same configuration as the web app (``STORE``, ``REGISTRY_BOUNDARY``,
``IMPORT_MAX_BYTES``) and go through :mod:`locator.registry.importer`, the code
path the upload page uses too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import shapely
from flask import Flask

from locator.areas.store import imported_units
from locator.cli.common import Failed, settings
from locator.errors import LocatorError
from locator.geo.datum import Datum
from locator.model import Station
from locator.registry import importer
from locator.registry.columns import parse_mapping
from locator.registry.export import EXPORT_FORMATS, export_stations
from locator.registry.load import load_files
from locator.registry.messages import Gettext, cli_gettext, problem_line
from locator.registry.records import station_from_record
from locator.registry.store import COLUMNS, Store, encode_station, open_store
from locator.registry.template import template_csv, template_xlsx

__all__ = ["export_command", "import_command", "registry", "served_registry", "template_command"]


@contextmanager
def _store(location: str | None) -> Iterator[Store]:
    app = settings()
    try:
        store = open_store(location or importer.store_location(app.config, app.instance_path))
    except LocatorError as exc:
        raise Failed(exc.message) from None
    try:
        yield store
    except LocatorError as exc:
        raise Failed(exc.message) from None
    finally:
        store.close()


_STORE_OPTION = click.option("--store", "store_location", metavar="PATH|URL",
                             help="GeoPackage path or postgresql:// URL (default: STORE).")


def _print_report(prepared: importer.Prepared, _: Gettext) -> None:
    report = prepared.report
    click.echo(_("%(name)s: %(format)s%(encoding)s, datum %(datum)s, sha256 %(sha)s") % {
        "name": prepared.name, "format": prepared.format,
        "encoding": f" ({prepared.encoding})" if prepared.encoding else "",
        "datum": prepared.datum.value, "sha": prepared.sha256[:12]})
    click.echo(_("rows: %(rows)d  accepted: %(ok)d  rejected: %(bad)d  with warnings: "
                 "%(warned)d") % {"rows": report.rows, "ok": report.accepted,
                                  "bad": prepared.rejected, "warned": report.warned})
    datums = ", ".join(f"{k} {v}" for k, v in sorted(report.datums.items())) or "-"
    click.echo(_("coordinates given in: %(datums)s; placed by address: %(placed)d") % {
        "datums": datums, "placed": report.placed})
    for problem in report.problems:
        click.echo(f"  {problem_line(problem, _)}")


def served_registry(app: Flask) -> tuple[Callable[[], list[Station]], str]:
    """What the app serves while the store holds no version (``REGISTRY`` files or the
    shipped data), loaded when first needed, and how to name it."""
    from locator.web.service import registry_paths

    paths = registry_paths(app.config["REGISTRY"])
    return (lambda: load_files(paths)[0]), ", ".join(p.name for p in paths)


_LANG_OPTION = click.option("--lang", default=None, metavar="LOCALE",
                            help="Language of the report: zh_CN or en (default: the "
                                 "BABEL_DEFAULT_LOCALE setting, Chinese).")


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--mode", type=click.Choice(importer.MODES), default="merge", show_default=True,
              help="merge: add and update stations by id, keep the rest; replace: the file is "
                   "the whole registry (removals are listed).")
@click.option("--datum", default="wgs84", show_default=True,
              help="Datum of coordinates in rows without a 坐标系 column: wgs84 (GPS), gcj02 "
                   "(Amap, 高德), bd09 (Baidu, 百度).")
@click.option("--mapping", default=None, metavar="COL=FIELD,...",
              help="Source columns for fields whose names are not recognised.")
@click.option("--layer", default=None, help="GeoPackage layer or XLSX sheet to read.")
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.option("--allow-partial", is_flag=True, help="Import the good rows even if some are "
                                                     "rejected (exit 0).")
@click.option("--user", default=None, help="Who is importing (default: the login name).")
@_LANG_OPTION
@_STORE_OPTION
def import_command(file: Path, mode: str, datum: str, mapping: str | None, layer: str | None,
                   dry_run: bool, allow_partial: bool, user: str | None, lang: str | None,
                   store_location: str | None) -> None:
    """Validate FILE (GeoJSON, CSV, XLSX, GeoPackage) and store it as a new version.

    Prints every problem of every row (in Chinese unless --lang en); exits 1 when rows were
    rejected (nothing is written) unless --allow-partial. On a store with no version yet, the
    registry being served is stored first as version 1, so a rollback can go back to it.
    """
    app = settings()
    _ = cli_gettext(lang or str(app.config["BABEL_DEFAULT_LOCALE"]))
    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            if total < 5000:
                return
            bar = click.progressbar(length=total, label="validating", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        prepared = importer.prepare(
            file, datum=Datum.parse(datum), mapping=parse_mapping(mapping), layer=layer,
            boundary=importer.boundary_from_setting(app.config["REGISTRY_BOUNDARY"]),
            max_bytes=int(app.config["IMPORT_MAX_BYTES"]), progress=progress,
            areas=imported_units(app.config, app.instance_path))
    except LocatorError as exc:
        raise Failed(exc.message) from None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    _print_report(prepared, _)
    if prepared.rejected and not allow_partial:
        click.echo(_("%(n)d rows rejected: nothing imported (fix them, or use --allow-partial "
                     "to import the good rows)") % {"n": prepared.rejected}, err=True)
        sys.exit(1)
    if dry_run:
        click.echo(_("dry run: nothing written"))
        return
    served, source = served_registry(app)
    with _store(store_location) as store:
        version = importer.commit(store, prepared, user=user or importer.user_name(),
                                  allow_partial=allow_partial, mode=mode, served=served,
                                  served_source=source)
        report = store.report(version.id) or {}
        warnings = list(store.warnings)  # the version stands; an operator should look
    removed = report.get("removed") or []
    if removed:  # (every id is in the version's report; a screen shows the first 20)
        shown = ", ".join(removed[:20]) + (f", … (+{len(removed) - 20})" if len(removed) > 20
                                           else "")
        click.echo(_("%(n)d stations removed: %(ids)s") % {"n": len(removed), "ids": shown})
        if mode == "merge":
            click.echo(_("(demonstration stations are never kept beside real ones)"))
    click.echo(_("stored as version %(id)d in %(store)s (%(n)d stations)") % {
        "id": version.id, "store": store.location, "n": version.accepted})
    for text in warnings:
        click.echo(_("warning: %(text)s") % {"text": text}, err=True)


@click.command("template")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write it: .xlsx (with a sheet explaining each column) or .csv.")
@_LANG_OPTION
def template_command(output: Path, lang: str | None) -> None:
    """Write the registry template: Chinese headers, two example rows, and (XLSX) a sheet
    explaining each column and the values it accepts."""
    app = settings()
    _ = cli_gettext(lang or str(app.config["BABEL_DEFAULT_LOCALE"]))
    data = template_csv() if output.suffix.lower() == ".csv" else template_xlsx(_)
    output.write_bytes(data)
    click.echo(_("template written to %(path)s") % {"path": output})


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file (csv/geojson go to standard output when omitted).")
@click.option("--version", "version", type=int, default=None,
              help="Version to export (default: the active one).")
@_STORE_OPTION
def export_command(fmt: str, output: Path | None, version: int | None,
                   store_location: str | None) -> None:
    """Export the store's registry as csv, xlsx, geojson or gpkg."""
    if output is None and fmt in ("xlsx", "gpkg"):
        raise click.BadParameter(f"{fmt} is binary: give --output FILE", param_hint="--output")
    with _store(store_location) as store:
        if store.active() is None:
            raise Failed(f"the store {store.location} holds no registry yet")
        stations = store.stations(version)
    data = export_stations(stations, fmt, output)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        click.echo(f"{len(stations)} stations written to {output}", err=True)


@click.group("registry")
def registry() -> None:
    """Inspect the registry store: check, history, rollback."""


@registry.command("check")
@_STORE_OPTION
def check(store_location: str | None) -> None:
    """Check the store's consistency and re-validate every active station (exit 1 on problems)."""
    app = settings()
    with _store(store_location) as store:
        problems = list(store.check())
        stations = store.stations()
        active = store.active()
    area = importer.boundary_from_setting(app.config["REGISTRY_BOUNDARY"])
    for s in stations:
        record = dict(zip(COLUMNS, encode_station(s), strict=True))
        try:
            station_from_record(record, lon=s.lon, lat=s.lat)
        except ValueError as exc:
            problems.append(f"station {s.id!r}: {exc}")
        if (area is not None and s.lon is not None and s.lat is not None
                and not shapely.contains_xy(area, s.lon, s.lat)):
            problems.append(f"station {s.id!r}: outside the service area ({s.lon}, {s.lat})")
    label = "empty" if active is None else f"version {active.id}, {len(stations)} stations"
    click.echo(f"{store.location}: {label}; {len(problems)} problems")
    for line in problems:
        click.echo(f"  {line}")
    if problems:
        sys.exit(1)


@registry.command("history")
@_STORE_OPTION
def history(store_location: str | None) -> None:
    """List every imported version (newest first) and every import or rollback."""
    with _store(store_location) as store:
        versions = store.history()
        log = store.log()
    if not versions:
        click.echo("no versions yet")
        return
    click.echo("version  created (UTC)              user        rows  accepted  rejected  "
               "datum  sha256        source")
    for v in versions:
        mark = "*" if v.active else " "
        click.echo(f"{mark}{v.id:<7} {v.created_at:<26} {v.user[:10]:<10} {v.rows:>6} "
                   f"{v.accepted:>9} {v.rejected:>9}  {v.datum:<6} {v.sha256[:12]}  {v.source}")
    click.echo("log:")
    for entry in log:
        click.echo(f"  {entry.at}  {entry.user}  {entry.action} → version {entry.version}")


@registry.command("rollback")
@click.option("--user", default=None, help="Who rolls back (default: the login name).")
@_STORE_OPTION
def rollback(user: str | None, store_location: str | None) -> None:
    """Make the version before the active one active again."""
    with _store(store_location) as store:
        version = store.rollback(user=user or importer.user_name())
        warnings = list(store.warnings)
    click.echo(f"version {version.id} ({version.source}, {version.accepted} stations) is "
               "active again")
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)

