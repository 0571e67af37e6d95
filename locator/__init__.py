"""locator: find the nearest trade-union service station in Lanzhou.

``import locator`` loads no web framework: the library is :mod:`locator.geo`,
:mod:`locator.stations`, :mod:`locator.areas`, :mod:`locator.registry`,
:mod:`locator.planning` and :mod:`locator.maps`; the web app is made by
:func:`locator.web.app.create_app`, also reachable as ``locator.create_app`` (imported on
first use, so ``gunicorn 'locator:create_app()'`` and ``flask --app locator`` work).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "create_app"]

if TYPE_CHECKING:
    from locator.web.app import create_app


def __getattr__(name: str) -> Any:
    """``locator.create_app``, imported when first asked for (PEP 562)."""
    if name == "create_app":
        from locator.web.app import create_app

        return create_app
    raise AttributeError(f"module 'locator' has no attribute {name!r}")
