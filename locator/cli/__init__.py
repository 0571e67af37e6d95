"""The ``locator`` command line: one group, and every topic's commands added to it here.

Commands work on the same configuration as the web app (defaults, instance file,
``LOCATOR_*`` environment), so ``LOCATOR_REGISTRY=... locator nearest ...`` answers
exactly what the API would.
"""

from __future__ import annotations

import sys

import click

from locator.cli import areas, coverage, registry, users
from locator.cli.common import Failed, settings
from locator.cli.nearest import nearest
from locator.errors import LocatorError
from locator.web.app import create_app

__all__ = ["Failed", "main", "run", "settings"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Lanzhou trade-union station locator."""


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the app with Flask's server (use gunicorn 'locator:create_app()' in production)."""
    create_app().run(host=host, port=port)


for command in (nearest, serve, registry.import_command, registry.export_command,
                registry.template_command, registry.registry, coverage.coverage_command,
                coverage.suggest_command, coverage.inputs_group, areas.areas_group, users.user):
    main.add_command(command)


def run() -> None:
    """Entry point: turn project errors into one clear line and exit status 2."""
    try:
        main(standalone_mode=True)
    except LocatorError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
