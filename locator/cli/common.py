"""What every ``locator`` command shares: the one-line failure and the configuration."""

from __future__ import annotations

import click
from flask import Flask

from locator.web import config

__all__ = ["Failed", "settings"]


class Failed(click.ClickException):
    """A project error, shown as one line with exit status 2."""

    exit_code = 2


def settings() -> Flask:
    """An app carrying only the configuration (nothing loaded): for commands that need the
    instance folder and settings, not the served registry."""
    app = Flask("locator", instance_relative_config=True)
    config.load(app)
    return app
