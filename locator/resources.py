"""Where the package's own data lies: templates and the shipped geodata, read as package data.

Both folders live inside the package (``locator/templates``, ``locator/geodata``; the
top-level ``templates`` and ``geodata`` of a checkout are links to them), so a wheel or a
non-editable install finds them exactly where a checkout does. Paths come from
:func:`importlib.resources.files`, never from ``__file__`` arithmetic spread over modules.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["geodata_dir", "lanzhou", "templates_dir"]


def _package_dir(name: str) -> Path:
    # the package is installed unzipped (zip_safe = False), so its resources are real files
    return Path(str(files("locator").joinpath(name)))


def templates_dir() -> Path:
    """The Jinja templates of the web pages."""
    return _package_dir("templates")


def geodata_dir() -> Path:
    """The shipped public geodata (each file's source, datum and licence in its README)."""
    return _package_dir("geodata")


def lanzhou(name: str) -> Path:
    """A file of the shipped Lanzhou data, e.g. ``lanzhou("boundaries.geojson")``."""
    return geodata_dir() / "lanzhou" / name
