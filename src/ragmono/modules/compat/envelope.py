"""Success and error bodies in the seed's two styles, and the router's one error map.

rag-services' routes answer ``{success, data | error: {code, message, details?}, meta}``;
documentation-api's (``/search``, ``/status``) answer flat, with ``error`` as a class-name
string. A handler names its style and its catch-all code in ``opt``; domain errors raised
by ragmono's services are translated here, once. Statuses follow ragmono's error tree, with
one seed rule on top: a failed dependency or open breaker is **503** with ``Retry-After``
(the seed's k6 scripts count 503 as "circuit open").
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import UTC, datetime
from typing import Any, Final

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from ragmono.errors import (
    Conflict,
    DependencyUnavailable,
    InvalidInput,
    NotFound,
    RagmonoError,
    RateLimited,
)

from .schemas import ApiError, Envelope, Meta

__all__ = [
    "ERROR_CODE",
    "FLAT",
    "SEED_EXCEPTION_HANDLERS",
    "SeedError",
    "checked_name",
    "envelope",
    "meta_of",
]

log = structlog.get_logger("ragmono.compat")

FLAT: Final = "seed_flat"
"""``opt`` key: True for documentation-api routes (flat bodies, string ``error``)."""
ERROR_CODE: Final = "seed_error"
"""``opt`` key: the code of an unexpected failure on this route (``QUERY_FAILED``, ...)."""


class SeedError(Exception):
    """An error the seed defines by code (``QUERY_TOO_SHORT``, ``LIMIT_EXCEEDED``, ...)."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


_COLLECTION_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def checked_name(name: str) -> str:
    """``name`` if it can name a ragmono collection; else NotFound (404), as the seed said
    for any name it did not know (Postman sends a literal ``{name}``)."""
    if not _COLLECTION_NAME.match(name):
        raise NotFound(f"collection {name!r} does not exist", field="collection")
    return name


def meta_of(request: Request[Any, Any, Any]) -> Meta:
    """``meta`` with the request id the ``X-Request-ID`` response header carries."""
    request_id = str(request.scope.get("state", {}).get("request_id") or uuid.uuid4())
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return Meta(timestamp=now, request_id=request_id)


def envelope(
    request: Request[Any, Any, Any],
    data: Any,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[Envelope]:
    """A success envelope around ``data``."""
    body = Envelope(success=True, data=data, meta=meta_of(request))
    return Response(body, status_code=status, headers=headers)


_FLAT_NAMES: Final = {
    400: "ValidationError",
    404: "NotFoundError",
    409: "ConflictError",
    429: "Too Many Requests",
    503: "ServiceUnavailableError",
}


def _respond(
    request: Request[Any, Any, Any],
    error: SeedError,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    if request.route_handler.opt.get(FLAT):
        body: Any = {
            "success": False,
            "error": _FLAT_NAMES.get(error.status, "InternalServerError"),
            "message": error.message,
        }
    else:
        body = Envelope(
            success=False,
            error=ApiError(code=error.code, message=error.message, details=error.details),
            meta=meta_of(request),
        )
    return Response(body, status_code=error.status, headers=headers)


def _seed_error(request: Request[Any, Any, Any], exc: SeedError) -> Response[Any]:
    return _respond(request, exc)


def _domain_error(request: Request[Any, Any, Any], exc: RagmonoError) -> Response[Any]:
    headers: dict[str, str] = {}
    if isinstance(exc, DependencyUnavailable):
        retry = exc.retry_after_s if exc.retry_after_s is not None else 5
        headers["Retry-After"] = str(max(1, math.ceil(retry)))
        unavailable = {"dependency": exc.dependency, "retryAfter": max(1, math.ceil(retry))}
        error = SeedError(503, "SERVICE_UNAVAILABLE", exc.detail, unavailable)
    elif isinstance(exc, RateLimited):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after_s)))
        error = SeedError(429, "RATE_LIMITED", exc.detail)
    elif isinstance(exc, InvalidInput):
        # The seed has no 413/415/422: every bad value is a 400 VALIDATION_ERROR.
        details = [{"path": exc.field or "", "message": exc.detail}]
        error = SeedError(400, "VALIDATION_ERROR", exc.detail, details)
    elif isinstance(exc, NotFound):
        error = SeedError(404, "COLLECTION_NOT_FOUND", exc.detail)
    elif isinstance(exc, Conflict):
        error = SeedError(409, "CONFLICT", exc.detail)
    elif exc.status_code < 500:
        error = SeedError(exc.status_code, exc.title.upper().replace(" ", "_"), exc.detail)
    else:
        return _unexpected(request, exc)
    return _respond(request, error, headers)


def _validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    details = [
        {"path": str(item.get("key", "")), "message": str(item.get("message", ""))}
        for item in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(item, dict)
    ]
    first = details[0] if details else None
    message = f"{first['path']}: {first['message']}" if first else str(exc.detail)
    return _respond(request, SeedError(400, "VALIDATION_ERROR", message, details or None))


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.status_code >= 500:
        return _unexpected(request, exc)
    code = "NOT_FOUND" if exc.status_code == 404 else "BAD_REQUEST"
    return _respond(request, SeedError(exc.status_code, code, str(exc.detail)))


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error("unhandled_error", path=request.url.path, exc_info=exc)
    code = str(request.route_handler.opt.get(ERROR_CODE, "INTERNAL_SERVER_ERROR"))
    message = "An unexpected error occurred; quote meta.requestId (X-Request-ID) when reporting it."
    return _respond(request, SeedError(500, code, message))


SEED_EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    SeedError: _seed_error,
    RagmonoError: _domain_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}
