"""How one call reaches one Qdrant client: through its breaker, as domain errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from qdrant_client import AsyncQdrantClient

from ragmono.errors import DependencyUnavailable, RagmonoError
from ragmono.resilience import BreakerRegistry, DependencyBreaker

from .failures import is_failure, to_domain_error

__all__ = ["call_client", "qdrant_breaker"]

T = TypeVar("T")


def qdrant_breaker(registry: BreakerRegistry, name: str, timeout_s: float) -> DependencyBreaker:
    """The breaker ``name`` (``qdrant`` or ``qdrant:<host:port>``) counting Qdrant failures.

    Its timeout is ``[breakers.qdrant] timeout_s`` when set, else ``timeout_s``.
    """
    return registry.get(name, is_failure=is_failure, default_timeout_s=timeout_s)


async def call_client(
    breaker: DependencyBreaker | None,
    fn: Callable[[AsyncQdrantClient], Awaitable[T]],
    client: AsyncQdrantClient,
    *,
    timeout_s: float,
    collection: str | None,
) -> T:
    """One call through ``breaker`` (or a bare timeout), with Qdrant answers as domain errors."""
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
    except RagmonoError:
        raise
    except Exception as exc:
        mapped = to_domain_error(exc, collection)
        if mapped is exc:
            raise
        raise mapped from exc
