"""``locator import``, ``locator export`` and ``locator registry check|history|rollback``.

They read the same configuration as the web app (``STORE``, ``REGISTRY_BOUNDARY``,
``IMPORT_MAX_BYTES``) and go through :mod:`locator.registry.importer`, the code
path the upload page uses too.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import shapely

from locator.cli.common import Failed, settings
from locator.errors import LocatorError
from locator.registry import importer
from locator.registry.export import EXPORT_FORMATS, export_stations
from locator.registry.records import station_from_record
from locator.registry.store import COLUMNS, Store, encode_station, open_store
from locator.registry.validate import parse_mapping

__all__ = ["export_command", "import_command", "registry"]


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


def _print_report(prepared: importer.Prepared) -> None:
    report = prepared.report
    click.echo(f"{prepared.name}: {prepared.format}"
               f"{f' ({prepared.encoding})' if prepared.encoding else ''}, datum "
               f"{prepared.datum.value}, sha256 {prepared.sha256[:12]}")
    click.echo(f"rows: {report.rows}  accepted: {report.accepted}  rejected: {prepared.rejected}")
    for problem in report.problems:
        click.echo(f"  {problem}")


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--datum", type=click.Choice(["wgs84", "gcj02", "bd09"]), default="wgs84",
              show_default=True, help="Datum of the file's coordinates (Amap: gcj02, Baidu: bd09).")
@click.option("--mapping", default=None, metavar="COL=FIELD,...",
              help="Source columns for fields whose names are not recognised.")
@click.option("--layer", default=None, help="GeoPackage layer or XLSX sheet to read.")
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.option("--allow-partial", is_flag=True, help="Import the good rows even if some are "
                                                     "rejected (exit 0).")
@click.option("--user", default=None, help="Who is importing (default: the login name).")
@_STORE_OPTION
def import_command(file: Path, datum: str, mapping: str | None, layer: str | None,
                   dry_run: bool, allow_partial: bool, user: str | None,
                   store_location: str | None) -> None:
    """Validate FILE (GeoJSON, CSV, XLSX, GeoPackage) and store it as a new version.

    Prints every rejected row; exits 1 when rows were rejected (nothing is written)
    unless --allow-partial.
    """
    app = settings()
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
            file, datum=datum, mapping=parse_mapping(mapping), layer=layer,
            boundary=importer.boundary_from_setting(app.config["REGISTRY_BOUNDARY"]),
            max_bytes=int(app.config["IMPORT_MAX_BYTES"]), progress=progress)
    except LocatorError as exc:
        raise Failed(exc.message) from None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    _print_report(prepared)
    if prepared.rejected and not allow_partial:
        click.echo(f"{prepared.rejected} rows rejected: nothing imported (fix them, or use "
                   "--allow-partial to import the good rows)", err=True)
        sys.exit(1)
    if dry_run:
        click.echo("dry run: nothing written")
        return
    with _store(store_location) as store:
        version = importer.commit(store, prepared, user=user or importer.user_name(),
                                  allow_partial=allow_partial)
        click.echo(f"stored as version {version.id} in {store.location} "
                   f"({version.accepted} stations)")
        for warning in store.warnings:  # the version stands; an operator should look
            click.echo(f"warning: {warning}", err=True)


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

