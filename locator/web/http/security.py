"""Security headers on every response, and the request size limit.

Every response carries:

* ``Content-Security-Policy`` (one header): ``default-src 'self'``; ``script-src 'self'``
  plus this request's nonce (:mod:`locator.web.http.csp`) and **no** ``'unsafe-inline'``, so
  neither an injected ``<script>`` nor an ``onclick=`` attribute runs; ``style-src`` the
  same (folium's ``<style>`` elements get the nonce too; style *attributes* in markup are
  refused, while Leaflet's positioning through ``element.style`` is CSSOM, which CSP
  does not govern); ``img-src 'self' data:`` plus the tile servers of
  :data:`locator.maps.layers.TILES`; ``connect-src 'self'``; ``object-src 'none'``;
  ``base-uri 'none'``; ``form-action 'self'``; and ``frame-ancestors`` from
  :mod:`locator.web.http.framing` (``'none'``, or the embedding origins on ``/embed``).
* ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: strict-origin-when-cross-origin``
  (tile servers learn the site, never the visitor's ``?lat=&lon=``).
* ``Strict-Transport-Security: max-age=31536000`` only when the request came over HTTPS
  (behind a proxy, wrap the app in ``werkzeug.middleware.proxy_fix.ProxyFix`` so Flask
  sees the original scheme); a plain-HTTP answer never carries it.

Bodies larger than ``MAX_CONTENT_LENGTH`` (default 1 MiB; the upload page raises its own
limit to ``IMPORT_MAX_BYTES``) are refused with ``413`` and a message naming the limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from locator.maps.layers import TILES
from locator.web.http import csp, framing
from locator.web.http.errors import render_http_error

__all__ = ["HSTS", "content_security_policy", "init_app", "tile_sources"]

_KEY = "locator.security"
#: Sent on HTTPS answers only: one year, this host only (subdomains are not ours to bind).
HSTS = "max-age=31536000"


def tile_sources(urls: Iterable[str]) -> tuple[str, ...]:
    """CSP source expressions for Leaflet tile URL templates (``{s}`` hosts become ``*.``).

    >>> tile_sources(["https://webrd0{s}.is.autonavi.com/t?x={x}"])
    ('https://*.is.autonavi.com',)
    """
    found: list[str] = []
    for url in urls:
        parts = urlsplit(url)
        host = parts.netloc
        if "{" in host:
            host = "*." + host.split(".", 1)[1]
        source = f"{parts.scheme}://{host}"
        if source not in found:
            found.append(source)
    return tuple(found)


def content_security_policy(nonce: str | None, frame_ancestors: str,
                            images: Iterable[str] = ()) -> str:
    """The policy text for one response.

    Parameters
    ----------
    nonce : str or None
        This request's nonce, when a page used one.
    frame_ancestors : str
        The ``frame-ancestors`` directive (from :mod:`locator.web.http.framing`).
    images : iterable of str
        Extra ``img-src`` sources (tile servers).
    """
    inline = f" 'nonce-{nonce}'" if nonce else ""
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self'{inline}",
        f"style-src 'self'{inline}",
        " ".join(("img-src 'self' data:", *images)),
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        frame_ancestors,
    ))


def init_app(app: Flask) -> None:
    """Add the headers to every response; ``csp_nonce()`` in templates; a clear 413."""
    urls = [u for spec in TILES.values() for u in (spec.url, *spec.overlays)]
    app.extensions[_KEY] = tile_sources(urls)
    app.jinja_env.globals["csp_nonce"] = csp.nonce
    app.jinja_env.filters["with_nonce"] = csp.with_nonce  # map headers folium rendered
    app.after_request(_headers)
    app.register_error_handler(RequestEntityTooLarge, _too_large)


def _headers(response: Response) -> Response:
    images: tuple[str, ...] = current_app.extensions[_KEY]
    response.headers["Content-Security-Policy"] = content_security_policy(
        csp.nonce_if_used(), framing.frame_ancestors_directive(), images)
    deny = framing.x_frame_options()
    if deny:
        response.headers["X-Frame-Options"] = deny
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def _too_large(exc: RequestEntityTooLarge) -> Response:
    limit = request.max_content_length
    sent = request.content_length
    exc.description = _("The request is too large: %(sent)s bytes sent, %(limit)s accepted.",
                        sent="?" if sent is None else sent,
                        limit="?" if limit is None else limit)
    return render_http_error(exc)
