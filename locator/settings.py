"""Every setting the app and the CLI read: one typed model, checked once at start-up.

Values arrive in layers — the defaults here, then ``instance/config.py``, then ``LOCATOR_*``
environment variables (JSON-decoded when they parse as JSON: ``LOCATOR_MAX_K=100`` is an
int), then the test overrides — and :meth:`Settings.check` validates the merged mapping.
A bad value stops start-up with a :class:`~locator.errors.ConfigError` naming the
variable and the value (``LOCATOR_MAX_K='lots' …``) instead of failing every request later.

Field names are the lower-case setting names (``max_k`` ⇄ ``MAX_K`` ⇄ ``LOCATOR_MAX_K``);
each field's description is the documentation, and a test keeps the README's settings
table in step with this model. No Flask here: the CLI and the library read the same model.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from limits import parse_many
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from locator.errors import ConfigError

__all__ = ["PREFIX", "Settings", "configured_path", "parse_origins", "settings_table"]

PREFIX = "LOCATOR_"
Language = Literal["zh_CN", "en"]  #: a catalogue (zh_CN) or the source text (en)
LANGUAGES: tuple[Language, ...] = ("zh_CN", "en")
_ORIGIN = re.compile(r"https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)"
                     r"(?::[0-9]{1,5})?")
_KEY = re.compile(r"[A-Za-z0-9]{8,64}")


def parse_origins(value: object, *, allow_any: bool = False) -> tuple[str, ...]:
    """Web origins from a setting: a list, or a string separated by spaces or commas.

    Parameters
    ----------
    value : str, sequence of str or None
        E.g. ``"https://union.example http://127.0.0.1:8080"`` or ``["https://a.example"]``.
    allow_any : bool
        Accept ``"*"`` (any origin).

    Returns
    -------
    tuple of str
        Lower-cased origins without a trailing slash, duplicates removed, order kept.

    Raises
    ------
    ValueError
        For anything that is not an origin (a path, a wildcard host, a bare host name).
    """
    if value is None:
        return ()
    items: Iterable[object]
    if isinstance(value, str):
        items = re.split(r"[\s,]+", value.strip())
    elif isinstance(value, list | tuple | set | frozenset):
        items = value
    else:
        raise ValueError(f"must be a list of origins or a string, got {value!r}")
    out: list[str] = []
    for item in items:
        if item == "":
            continue
        text = item.rstrip("/") if isinstance(item, str) else item
        if text == "*" and allow_any:
            out.append("*")
        elif isinstance(text, str) and _ORIGIN.fullmatch(text):
            out.append(text.lower())
        else:
            expected = "an origin like https://union.example or http://127.0.0.1:8080"
            raise ValueError(f"expected {expected}{' or *' if allow_any else ''}, got {item!r}")
    return tuple(dict.fromkeys(out))


def _center(value: object) -> object:
    """``"lon,lat"`` (as an environment variable gives it) → a pair of numbers."""
    if isinstance(value, str):
        parts = value.split(",")
        if len(parts) != 2:
            raise ValueError(f"must be 'lon,lat', got {value!r}")
        try:
            return (float(parts[0]), float(parts[1]))
        except ValueError:
            raise ValueError(f"must be 'lon,lat' in degrees, got {value!r}") from None
    return value


def _words(value: object) -> object:
    """A list given as text: ``"zh_CN en"`` or ``"zh_CN,en"``."""
    return tuple(re.split(r"[\s,]+", value.strip())) if isinstance(value, str) else value


def _limit(value: str) -> str:
    """A rate string of the limits library, such as ``120 per minute`` or ``10/second;1000/day``."""
    try:
        parse_many(value)
    except ValueError:
        raise ValueError(f"must look like '120 per minute' or '10/second;1000/day', "
                         f"got {value!r}") from None
    return value


Limit = Annotated[str, BeforeValidator(lambda v: _limit(v) if isinstance(v, str) else v)]
Origins = Annotated[tuple[str, ...], BeforeValidator(parse_origins)]
AnyOrigins = Annotated[tuple[str, ...], BeforeValidator(lambda v: parse_origins(v, allow_any=True))]


class Settings(BaseModel):
    """The checked settings (``LOCATOR_<NAME>``; the field is ``<name>`` in lower case)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True,
                              alias_generator=str.upper, validate_default=True)

    secret_key: str | None = Field(None, description=(
        "Flask session key. Unset: `dev` in development; in production the key in "
        "`instance/secret_key`, made on first start (mode `0600`). Set it (16+ random "
        "characters, the same on every host) when several hosts serve one site"))
    production: bool | None = Field(None, description=(
        "`true`/`false`; unset = production unless `TESTING` or run by the `flask` command "
        "(`make run`). Production refuses debug mode, the key `dev` and keys under 16 "
        "characters"))
    registry: str | None = Field(None, description=(
        "registry file(s) to serve (GeoJSON, CSV, XLSX or GeoPackage, `:`-separated; "
        "overrides the store), read and checked exactly like `locator import` (Chinese "
        "headers, GB18030, a `坐标系` column, address-only rows; WGS-84 where no datum is "
        "named; not held to the service area); bad rows are reported, good rows served; a "
        "missing file stops start-up"))
    default_center: Annotated[tuple[float, float], BeforeValidator(_center)] = Field(
        (103.8343, 36.0611), description="`lon,lat` (WGS-84) used when the visitor gives "
                                         "no point")
    default_k: int = Field(5, ge=1, description="nearest stations highlighted on the page / "
                                                "returned by default")
    max_k: int = Field(50, ge=1, le=1000, description="largest `k` accepted")
    default_tiles: Literal["amap", "osm", "tianditu"] = Field("amap", description=(
        "`amap` (GCJ-02, works in China), `osm` or `tianditu` (WGS-84; needs "
        "`LOCATOR_TIANDITU_KEY`)"))
    tianditu_key: str | None = Field(None, description=(
        "Tianditu `tk` (8–64 letters and digits); required for the `tianditu` layer"))
    detour_factor: float = Field(1.3, ge=1.0, le=5.0, description=(
        "route length ÷ straight-line distance for travel minutes"))
    walk_kmh: float = Field(4.5, gt=0, le=20, description="walking speed (km/h)")
    ebike_kmh: float = Field(15.0, gt=0, le=60, description="e-bike speed (km/h)")
    river_crossings: bool = Field(True, description=(
        "flag results whose straight line crosses the Yellow River (the shipped, approximate "
        "line of `geodata/lanzhou/yellow_river.geojson`): pages then say the route may be far "
        "longer than the line, and the API sets `crosses_river`"))
    babel_default_locale: Language = Field(
        "zh_CN", description="language when the visitor has not chosen one")
    languages: Annotated[tuple[Language, ...], BeforeValidator(_words)] = Field(
        LANGUAGES, min_length=1, description="languages offered")
    babel_default_timezone: str = Field("Asia/Shanghai", description=(
        "time zone for open-now checks and displayed times"))
    store: str | None = Field(None, description=(
        "registry store: a GeoPackage path or a `postgresql://` URL (PostGIS); unset = "
        "`instance/registry.gpkg`; its active version is served when `LOCATOR_REGISTRY` is "
        "unset"))
    registry_boundary: str | None = Field(None, description=(
        "service-area polygons (GeoJSON/GeoPackage, WGS-84) that imported stations must lie "
        "in; unset = the shipped Lanzhou boundary; `off` disables the check"))
    import_max_bytes: int = Field(64 * 1024 * 1024, ge=1, description=(
        "largest registry file accepted by `locator import` and the upload page (bytes)"))
    max_content_length: int = Field(1024 * 1024, ge=1, description=(
        "largest request body of every other route (bytes); above it `413` naming the limit"))
    users_db: str | None = Field(None, description=(
        "the accounts file (`locator user …`); unset = `instance/users.sqlite`, whatever "
        "`LOCATOR_STORE` is"))
    login_rate_limit: Limit = Field("10 per minute", description=(
        "sign-in attempts (`POST /login`) per client (`limits` syntax); over it: `429`"))
    session_cookie_secure: bool = Field(False, description=(
        "`true` behind HTTPS: the session cookie is sent over HTTPS only (it is always "
        "`HttpOnly`)"))
    session_cookie_samesite: Literal["Lax", "Strict", "None"] = Field("Lax", description=(
        "`SameSite` of the session cookie: not sent with cross-site POSTs"))
    session_idle_minutes: int = Field(60, ge=1, le=24 * 60, description=(
        "a sign-in ends after this many minutes without a request (the cookie expires with "
        "it); signing out ends it at once, on the server"))
    session_max_hours: int = Field(12, ge=1, le=24 * 30, description=(
        "a sign-in ends this many hours after it began, however active (the cookie's expiry "
        "never goes past it)"))
    server_name: str | None = Field(None, description=(
        "the site's host (and port), e.g. `stations.union.example`: absolute links such as "
        "the API's `next`/`prev` use it; unset = those links are relative, never built from "
        "a request's `Host` header (a cached answer would pass a forged host on)"))
    registry_poll_seconds: float = Field(10.0, ge=0, description=(
        "at most this often a request checks the store's active version and swaps in a "
        "version another process made; `0` = off"))
    embed_allowed_origins: Origins = Field((), description=(
        "origins (`https://host[:port]`, space- or comma-separated, or a JSON list) whose "
        "pages may frame `/embed`; the app itself always may"))
    api_cors_origins: AnyOrigins = Field((), description=(
        "origins allowed to read `/api/v1` from a browser (`GET`/`HEAD` only); `*` for any"))
    api_rate_limit: Limit = Field("120 per minute", description=(
        "per-client limit on `/api/*` (`limits` syntax, e.g. `10/second;1000/day`); "
        "over it: `429` JSON with `Retry-After`"))
    api_rate_limit_enabled: bool | None = Field(None, description=(
        "`true`/`false`; unset = on, except when `TESTING`"))
    api_rate_limit_storage: str = Field("memory://", description=(
        "where request counts live: `memory://` (one process) or `redis://host:6379/0` "
        "shared by several workers"))
    api_cache_seconds: int = Field(60, ge=0, description=(
        "`Cache-Control: max-age` of API answers (each also has an `ETag`)"))
    api_fast_path: bool = Field(True, description=(
        "answer plain `GET /api/v1/nearest` beside Flask's per-request machinery (same bytes "
        "and headers, about half the CPU); `false` sends every request through Flask"))
    planner_resolution: int = Field(9, ge=5, le=10, description=(
        "H3 resolution of the `/planner` grid (9: cells of ~0.1 km²; 8: ~0.7 km²)"))
    map_max_stations: int = Field(10_000, ge=1, description=(
        "most stations the finder and `/embed` maps draw — the ones nearest to the point "
        "(the list, directions and API always search every station)"))
    planner_concurrency: int = Field(1, ge=1, le=64, description=(
        "whole plans computed at once on this host, all workers together (file locks in the "
        "instance folder); others wait or get `503`"))
    planner_queue: int = Field(2, ge=0, le=100, description=(
        "plan requests per process that may wait for a slot on a threaded server (a sync "
        "gunicorn worker never waits: it answers `503` at once)"))
    planner_wait_seconds: float = Field(10.0, ge=0, le=600, description=(
        "how long a queued plan request waits for a slot before `503`"))
    planner_rate_limit: Limit = Field("20 per minute", description=(
        "plans one client may have computed (cache misses; `limits` syntax); over it: `429`. "
        "Cached plans are not counted"))
    planner_settled_m: float = Field(2000.0, gt=0, le=50_000, description=(
        "without a population layer, gaps and suggested sites stay within this many metres "
        "of a station or a named place (the settled area)"))
    planner_data_dir: str | None = Field(None, description=(
        "folder of the planner's population layer and candidate file (`locator inputs add`, "
        "`/planner/inputs`); unset = `instance/planner`"))
    verified_stale_days: int = Field(180, ge=1, le=3650, description=(
        "a station last verified longer ago than this many days (or never) is marked as "
        "possibly out of date on the pages, in the API (`stale`) and in the editors' queue"))
    report_rate_limit: Limit = Field("5 per 10 minutes;30 per day", description=(
        "workers' reports (`POST /report/<id>`) allowed per client (`limits` syntax); over "
        "it: `429`"))
    areas_dir: str | None = Field(None, description=(
        "folder of imported subdistrict/community polygons (`locator areas import`); unset "
        "= `instance/areas`"))

    @field_validator("default_center")
    @classmethod
    def _on_earth(cls, value: tuple[float, float]) -> tuple[float, float]:
        lon, lat = value
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError(f"must be lon in -180..180 and lat in -90..90, got {value!r}")
        return value

    @field_validator("tianditu_key")
    @classmethod
    def _key(cls, value: str | None) -> str | None:
        if value is not None and not _KEY.fullmatch(value):
            raise ValueError("must be 8-64 letters and digits")
        return value

    @field_validator("babel_default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError("must be an IANA time zone such as Asia/Shanghai")
        return value

    @field_validator("api_rate_limit_storage")
    @classmethod
    def _storage(cls, value: str) -> str:
        if not re.match(r"(memory|redis|rediss|redis\+unix|memcached)://", value):
            raise ValueError("must be memory:// or a redis:// URL")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.default_k > self.max_k:
            raise ValueError(f"DEFAULT_K ({self.default_k}) is above MAX_K ({self.max_k})")
        if self.babel_default_locale not in self.languages:
            raise ValueError(f"BABEL_DEFAULT_LOCALE {self.babel_default_locale!r} is not one "
                             f"of LANGUAGES {list(self.languages)}")
        if self.default_tiles == "tianditu" and not self.tianditu_key:
            raise ValueError("DEFAULT_TILES is tianditu but TIANDITU_KEY is not set")
        return self

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every setting's name as written in configuration (``MAX_K``)."""
        return tuple(name.upper() for name in cls.model_fields)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """``{NAME: default}`` for every setting (the first configuration layer)."""
        return {name.upper(): field.default for name, field in cls.model_fields.items()}

    @classmethod
    def check(cls, values: Mapping[str, Any]) -> Settings:
        """The settings in ``values`` (``{NAME: value}``; other keys ignored), checked.

        Raises
        ------
        ConfigError
            Naming the first bad variable, its value and what it must be.
        """
        try:
            return cls.model_validate({k: v for k, v in values.items() if k in cls.names()})
        except ValidationError as exc:
            raise ConfigError(_message(exc, values)) from None

    def as_config(self) -> dict[str, Any]:
        """``{NAME: value}`` of the checked values, to write back into a Flask config."""
        return {name.upper(): getattr(self, name) for name in type(self).model_fields}


def configured_path(config: Mapping[str, Any], key: str, default: str,
                    instance_path: str | os.PathLike[str]) -> Path:
    """A path setting the way every one reads: its value when set, else ``default`` in the
    instance folder (``AREAS_DIR`` → ``instance/areas``)."""
    configured = config.get(key)
    return Path(configured) if configured else Path(instance_path) / default


def _message(exc: ValidationError, values: Mapping[str, Any]) -> str:
    """One line per problem: ``LOCATOR_MAX_K='lots': Input should be a valid integer``."""
    lines = []
    for error in exc.errors(include_url=False):
        reason = str(error["msg"]).removeprefix("Value error, ")
        if error["loc"]:
            name = str(error["loc"][0])
            lines.append(f"{PREFIX}{name}={values.get(name)!r}: {reason}")
        else:
            lines.append(f"settings: {reason}")
    return "; ".join(lines)


def _shown(value: object) -> str:
    if value is None:
        return "unset"
    if isinstance(value, tuple):
        return "`" + ",".join(str(v) for v in value) + "`" if value else "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def settings_table() -> str:
    """The README's settings table (Markdown), made from :class:`Settings` itself."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        rows.append(f"| `{PREFIX}{name.upper()}` | {_shown(field.default)} | "
                    f"{field.description} |")
    return "\n".join(rows) + "\n"
