"""Who may put our pages in a frame: ``/embed`` for the configured origins, nothing else.

``/embed`` answers ``Content-Security-Policy: frame-ancestors 'self' <EMBED_ALLOWED_ORIGINS>``;
every other response answers ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``
(for browsers too old for CSP). With :mod:`locator.web.security` installed (as
``create_app`` does) the directive is part of its one ``Content-Security-Policy`` header;
without it, it is added as a header of its own.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from locator.web.origins import parse_origins

__all__ = ["FRAMEABLE_ENDPOINTS", "frame_ancestors", "frame_ancestors_directive", "init_app"]

#: Endpoints other sites may frame.
FRAMEABLE_ENDPOINTS = frozenset({"embed.widget"})
_KEY = "locator.framing"


def init_app(app: Flask) -> None:
    """Check ``EMBED_ALLOWED_ORIGINS`` and add the framing headers to every response."""
    app.extensions[_KEY] = parse_origins(app.config["EMBED_ALLOWED_ORIGINS"],
                                         key="EMBED_ALLOWED_ORIGINS")
    app.after_request(_framing_headers)


def frame_ancestors() -> tuple[str, ...]:
    """The origins allowed to frame ``/embed`` in the current app (besides 'self')."""
    origins: tuple[str, ...] = current_app.extensions[_KEY]
    return origins


def frame_ancestors_directive() -> str:
    """The ``frame-ancestors`` directive for the current request's endpoint."""
    if request.endpoint in FRAMEABLE_ENDPOINTS:
        origins = current_app.extensions.get(_KEY, ())
        return "frame-ancestors " + " ".join(("'self'", *origins))
    return "frame-ancestors 'none'"


def _framing_headers(response: Response) -> Response:
    if "locator.security" not in current_app.extensions:  # else it is in the one CSP header
        response.headers.add("Content-Security-Policy", frame_ancestors_directive())
    if request.endpoint not in FRAMEABLE_ENDPOINTS:
        response.headers["X-Frame-Options"] = "DENY"
    return response
