"""Compressed answers (Flask-Compress: zstd/br/gzip as the browser accepts) for the pages that
carry a map's station data, their JSON helpers, the planner's pages and downloads (not
XLSX: a zip already) and ``/static``; nothing else.

A finder page or ``/embed`` widget with 10,000 stations compresses about 4:1 (the whole
finder page, assets included, measured 211 KB on the wire against 670 KB uncompressed,
``bench/finder_page.py``). API answers are left as they are: small, and hashed for their
``ETag`` as sent.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_compress import Compress

__all__ = ["COMPRESSED_ENDPOINTS", "init_app"]

#: Endpoints whose answers are compressed.
COMPRESSED_ENDPOINTS = frozenset({"finder.index", "finder.place_search", "finder.station",
                                  "embed.widget", "static", "planner.index", "planner.report",
                                  "planner.units_download", "planner.sites_download",
                                  "planner.plan_download"})
_compress = Compress()


def init_app(app: Flask) -> None:
    """Compress :data:`COMPRESSED_ENDPOINTS` (only: Flask-Compress's own hook stays off)."""
    app.config["COMPRESS_REGISTER"] = False
    # Flask-Compress's streaming path swaps the body for a generator and drops the file's
    # close(), leaking the handle (a ResourceWarning); streamed bodies (e.g. 206 ranges)
    # go out as they are, and static files are made whole below before compressing
    app.config["COMPRESS_STREAMS"] = False
    _compress.init_app(app)  # fills the default mimetypes; the planner's downloads join them
    _compress.compress_mimetypes_set |= {"text/csv", "application/geo+json"}
    app.after_request(_maybe_compress)


def _maybe_compress(response: Response) -> Response:
    if request.endpoint not in COMPRESSED_ENDPOINTS:
        return response
    if response.direct_passthrough and response.status_code == 200:
        # a static file: read it whole (closed when the server closes the response) so it
        # is compressed as one body, with gzip too, not as a stream
        response.direct_passthrough = False
        response.make_sequence()
    return _compress.after_request(response)
