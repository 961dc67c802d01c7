"""Errors on /v1 in OpenAI's body, ``{"error": {"message", "type", "param", "code"}}``.

The same domain errors as everywhere (one tree, ``ragmono.errors``), rendered in the shape the
OpenAI SDKs parse, with the status they map to their exceptions: 400 ``BadRequestError``
(every invalid value, as OpenAI answers it), 401 ``AuthenticationError``, 403
``PermissionDeniedError``, 404 ``NotFoundError``, 409 ``ConflictError``, 429
``RateLimitError``, 5xx ``InternalServerError`` (with the request id, never a traceback).
"""

from __future__ import annotations

import math
from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from ragmono.errors import DependencyUnavailable, RagmonoError, RateLimited

__all__ = ["OPENAI_EXCEPTION_HANDLERS", "ErrorBody", "ErrorDetail", "openai_error_for"]

log = structlog.get_logger("ragmono.openai_compat")


class ErrorDetail(msgspec.Struct, frozen=True, kw_only=True):
    """What went wrong; ``param`` names the request field at fault."""

    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorBody(msgspec.Struct, frozen=True, kw_only=True):
    """OpenAI's error response body."""

    error: ErrorDetail


_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    429: "rate_limit_error",
}
_CODES = {401: "invalid_api_key", 403: "insufficient_scope", 429: "rate_limit_exceeded"}


def _request_id(request: Request[Any, Any, Any]) -> str:
    # Bound by the request-context middleware for every request.
    return str(request.scope.get("state", {}).get("request_id", ""))


def error_response(
    status: int,
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[ErrorBody]:
    """The error response every /v1 failure uses."""
    kind = "server_error" if status >= 500 else _TYPES.get(status, "invalid_request_error")
    body = ErrorBody(
        error=ErrorDetail(
            message=message,
            type=kind,
            param=param.removeprefix("body.") if param else None,
            code=code or _CODES.get(status),
        )
    )
    return Response(body, status_code=status, headers=headers)


def openai_error_for(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    """The OpenAI-shaped response for any exception raised on a /v1 route (or by the edge)."""
    if isinstance(exc, RagmonoError) and type(exc) is not RagmonoError:
        return _domain(exc)
    if isinstance(exc, ValidationException):
        return _validation(exc)
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        return error_response(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))
    log.error("unhandled_error", path=request.url.path, exc_info=exc)
    return error_response(
        500,
        "An unexpected error occurred; quote the request id "
        f"{_request_id(request) or '(none)'} when reporting it.",
    )


def _domain(exc: RagmonoError) -> Response[ErrorBody]:
    headers: dict[str, str] = {}
    retry = None
    if isinstance(exc, RateLimited):
        retry = exc.retry_after_s
    elif isinstance(exc, DependencyUnavailable):
        retry = exc.retry_after_s if exc.retry_after_s is not None else 5
    elif exc.status_code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="ragmono"'
    if retry is not None:
        headers["Retry-After"] = str(max(1, math.ceil(retry)))
    # OpenAI answers invalid values with 400 (its SDKs raise BadRequestError), not 422.
    status = 400 if exc.status_code == 422 else exc.status_code
    code = "model_not_found" if exc.status_code == 404 and exc.field == "model" else None
    return error_response(status, exc.detail, param=exc.field, code=code, headers=headers)


def _validation(exc: ValidationException) -> Response[ErrorBody]:
    items = [i for i in (exc.extra if isinstance(exc.extra, list) else []) if isinstance(i, dict)]
    if not items:
        return error_response(400, str(exc.detail or "invalid request"))
    first = items[0]
    key = str(first.get("key") or "").removeprefix("$.")
    message = str(first.get("message", "invalid value"))
    param = None if key in ("", "data") else key
    return error_response(400, f"{param}: {message}" if param else message, param=param)


OPENAI_EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    # Every class the app-level problem+json map names, so none of those wins on /v1.
    RagmonoError: openai_error_for,
    ValidationException: openai_error_for,
    HTTPException: openai_error_for,
    Exception: openai_error_for,
}
"""The /v1 router's exception map: every error in OpenAI's body."""
