"""How one call reaches one Qdrant client: through its breaker, as domain errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from qdrant_client import AsyncQdrantClient

from ragmono.errors import DependencyUnavailable, RagmonoError

from .failures import is_failure, to_domain_error

__all__ = ["Breaker", "BreakerSource", "call_client"]

T = TypeVar("T")


class Breaker(Protocol):
    """The part of ``ragmono.resilience.DependencyBreaker`` this adapter uses."""

    @property
    def name(self) -> str:
        """``qdrant`` or ``qdrant:<host:port>``."""
        ...

    async def call(
        self,
        fn: Callable[..., Awaitable[T]],
        *args: Any,
        timeout_s: float | None = None,
        **kwargs: Any,
    ) -> T:
        """Run ``fn`` unless open; count failures; re-raise them as DependencyUnavailable."""
        ...

    def snapshot(self) -> Any:
        """State, failures and the remaining open time."""
        ...


class BreakerSource(Protocol):
    """The part of ``ragmono.resilience.BreakerRegistry`` this adapter uses."""

    def get(
        self, name: str, *, is_failure: Callable[[BaseException], bool] | None = None
    ) -> Breaker:
        """The breaker called ``name`` (created on first use)."""
        ...


async def call_client(
    breaker: Breaker | None,
    fn: Callable[[AsyncQdrantClient], Awaitable[T]],
    client: AsyncQdrantClient,
    *,
    timeout_s: float,
    collection: str | None,
    dependency: str = "qdrant",
) -> T:
    """One call through ``breaker`` (or a bare timeout), with Qdrant answers as domain errors."""
    try:
        if breaker is not None:
            return await breaker.call(fn, client, timeout_s=timeout_s)
        try:
            async with asyncio.timeout(timeout_s):
                return await fn(client)
        except Exception as exc:
            if is_failure(exc):
                raise DependencyUnavailable(dependency, f"{type(exc).__name__}: {exc}") from exc
            raise
    except RagmonoError:
        raise
    except Exception as exc:
        mapped = to_domain_error(exc, collection)
        if mapped is exc:
            raise
        raise mapped from exc
