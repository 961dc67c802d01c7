"""What a qdrant-client exception means: a sick node (breaker failure) or a domain answer.

REST calls fail with ``ResponseHandlingException`` (transport: refused, reset, timed out, bad
body) or ``UnexpectedResponse`` (an HTTP status); gRPC calls with ``grpc.aio.AioRpcError``;
the local ``:memory:`` engine with ``ValueError``. Qdrant answers 404 for a missing collection,
409 for a duplicate, 400 for bad input (such as a vector of the wrong size) and 5xx, 408 or 429
when it cannot serve.
"""

from __future__ import annotations

import json

import grpc  # type: ignore[import-untyped]
import httpx
from qdrant_client.common.client_exceptions import ResourceExhaustedResponse
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from ragmono.errors import Conflict, DependencyUnavailable, NotFound, RagmonoError

__all__ = ["is_failure", "never_sent", "to_domain_error"]

_RETRYABLE_STATUS = frozenset({408, 429})
_GRPC_FAILURES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.CANCELLED,
    }
)


def is_failure(exc: BaseException) -> bool:
    """True when ``exc`` says the node could not serve (counts against its breaker)."""
    if isinstance(exc, TimeoutError | OSError | ResponseHandlingException):
        return True
    if isinstance(exc, ResourceExhaustedResponse | httpx.TransportError):
        return True
    if isinstance(exc, UnexpectedResponse):
        status = exc.status_code or 0
        return status >= 500 or status in _RETRYABLE_STATUS
    if isinstance(exc, grpc.aio.AioRpcError):
        return exc.code() in _GRPC_FAILURES
    return False


def never_sent(exc: BaseException) -> bool:
    """True when the request cannot have reached Qdrant (connection refused or DNS failure)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, httpx.ConnectError | ConnectionRefusedError):
            return True
        if isinstance(current, ResponseHandlingException):
            current = current.source
            continue
        current = current.__cause__ or current.__context__
    return False


def _message(exc: BaseException) -> str:
    if isinstance(exc, UnexpectedResponse):
        try:
            body = json.loads(exc.content)
            return str(body["status"]["error"])
        except (ValueError, KeyError, TypeError):
            return exc.content[:200].decode(errors="replace")
    if isinstance(exc, grpc.aio.AioRpcError):
        return exc.details() or str(exc.code())
    return str(exc)


def to_domain_error(exc: Exception, collection: str | None) -> Exception:
    """The domain error for a Qdrant answer that is not a node failure (else ``exc`` itself)."""
    message = _message(exc)
    lowered = message.lower()
    status: int | None = None
    if isinstance(exc, UnexpectedResponse):
        status = exc.status_code
    elif isinstance(exc, grpc.aio.AioRpcError):
        status = {
            grpc.StatusCode.NOT_FOUND: 404,
            grpc.StatusCode.ALREADY_EXISTS: 409,
            grpc.StatusCode.INVALID_ARGUMENT: 400,
            grpc.StatusCode.PERMISSION_DENIED: 403,
            grpc.StatusCode.UNAUTHENTICATED: 401,
        }.get(exc.code())
    elif not isinstance(exc, ValueError):
        return exc
    name = collection or "?"
    if status is None:  # the local engine: only its message tells
        status = 409 if "already exists" in lowered else 404 if "not found" in lowered else 400
    if status == 409:
        return Conflict(f"collection {name!r} already exists", field="name")
    if status == 404:
        return NotFound(f"collection {name!r} does not exist", field="collection")
    if "dimension" in lowered or "not aligned" in lowered:
        return Conflict(
            f"vector size does not match collection {name!r} (built with another embedder?): "
            f"{message}",
            field="collection",
        )
    if status in (401, 403):
        return DependencyUnavailable("qdrant", f"Qdrant refused the API key: {message}")
    if isinstance(exc, ValueError):
        return exc
    return RagmonoError(f"Qdrant rejected the request ({status}): {message}")
