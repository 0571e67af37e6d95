"""Languages: Chinese (zh_CN) first, English on request, through Flask-Babel.

The chosen language comes from ``?lang=`` (and is remembered in a cookie by the
page), else the cookie, else ``BABEL_DEFAULT_LOCALE``. Catalogs live in
``locator/translations`` and are compiled by ``make`` (``pybabel compile``).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request, url_for
from flask_babel import Babel, get_locale

from locator.web.config import settings

__all__ = ["LANG_COOKIE", "init_app", "lang_url", "select_locale"]

LANG_COOKIE = "lang"


def select_locale() -> str:
    """The visitor's language: query, then cookie, then the default."""
    languages = settings().languages
    for candidate in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in languages:
            return str(candidate)
    return settings().babel_default_locale


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with the project's locale selector."""
    Babel(app, locale_selector=select_locale)
    app.add_template_global(lang_url)
    app.add_template_global(get_locale)
    app.add_template_global(select_locale, "page_language")  # one of LANGUAGES, e.g. zh_CN
    app.after_request(_remember_language)


def lang_url(language: str) -> str:
    """The current page's URL with its query kept and ``lang`` set to ``language``."""
    values: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict()}
    values["lang"] = language
    return url_for(request.endpoint or "finder.index", **values)


def _remember_language(response: Response) -> Response:
    """Keep an explicit ``?lang=`` choice in a cookie for the next pages."""
    chosen = request.args.get("lang")
    if chosen is not None and chosen in settings().languages:
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax")
    return response
