"""The one map from errors to ``application/problem+json`` (RFC 9457).

Domain errors carry their status; Litestar's validation errors name the field; anything else is
a 500 with the request id, logged once with its traceback and never shown to the client.
"""

from __future__ import annotations

import math
import re
from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from ragmono.api.request_context import request_id_of
from ragmono.errors import DependencyUnavailable, RagmonoError, RateLimited

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "Problem", "problem_for", "problem_response"]

log = structlog.get_logger("ragmono.errors")
PROBLEM_JSON = "application/problem+json"


class FieldError(msgspec.Struct, frozen=True, omit_defaults=True):
    """One invalid value: where it is and what is wrong with it."""

    field: str
    message: str


class Problem(msgspec.Struct, frozen=True, omit_defaults=True, kw_only=True):
    """An RFC 9457 problem document with ragmono's extensions."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    request_id: str = ""
    field: str | None = None
    errors: list[FieldError] | None = None
    dependency: str | None = None


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    title: str,
    detail: str,
    field: str | None = None,
    errors: list[FieldError] | None = None,
    dependency: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    """Build the problem+json response every error path uses."""
    body = Problem(
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        request_id=request_id_of(request.scope),
        field=field,
        errors=errors,
        dependency=dependency,
    )
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _retry_after(seconds: float | None) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))} if seconds is not None else {}


def _domain_error(request: Request[Any, Any, Any], exc: RagmonoError) -> Response[Problem]:
    if type(exc) is RagmonoError:
        return _unexpected(request, exc)
    headers: dict[str, str] = {}
    dependency = None
    if isinstance(exc, RateLimited):
        headers = _retry_after(exc.retry_after_s)
    elif isinstance(exc, DependencyUnavailable):
        headers = _retry_after(exc.retry_after_s if exc.retry_after_s is not None else 5)
        dependency = exc.dependency
    elif exc.status_code == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="ragmono"'}
    return problem_response(
        request,
        status=exc.status_code,
        title=exc.title,
        detail=exc.detail,
        field=exc.field,
        dependency=dependency,
        headers=headers,
    )


def problem_for(request: Request[Any, Any, Any], exc: RagmonoError) -> Response[Problem]:
    """The response for a domain error, for code that answers outside a handler (middleware)."""
    return _domain_error(request, exc)


def _validation_error(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[Problem]:
    errors: list[FieldError] = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            raw_source = item.get("source") or "body"
            source = getattr(raw_source, "value", raw_source)
            message = str(item.get("message", ""))
            errors.append(
                FieldError(field=_field_path(source, item.get("key"), message), message=message)
            )
    first = errors[0] if errors else None
    detail = f"{first.field}: {first.message}" if first else (exc.detail or "invalid request")
    return problem_response(
        request,
        status=422 if errors and first and first.field.startswith("body") else 400,
        title="Invalid input",
        detail=detail,
        field=first.field if first else None,
        errors=errors or None,
    )


_NAMED_FIELD = re.compile(r"(?:missing required|unknown) field `([^`]+)`")


def _field_path(source: object, key: object, message: str) -> str:
    """``body.chunking.chunk_size`` from Litestar's source, msgspec's key and message."""
    parts = [str(source)]
    key_text = str(key or "").removeprefix("$.")
    if key_text and key_text != "data":  # "data" is the whole body
        parts.append(key_text)
    named = _NAMED_FIELD.search(message)
    if named:  # msgspec names the missing or unknown field only in its message
        parts.append(named.group(1))
    return ".".join(parts)


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    if exc.status_code >= 500:
        return _unexpected(request, exc)
    return problem_response(
        request,
        status=exc.status_code,
        title=_TITLES.get(exc.status_code, "Request error"),
        detail=str(exc.detail),
        headers=dict(exc.headers or {}),
    )


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    log.error("unhandled_error", path=request.url.path, exc_info=exc)
    return problem_response(
        request,
        status=500,
        title="Internal Server Error",
        detail="An unexpected error occurred; quote the request id when reporting it.",
    )


_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Payload too large",
    415: "Unsupported media type",
    429: "Too many requests",
}

EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    RagmonoError: _domain_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}
