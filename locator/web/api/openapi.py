"""OpenAPI 3.1 generated from the code: the routes in the URL map and their declarations.

Each API view is declared with :func:`operation` (summary, parameters, response schema,
error statuses); :func:`build_spec` walks ``app.url_map`` and assembles the document with
apispec. A route under ``/api/`` without a declaration is left out of the spec, and a
meta-test fails on it. The spec is served at ``/api/v1/openapi.json`` and rendered as a
plain HTML page at ``/api/v1/docs`` (no Swagger UI, nothing from a CDN).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from apispec import APISpec
from flask import Blueprint, Flask, Response, current_app, jsonify, render_template
from flask_babel import gettext

import locator
from locator.web.api.queries import Query, openapi_parameters
from locator.web.api.schemas import SCHEMAS, Schema, ref
from locator.web.http.scope import is_public_api

__all__ = ["Operation", "bp", "build_spec", "operation", "path_param", "spec"]

F = TypeVar("F", bound=Callable[..., Any])
JSON = "application/json"

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")


#: A view's query parameters: a declaration, or a function of the app that binds one to its
#: settings (``k`` up to ``MAX_K``).
QuerySpec = type[Query] | Callable[[Flask], type[Query]] | None


@dataclass(frozen=True, slots=True)
class Operation:
    """What the spec says about one view."""

    summary: str
    response: Schema
    query: QuerySpec = None
    path: tuple[Schema, ...] = ()
    errors: tuple[int, ...] = (400,)
    media_type: str = JSON
    tag: str = "stations"

    def parameters(self, app: Flask) -> list[Schema]:
        """Path parameters, then the query's, from the view's declaration bound to ``app``."""
        query = self.query
        if query is not None and not isinstance(query, type):
            query = query(app)
        return [*self.path, *([] if query is None else openapi_parameters(query))]


_OPERATIONS: dict[Callable[..., Any], Operation] = {}

_ERRORS = {
    400: ("BadParameter", "A parameter is missing, malformed or out of range; `param` names it."),
    404: ("NotFound", "Nothing has that id."),
    429: ("RateLimited", "Too many requests from this client; wait `Retry-After` seconds."),
    503: ("Busy", "Plans are computed a few at a time; all slots are taken: wait `Retry-After` s."),
}


def operation(summary: str, *, response: Schema, query: QuerySpec = None,
              path: Sequence[Schema] = (), errors: Sequence[int] = (400,),
              media_type: str = JSON, tag: str = "stations") -> Callable[[F], F]:
    """Declare a view for the spec (the view's docstring becomes the description).

    Parameters
    ----------
    summary : str
        One line.
    response : dict
        JSON Schema of the 200 body (usually :func:`~locator.web.api.schemas.ref`).
    query : Query subclass, or a function of the app returning one
        The view's query parameters (:mod:`locator.web.api.queries`): the same
        declaration its parser uses.
    path : sequence of dict
        From :func:`path_param`.
    errors : sequence of int
        Error statuses the view can answer besides 429 (``400``, ``404``).
    """
    unknown = [e for e in errors if e not in _ERRORS]
    if unknown:
        raise ValueError(f"no error response for statuses {unknown!r}; known: {sorted(_ERRORS)}")

    def declare(view: F) -> F:
        _OPERATIONS[view] = Operation(summary, response, query, tuple(path), tuple(errors),
                                      media_type, tag)
        return view

    return declare


def path_param(name: str, description: str) -> Schema:
    """A path segment parameter (a string)."""
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "string", "minLength": 1}, "description": description}


def _path(rule: str) -> str:
    """Flask's ``/stations/<string:id>`` as OpenAPI's ``/stations/{id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _description(view: Callable[..., Any]) -> str:
    doc = (view.__doc__ or "").strip()
    return re.sub(r"\s*\n\s*", " ", doc.split("\n\n")[0])


def _responses(op: Operation) -> Schema:
    ok: Schema = {"description": "OK", "headers": {
        "ETag": {"description": "Hash of the body; send it back in If-None-Match.",
                 "schema": {"type": "string"}},
        "Cache-Control": {"schema": {"type": "string"}}},
        "content": {op.media_type: {"schema": op.response}}}
    out: Schema = {"200": ok, "304": {"description": "Not modified: If-None-Match matched."}}
    for status in (*op.errors, 429):
        out[str(status)] = {"$ref": f"#/components/responses/{_ERRORS[status][0]}"}
    return out


def build_spec(app: Flask) -> Schema:
    """The OpenAPI 3.1 document of every declared route under ``/api/`` in ``app``."""
    spec = APISpec(
        title="locator API", version=f"1 ({locator.__version__})", openapi_version="3.1.0",
        info={"description": "Lanzhou trade-union stations as GeoJSON (RFC 7946, WGS-84). "
                             "Read-only, rate-limited per client; every error is "
                             "`{\"error\": {\"code\", \"message\", \"param\"?}}`."})
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema)
    for status, (name, text) in _ERRORS.items():
        response: Schema = {"description": text,
                            "content": {JSON: {"schema": ref("Error")}}}
        if status == 429:
            response["headers"] = {"Retry-After": {
                "description": "Seconds to wait.", "schema": {"type": "integer"}}}
        spec.components.response(name, response)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        op = _OPERATIONS.get(app.view_functions[rule.endpoint])
        if not is_public_api(rule.rule) or op is None:
            continue
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        spec.path(path=_path(rule.rule), operations={method.lower(): {
            "operationId": app.view_functions[rule.endpoint].__name__, "summary": op.summary,
            "description": _description(app.view_functions[rule.endpoint]),
            "tags": [op.tag], "parameters": op.parameters(app), "responses": _responses(op),
        } for method in methods})
    return spec.to_dict()


def spec() -> Schema:
    """The current app's spec (built once per app)."""
    cached: Schema | None = current_app.extensions.get("locator.openapi")
    if cached is None:
        cached = current_app.extensions["locator.openapi"] = build_spec(current_app)
    return cached


@bp.get("/openapi.json")
@operation("This document: the OpenAPI 3.1 description of the API.",
           response={"type": "object", "required": ["openapi", "paths"]}, errors=(), tag="meta")
def openapi_json() -> Response:
    """The OpenAPI 3.1 document of API v1, generated from the code."""
    return jsonify(spec())


@bp.get("/docs")
@operation("This documentation as an HTML page.", response={"type": "string"}, errors=(),
           media_type="text/html", tag="meta")
def docs() -> str:
    """A readable page of the spec: every path, its parameters and its responses."""
    document = spec()
    return render_template("api/docs.html", spec=document, title=gettext("API documentation"))
