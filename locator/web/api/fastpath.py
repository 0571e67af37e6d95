"""``GET /api/v1/nearest`` answered beside Flask: the hottest read without per-request machinery.

Why: Flask's request context, routing and the app's fourteen hooks were about half of a
national-size nearest answer (in-process, timed per hook: ~335 of ~660 µs), and the reason the
served endpoint stayed near 60 % of a bare Flask + cKDTree endpoint. Under load this path
takes 0.71 ms of CPU per request where the same app through Flask takes 1.16 ms
(``bench/load.py --quick --flask-path``, issue 8).

What is answered here: a ``GET`` of exactly ``/api/v1/nearest`` whose query holds only the
endpoint's documented parameters, with no ``Origin`` (CORS) and no conditional header. Such
a request gets what Flask would send, built from the same parts:

* the query parsed by werkzeug's ``Request.args`` and validated by the view's own code
  (:func:`locator.web.api.stations.nearest_answer`), serialised by the same
  :func:`~locator.web.api.stations.json_bytes`;
* the same per-client count in the same limiter storage
  (:func:`locator.web.http.ratelimit.count_api_request`);
* the same check for a new store version (:func:`locator.web.service.refresh`);
* the headers the app's hooks wrote on the first such answer, which is sent through Flask and
  recorded per URL scheme (security headers, ``Vary``, ``Cache-Control``), plus this body's own
  ``Content-Length`` and ``ETag`` (werkzeug's ``generate_etag``, as ``Response.add_etag``).

Everything else goes to Flask untouched — any bad parameter (so errors keep their translated
messages and one format), a refusal by the rate limit (Flask counts it again and answers
``429``: the client is over the limit either way), a ``HEAD``, a ``?lang=``, a conditional or
cross-origin request. ``tests/test_fastpath.py`` checks that both paths give the same status,
headers and bytes. ``API_FAST_PATH = False`` turns this off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from flask import Flask
from werkzeug.http import generate_etag, quote_etag
from werkzeug.wrappers import Request

from locator.stations import hours
from locator.web import service
from locator.web.api.queries import parse
from locator.web.api.stations import bound_nearest_query, json_bytes, nearest_answer
from locator.web.config import settings
from locator.web.http.ratelimit import count_api_request

__all__ = ["NearestFastPath", "init_app"]

PATH = "/api/v1/nearest"
_KEY = "locator.fastpath"
_BESIDE_FLASK = ("HTTP_ORIGIN", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")
_PER_BODY = frozenset({"content-length", "etag"})
_PER_CLIENT = frozenset({"set-cookie", "content-encoding"})  # never recorded: never sent here

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def init_app(app: Flask) -> None:
    """Put the fast path in front of ``app.wsgi_app`` unless ``API_FAST_PATH`` is false."""
    if settings(app).api_fast_path:
        fast = NearestFastPath(app, app.wsgi_app)
        app.extensions[_KEY] = fast
        app.wsgi_app = fast  # type: ignore[method-assign]


class NearestFastPath:
    """WSGI middleware answering plain nearest queries; the rest goes to ``flask``."""

    def __init__(self, app: Flask, flask: WSGIApp) -> None:
        self.app = app
        self.flask = flask
        self.headers: dict[str, list[tuple[str, str]]] = {}  # per URL scheme
        self.answered = 0  # requests answered here (for tests and curious operators)
        self._mimetype = str(app.json.mimetype)  # type: ignore[attr-defined]
        self._query = bound_nearest_query(app)
        self._stale_days = settings(app).verified_stale_days
        self._areas = partial(service.imported_areas, app)
        self._params = frozenset(self._query.model_fields) - {"lang"}  # lang: Flask's

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        if (environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "GET"
                or any(h in environ for h in _BESIDE_FLASK)):
            return self.flask(environ, start_response)
        args = Request(environ, populate_request=False).args
        if not self._params.issuperset(args.keys()):
            return self.flask(environ, start_response)
        scheme = str(environ.get("wsgi.url_scheme", "http"))
        headers = self.headers.get(scheme)
        if headers is None:
            return self._record(scheme, environ, start_response)
        if count_api_request(self.app, environ.get("REMOTE_ADDR")) is not None:
            return self.flask(environ, start_response)  # Flask answers the 429
        service.refresh(self.app)
        try:
            now = hours.now()
            body = json_bytes(nearest_answer(parse(self._query, args, now=now),
                                             service.served(self.app), now=now,
                                             areas=self._areas,
                                             stale_days=self._stale_days))
        except Exception:
            # a bad parameter or a fault: the same code runs again inside Flask, which answers
            # in its error format (a 400 naming the parameter; a 500 with a logged error id).
            # The rate limit then counts this request twice: harmless, and rare.
            return self.flask(environ, start_response)
        start_response("200 OK", [*headers, ("Content-Length", str(len(body))),
                                  ("ETag", quote_etag(generate_etag(body)))])
        self.answered += 1
        return [body]

    def _record(self, scheme: str, environ: dict[str, Any],
                start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Send the request through Flask and keep the headers its hooks wrote, if usable.

        Usable: a ``200`` of this endpoint's JSON, neither setting a cookie nor compressed.
        Anything else (a bad first query, say) records nothing; the next request tries again.
        """
        def recording(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            names = {name.lower() for name, _ in headers}
            if status.startswith("200 ") and not names & _PER_CLIENT and any(
                    name.lower() == "content-type" and value.startswith(self._mimetype)
                    for name, value in headers):
                self.headers[scheme] = [(name, value) for name, value in headers
                                        if name.lower() not in _PER_BODY]
            return start_response(status, headers, *exc)

        return self.flask(environ, recording)
