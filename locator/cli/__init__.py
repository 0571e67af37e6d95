"""The ``locator`` command line. Each topic lives in its own module and adds its commands here.

Commands work on the same configuration as the web app (defaults, instance file,
``LOCATOR_*`` environment), so ``LOCATOR_REGISTRY=... locator nearest ...`` answers
exactly what the API would.
"""

from __future__ import annotations

import json
import sys

import click
from flask import Flask

from locator import config, create_app
from locator.errors import LocatorError
from locator.geojson import hits_collection

__all__ = ["Failed", "main", "settings"]


class Failed(click.ClickException):
    """A project error, shown as one line with exit status 2."""

    exit_code = 2


def settings() -> Flask:
    """An app carrying only the configuration (nothing loaded): for commands that need the
    instance folder and settings, not the served registry."""
    app = Flask("locator.app", instance_relative_config=True)
    config.load(app)
    return app


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Lanzhou trade-union station locator."""


@main.command()
@click.option("--lat", type=click.FloatRange(-90, 90), required=True, help="WGS-84 latitude.")
@click.option("--lon", type=click.FloatRange(-180, 180), required=True, help="WGS-84 longitude.")
@click.option("-k", type=click.IntRange(1, 50), default=5, show_default=True)
def nearest(lat: float, lon: float, k: int) -> None:
    """Print the k nearest stations as GeoJSON."""
    app = create_app()
    registry = app.extensions["locator"]
    hits = registry.index.query(lon, lat, k=k)
    click.echo(json.dumps(hits_collection(hits), ensure_ascii=False, indent=1))


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the app with Flask's server (use gunicorn 'locator:create_app()' in production)."""
    create_app().run(host=host, port=port)


def run() -> None:
    """Entry point: turn project errors into one clear line and exit status 2."""
    try:
        main(standalone_mode=True)
    except LocatorError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)


from locator.cli import areas as _areas  # noqa: E402,F401 - adds areas import/list/remove
from locator.cli import coverage as _coverage  # noqa: E402,F401 - adds coverage/suggest
from locator.cli import registry as _registry  # noqa: E402,F401 - adds import/export/registry
from locator.cli import users as _users  # noqa: E402,F401 - adds user add/remove/passwd/role/list
