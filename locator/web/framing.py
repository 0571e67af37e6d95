"""Who may put our pages in a frame: ``/embed`` for the configured origins, nothing else.

``/embed`` answers ``Content-Security-Policy: frame-ancestors 'self' <EMBED_ALLOWED_ORIGINS>``;
every other response answers ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``
(for browsers too old for CSP). The policy is added as its own header, so a page's other
CSP headers, if any, still apply.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from locator.web.origins import parse_origins

__all__ = ["FRAMEABLE_ENDPOINTS", "frame_ancestors", "init_app"]

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


def _framing_headers(response: Response) -> Response:
    if request.endpoint in FRAMEABLE_ENDPOINTS:
        sources = " ".join(("'self'", *frame_ancestors()))
        response.headers.add("Content-Security-Policy", f"frame-ancestors {sources}")
    else:
        response.headers.add("Content-Security-Policy", "frame-ancestors 'none'")
        response.headers["X-Frame-Options"] = "DENY"
    return response
