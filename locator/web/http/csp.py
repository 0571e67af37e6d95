"""Content-Security-Policy nonces: one random value per request for every inline script/style.

The app's policy (:mod:`locator.web.http.security`) allows scripts only from the app itself
and inline ``<script>``/``<style>`` elements that carry this request's nonce, so an
injected ``<script>`` (through a station name, say) never runs. Templates write
``<script nonce="{{ csp_nonce() }}">``; HTML rendered by folium passes through
:func:`with_nonce`, which adds the nonce to every ``<script>`` and ``<style>`` tag in it.
"""

from __future__ import annotations

import re
import secrets

from flask import g, has_app_context
from markupsafe import Markup

__all__ = ["nonce", "nonce_if_used", "with_nonce"]

_ATTR = "_locator_csp_nonce"
_TAG = re.compile(r"<(script|style)\b(?![^>]*\snonce=)", re.IGNORECASE)


def nonce() -> str:
    """The current request's nonce (made on first use; 128 random bits, URL-safe text).

    Outside an app context (a map rendered by a script) there is no policy, so an
    empty string is returned and :func:`with_nonce` leaves HTML as it is.
    """
    if not has_app_context():
        return ""
    value: str | None = getattr(g, _ATTR, None)
    if value is None:
        value = secrets.token_urlsafe(16)
        setattr(g, _ATTR, value)
    return value


def nonce_if_used() -> str | None:
    """The nonce if anything in this request asked for it, else ``None``."""
    if not has_app_context():
        return None
    found: str | None = getattr(g, _ATTR, None)
    return found


def with_nonce(html: str, value: str | None = None) -> Markup:
    """``html`` with ``nonce="…"`` added to each ``<script>``/``<style>`` tag lacking one.

    Only for HTML the app itself rendered (folium's header): untrusted text must never
    reach here unescaped, or it would be given the nonce too.

    Parameters
    ----------
    html : str
        Rendered HTML.
    value : str, optional
        The nonce; default :func:`nonce` (the current request's).
    """
    token = nonce() if value is None else value
    if not token:
        return Markup(html)  # noqa: S704 - HTML the app rendered (see docstring)
    return Markup(_TAG.sub(lambda m: f'{m.group(0)} nonce="{token}"', html))  # noqa: S704
