"""``locator nearest``: the API's nearest answer on the command line, byte for byte.

Its options are made from the API's own parameter declaration
(:class:`locator.web.api.queries.NearestQuery`, bound to ``MAX_K``/``DEFAULT_K``), the
values are checked by the same parser and the body comes from the same
:func:`~locator.web.api.stations.nearest_answer`, so ``locator nearest --lat … --kind …``
prints exactly what ``GET /api/v1/nearest?lat=…&kind=…`` answers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import click
from werkzeug.datastructures import MultiDict

from locator.errors import QueryError
from locator.stations import hours
from locator.web.api.queries import NearestQuery, parse
from locator.web.api.stations import bound_nearest_query, json_bytes, nearest_answer
from locator.web.app import create_app
from locator.web.config import settings
from locator.web.service import imported_areas, served

__all__ = ["nearest"]

_SHORT = {"k": "-k"}


def _options(f: Callable[..., Any]) -> Callable[..., Any]:
    """One ``--name`` option per API parameter (``lang`` is the web page's, not ours)."""
    for name, field in reversed(NearestQuery.model_fields.items()):
        if name == "lang":
            continue
        flags = [f"--{name.replace('_', '-')}", *([_SHORT[name]] if name in _SHORT else [])]
        f = click.option(*flags, name, default=None, metavar="TEXT" if name != "k" else "N",
                         help=field.description)(f)
    return f


@click.command()
@_options
def nearest(**given: str | None) -> None:
    """Print the nearest stations as the API answers them (GeoJSON, one line).

    Every option is the API parameter of the same name, with the same checks; lists are
    comma-separated (``--kind smart_station,box_station``).
    """
    app = create_app()
    args = MultiDict([(k, v) for k, v in given.items() if v is not None])
    now = hours.now()
    try:
        query = parse(bound_nearest_query(app), args, now=now)
    except QueryError as exc:
        flag = _SHORT.get(exc.param or "", f"--{(exc.param or '').replace('_', '-')}")
        raise click.UsageError(f"{flag}: {exc.message}") from None
    try:
        body = nearest_answer(query, served(app), now=now, areas=partial(imported_areas, app),
                              stale_days=settings(app).verified_stale_days)
    except QueryError as exc:
        raise click.UsageError(f"--{exc.param}: {exc.message}") from None
    click.echo(json_bytes(body).decode(), nl=False)
