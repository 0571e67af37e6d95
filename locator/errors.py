"""Every error the project raises on purpose, each carrying its HTTP status.

Each exception subclasses a builtin (so library callers can catch ``ValueError``
without knowing this module) and carries ``status``; the web layer has one
handler that turns any :class:`LocatorError` into a JSON body under ``/api`` and
an HTML page elsewhere.
"""

from __future__ import annotations

from typing import Any


class LocatorError(Exception):
    """Base class. ``status`` is the HTTP status the web layer answers with."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The JSON error body: ``{"error": {"code", "message", ...details}}``."""
        return {"error": {"code": self.code, "message": self.message, **self.details}}


class QueryError(LocatorError, ValueError):
    """A bad request parameter; ``param`` names it."""

    status = 400
    code = "bad_parameter"

    def __init__(self, param: str, message: str, **details: Any) -> None:
        super().__init__(message, param=param, **details)
        self.param = param


class NotFound(LocatorError, LookupError):
    """The thing asked for does not exist."""

    status = 404
    code = "not_found"


class DatumError(LocatorError, ValueError):
    """An unknown datum name or coordinates a datum cannot take."""

    status = 400
    code = "bad_datum"


class RegistryError(LocatorError, ValueError):
    """A registry file that cannot be read at all (bad rows are reported, not raised)."""

    status = 422
    code = "bad_registry"


class ConfigError(LocatorError, RuntimeError):
    """Configuration that must be fixed before the app can start."""

    status = 500
    code = "bad_config"


class RateLimited(LocatorError, RuntimeError):
    """Too many requests from one client; ``retry_after`` is in whole seconds."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, **details: Any) -> None:
        super().__init__(message, retry_after=retry_after, **details)
        self.retry_after = retry_after


class StoreUnavailable(LocatorError, RuntimeError):
    """Writes are refused: the store was found corrupt and the app serves a backup read-only."""

    status = 503
    code = "store_unavailable"


class AccountError(LocatorError, ValueError):
    """A bad user name, password or role, or an unknown user (``locator user …``)."""

    status = 400
    code = "bad_account"


class EditConflict(LocatorError, RuntimeError):
    """A stale edit: the station changed since the form was loaded (409; 412 with If-Match)."""

    status = 409
    code = "edit_conflict"


class DuplicateStation(EditConflict):
    """An added station's id is already in the registry (409)."""

    code = "duplicate_station"


class StoreWriteFailed(LocatorError, OSError):
    """The store could not be written (disk full, read-only file…); nothing was changed."""

    status = 507
    code = "store_write_failed"


class Busy(LocatorError, RuntimeError):
    """Heavy work is refused for now (every slot taken, the queue full); ``retry_after`` in s."""

    status = 503
    code = "busy"

    def __init__(self, message: str, *, retry_after: int, **details: Any) -> None:
        super().__init__(message, retry_after=retry_after, **details)
        self.retry_after = retry_after
