"""Configuration: defaults → instance file → ``LOCATOR_*`` environment → test overrides.

The layers fill ``app.config``; :class:`locator.settings.Settings` checks the result once,
at start-up, and its typed values are written back, so a bad value stops the app here
rather than failing requests. :func:`settings` gives the checked model to the code that
runs in a request.
"""

from __future__ import annotations

from typing import Any, TypeGuard

from flask import Flask, current_app

from locator.settings import PREFIX, Settings

__all__ = ["is_locator_app", "load", "settings"]

_KEY = "locator.settings"


def load(app: Flask, test_config: dict[str, Any] | None = None) -> Settings:
    """Fill ``app.config`` in layers, check it and keep the checked :class:`Settings`.

    Raises
    ------
    ConfigError
        Naming the variable and the value, for any setting that fails its check.
    """
    app.config.from_mapping(Settings.defaults())
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(PREFIX.rstrip("_"))
    if test_config is not None:
        app.config.from_mapping(test_config)
    checked = Settings.check(app.config)
    app.config.update(checked.as_config())
    app.extensions[_KEY] = checked
    return checked


def is_locator_app(app: object) -> TypeGuard[Flask]:
    """Whether ``app`` is a Flask app this module configured (not some other WSGI app)."""
    extensions = getattr(app, "extensions", None)
    return isinstance(extensions, dict) and _KEY in extensions


def settings(app: Flask | None = None) -> Settings:
    """The checked settings of ``app`` (default: the current app)."""
    found: Settings = (app or current_app).extensions[_KEY]
    return found
