"""``locator areas import|list|remove``: planners' subdistrict and community polygons.

``import`` reads a GeoJSON, GeoPackage or zipped Shapefile, prints every rejected row
(file, row, column, value, reason) and every note (repairs, normalised-name matches),
and stores the accepted polygons in ``AREAS_DIR`` (default ``instance/areas``). Like
``locator import`` it exits 1 and writes nothing when a row was rejected, unless
``--allow-partial``; 2 when the file cannot be read at all.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from locator.areas.imports import AREA_LEVELS, AreaImport, prepare_areas
from locator.areas.store import areas_dir, list_areas, remove_areas, save_areas
from locator.cli.common import settings
from locator.errors import LocatorError

__all__ = ["areas_group"]


def _folder() -> Path:
    """``AREAS_DIR`` of the app's configuration."""
    app = settings()
    return areas_dir(app.config, app.instance_path)


@click.group("areas")
def areas_group() -> None:
    """Subdistrict (街道) and community (社区) polygons for the planner's per-unit tables."""


def _report(result: AreaImport) -> None:
    for p in result.problems:
        click.echo(f"rejected: {p}", err=True)
    for n in result.notes:
        click.echo(f"note: {n}", err=True)
    click.echo(f"{result.source}: {result.rows} rows, {len(result.units)} {result.level} "
               f"polygons accepted, {len(result.problems)} rejected")


@areas_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--level", type=click.Choice(AREA_LEVELS), required=True,
              help="Which level the polygons are.")
@click.option("--datum", type=click.Choice(["wgs84", "gcj02", "bd09"]), default="wgs84",
              show_default=True, help="Datum of lon/lat coordinates (Amap: gcj02, Baidu: bd09).")
@click.option("--name-field", help="Column with the unit's name (default: 名称/name/...).")
@click.option("--code-field", help="Column with the unit's code (default: 代码/code/...).")
@click.option("--district-field", help="Column with the district name or code.")
@click.option("--parent-field", help="Column with the parent subdistrict (communities).")
@click.option("--layer", help="GeoPackage layer, or the Shapefile's name inside the zip.")
@click.option("--dry-run", is_flag=True, help="Check and report; store nothing.")
@click.option("--allow-partial", is_flag=True,
              help="Store the accepted polygons even when rows were rejected (exit 0).")
def import_command(file: str, level: str, datum: str, name_field: str | None,
                   code_field: str | None, district_field: str | None,
                   parent_field: str | None, layer: str | None, dry_run: bool,
                   allow_partial: bool) -> None:
    """Import FILE (GeoJSON, GeoPackage, Shapefile .zip) as the LEVEL polygons."""
    try:
        result = prepare_areas(file, level=level, datum=datum, name_field=name_field,
                               code_field=code_field, district_field=district_field,
                               parent_field=parent_field, layer=layer,
                               max_bytes=int(settings().config["IMPORT_MAX_BYTES"]))
    except LocatorError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    _report(result)
    if not result.units:
        click.echo("nothing stored: no valid polygon", err=True)
        sys.exit(1)
    if result.problems and not allow_partial:
        click.echo("nothing stored: rows were rejected (fix them, or --allow-partial)", err=True)
        sys.exit(1)
    if dry_run:
        click.echo("dry run: nothing stored")
        return
    path = save_areas(_folder(), result)
    click.echo(f"stored {len(result.units)} {level} polygons in {path}")


@areas_group.command("list")
def list_command() -> None:
    """List the imported levels."""
    found = list_areas(_folder())
    if not found:
        click.echo("no subdistrict or community polygons imported; per-unit tables stop at "
                   "districts (stations are counted per code)")
    for stored in found:
        m = stored.meta
        click.echo(f"{stored.level}: {len(stored.units)} polygons from {m.get('source')} "
                   f"(sha256 {str(m.get('sha256', ''))[:12]}, datum {m.get('datum')}, "
                   f"imported {m.get('imported_at')})")


@areas_group.command("remove")
@click.option("--level", type=click.Choice(AREA_LEVELS), required=True)
def remove_command(level: str) -> None:
    """Remove one level's imported polygons."""
    if remove_areas(_folder(), level):
        click.echo(f"removed the {level} polygons")
    else:
        click.echo(f"no {level} polygons were imported")
