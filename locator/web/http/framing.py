"""Who may put our pages in a frame: ``/embed`` for the configured origins, nothing else.

``/embed`` answers ``Content-Security-Policy: frame-ancestors 'self' <EMBED_ALLOWED_ORIGINS>``;
every other response answers ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``
(for browsers too old for CSP). This module decides; :mod:`locator.web.http.security` writes
both into every response, the directive as part of its one ``Content-Security-Policy``.
"""

from __future__ import annotations

from flask import request

from locator.web.config import settings

__all__ = ["FRAMEABLE_ENDPOINTS", "frame_ancestors", "frame_ancestors_directive",
           "x_frame_options"]

#: Endpoints other sites may frame.
FRAMEABLE_ENDPOINTS = frozenset({"embed.widget"})


def frame_ancestors() -> tuple[str, ...]:
    """The origins allowed to frame ``/embed`` in the current app (besides 'self')."""
    return settings().embed_allowed_origins


def frame_ancestors_directive() -> str:
    """The ``frame-ancestors`` directive for the current request's endpoint."""
    if request.endpoint in FRAMEABLE_ENDPOINTS:
        return "frame-ancestors " + " ".join(("'self'", *frame_ancestors()))
    return "frame-ancestors 'none'"


def x_frame_options() -> str | None:
    """``DENY`` for every response but the frameable ones (``None``: send no header)."""
    return None if request.endpoint in FRAMEABLE_ENDPOINTS else "DENY"
