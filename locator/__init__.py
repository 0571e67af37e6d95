"""locator: find the nearest trade-union service station in Lanzhou."""

from __future__ import annotations

from locator.app import create_app

__version__ = "0.1.0"
__all__ = ["__version__", "create_app"]
