"""How one call reaches one Qdrant client: through its breaker, timed, as domain errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from qdrant_client import AsyncQdrantClient
from qdrant_client.http.exceptions import UnexpectedResponse

from ragmono.errors import DependencyUnavailable, RagmonoError
from ragmono.ports import Telemetry
from ragmono.resilience import BreakerRegistry, DependencyBreaker

from .failures import is_failure, never_sent, to_domain_error

__all__ = ["call_client", "qdrant_breaker"]

T = TypeVar("T")


def qdrant_breaker(registry: BreakerRegistry, name: str, timeout_s: float) -> DependencyBreaker:
    """The breaker ``name`` (``qdrant`` or ``qdrant:<host:port>``) counting Qdrant failures.

    Its timeout is ``[breakers.qdrant] timeout_s`` when set, else ``timeout_s``.
    """
    # call_client reports each call itself, with its operation and Qdrant's error kinds.
    return registry.get(
        name, is_failure=is_failure, default_timeout_s=timeout_s, observe_calls=False
    )


async def call_client(
    breaker: DependencyBreaker | None,
    fn: Callable[[AsyncQdrantClient], Awaitable[T]],
    client: AsyncQdrantClient,
    *,
    timeout_s: float,
    collection: str | None,
    telemetry: Telemetry | None = None,
    operation: str = "call",
) -> T:
    """One call through ``breaker`` (or a bare timeout), with Qdrant answers as domain errors.

    With ``telemetry``, the call is observed as dependency ``breaker.name`` (or ``qdrant``).
    """
    started = time.perf_counter()
    error: str | None = None
    try:
        if breaker is not None:
            return await breaker.call(fn, client)
        try:
            async with asyncio.timeout(timeout_s):
                return await fn(client)
        except Exception as exc:
            if is_failure(exc):
                raise DependencyUnavailable("qdrant", f"{type(exc).__name__}: {exc}") from exc
            raise
    except RagmonoError as exc:
        error = _error_kind(exc) if isinstance(exc, DependencyUnavailable) else None
        raise
    except Exception as exc:
        mapped = to_domain_error(exc, collection)
        if mapped is exc:
            error = "other"
            raise
        error = _error_kind(mapped) if isinstance(mapped, DependencyUnavailable) else None
        raise mapped from exc
    finally:
        if telemetry is not None:
            dependency = breaker.name if breaker is not None else "qdrant"
            telemetry.observe_dependency(
                dependency, operation, time.perf_counter() - started, error
            )


def _error_kind(exc: DependencyUnavailable) -> str:
    """A short, fixed label for why a dependency call failed."""
    cause = exc.__cause__
    if cause is None:
        return "breaker_open"
    if isinstance(cause, TimeoutError):
        return "timeout"
    if never_sent(exc) or isinstance(cause, ConnectionError):
        return "connection"
    inner = getattr(cause, "source", None)
    if isinstance(cause, UnexpectedResponse) and (cause.status_code or 0) >= 500:
        return "http_5xx"
    if inner is not None and "timeout" in type(inner).__name__.lower():
        return "timeout"
    return "other"
