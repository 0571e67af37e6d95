"""Static files under content-hashed names, cached for a year; nothing else is cached for long.

``url_for("static", filename="css/app.css")`` builds ``/static/css/app.<hash>.css``, where
``<hash>`` is the first 10 hex digits of the file's SHA-256. A request for that name gets
the file with ``Cache-Control: public, max-age=31536000, immutable``: a browser never asks
again until the file changes, and then its name changes with it. So a finder page (and
every filter tap) no longer revalidates its ten scripts and styles.

A hashed name whose hash is not the file's current one (a page cached before a deploy)
gets the current file, revalidated (``no-cache``); plain names (``/static/css/app.css``,
what Leaflet's CSS links relatively, e.g. its images) are served as before, revalidated
with their ETag. Hashes are cached per file and recomputed when its size or mtime changes.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

__all__ = ["IMMUTABLE", "content_hash", "hashed_name", "init_app", "static_file"]

#: ``Cache-Control`` of a static file under its hashed name.
IMMUTABLE = "public, max-age=31536000, immutable"
_HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{10})(?P<ext>\.[A-Za-z0-9]+)$")
_KEY = "locator.assets"


class _Hashes:
    """``filename → (size, mtime_ns, digest)``, shared by the app's threads."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.known: dict[str, tuple[int, int, str]] = {}
        self.lock = threading.Lock()

    def digest(self, filename: str) -> str | None:
        joined = safe_join(str(self.folder), filename)
        if joined is None:
            return None
        try:
            stat = Path(joined).stat()
        except OSError:
            return None
        known = self.known.get(filename)
        if known is not None and known[:2] == (stat.st_size, stat.st_mtime_ns):
            return known[2]
        digest = hashlib.sha256(Path(joined).read_bytes()).hexdigest()[:10]
        with self.lock:
            self.known[filename] = (stat.st_size, stat.st_mtime_ns, digest)
        return digest


def init_app(app: Flask) -> None:
    """Build hashed names for ``static`` URLs and serve them with :data:`IMMUTABLE`."""
    if app.static_folder is None:
        return
    app.extensions[_KEY] = _Hashes(Path(app.static_folder))
    app.url_defaults(_hashed_url)
    plain: Callable[..., Any] = app.view_functions["static"]
    app.view_functions["static"] = lambda filename: _serve(plain, filename)


def content_hash(filename: str, app: Flask | None = None) -> str | None:
    """The 10-hex-digit hash of the static file ``filename`` (``None`` when it is missing)."""
    hashes: _Hashes | None = (app or current_app).extensions.get(_KEY)
    return None if hashes is None else hashes.digest(filename)


def hashed_name(filename: str, app: Flask | None = None) -> str:
    """``css/app.css`` → ``css/app.<hash>.css`` (unchanged when the file is missing)."""
    digest = content_hash(filename, app)
    stem, dot, ext = filename.rpartition(".")
    if digest is None or not dot or "/" in ext or not stem or stem.endswith("/"):
        return filename  # (a missing file, or a name without an extension: as it is)
    return f"{stem}.{digest}.{ext}"


def static_file(filename: str, app: Flask | None = None) -> Path | None:
    """The path of a static file by its plain name (``None`` when there is none)."""
    folder = (app or current_app).static_folder
    joined = None if folder is None else safe_join(folder, filename)
    return Path(joined) if joined is not None and Path(joined).is_file() else None


def _hashed_url(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "static" and isinstance(values.get("filename"), str):
        values["filename"] = hashed_name(values["filename"])


def _serve(plain: Callable[..., Any], filename: str) -> Response:
    found = _HASHED.match(filename)
    if found is None or static_file(filename) is not None:
        unchanged: Response = plain(filename=filename)
        return unchanged
    real = found["stem"] + found["ext"]
    response: Response = plain(filename=real)
    if response.status_code in (200, 304) and content_hash(real) == found["digest"]:
        response.headers["Cache-Control"] = IMMUTABLE
    return response
