"""Server mode: one Qdrant URL (or a load balancer in front of several) behind one breaker."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from qdrant_client import AsyncQdrantClient

from ragmono.domain import DependencyHealth
from ragmono.errors import DependencyUnavailable
from ragmono.ports import Telemetry
from ragmono.resilience import BreakerRegistry

from .calls import call_client, qdrant_breaker
from .checks import version_problem
from .remote_store import RemoteVectorStore

__all__ = ["ServerVectorStore", "open_client"]

log = structlog.get_logger(__name__)
T = TypeVar("T")
HEALTH_TIMEOUT_S = 1.5
"""Under the /ready deadline (2 s), so a slow Qdrant reads as unreachable, not as an error."""


def open_client(
    url: str, *, api_key: str = "", timeout_s: float = 5.0, prefer_grpc: bool = False
) -> AsyncQdrantClient:
    """An ``AsyncQdrantClient`` for ``url`` (https URLs use TLS; gRPC goes to port 6334).

    The client's own version check runs a blocking request in a thread and only warns, so it is
    off; :meth:`RemoteVectorStore.start` checks the version itself and says what it found.
    """
    return AsyncQdrantClient(
        url=url,
        api_key=api_key or None,
        timeout=max(1, math.ceil(timeout_s)),  # whole seconds only; the breaker cuts sooner
        prefer_grpc=prefer_grpc,
        check_compatibility=False,
    )


class ServerVectorStore(RemoteVectorStore):
    """:class:`~ragmono.ports.VectorStore` on one Qdrant server.

    Calls go through the ``qdrant`` breaker of ``breakers`` (none: a bare timeout). Pass
    ``client`` to use a prepared ``AsyncQdrantClient`` (tests hand in
    ``AsyncQdrantClient(location=":memory:")``); otherwise one is opened for ``url``.
    """

    mode = "server"

    def __init__(
        self,
        url: str = "",
        *,
        api_key: str = "",
        timeout_s: float = 5.0,
        prefer_grpc: bool = False,
        breakers: BreakerRegistry | None = None,
        client: AsyncQdrantClient | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        if client is None and not url:
            raise ValueError("server mode needs vector_store.url")
        self._url = url or ":memory:"
        self._client = client or open_client(
            url, api_key=api_key, timeout_s=timeout_s, prefer_grpc=prefer_grpc
        )
        self._breaker = qdrant_breaker(breakers, "qdrant", timeout_s) if breakers else None
        self._version: str | None = None
        self._incompatible: str | None = None
        super().__init__(timeout_s=timeout_s, telemetry=telemetry)

    async def run(
        self,
        fn: Callable[[AsyncQdrantClient], Awaitable[T]],
        *,
        collection: str | None = None,
        idempotent: bool = True,
        operation: str = "call",
    ) -> T:
        """One call through the ``qdrant`` breaker."""
        if self._incompatible is not None:
            raise DependencyUnavailable("qdrant", self._incompatible)
        return await call_client(
            self._breaker,
            fn,
            self._client,
            timeout_s=self._timeout_s,
            collection=collection,
            telemetry=self._telemetry,
            operation=operation,
        )

    async def _check_versions(self) -> bool:
        info = await call_client(
            self._breaker,
            lambda c: c.info(),
            self._client,
            timeout_s=self._timeout_s,
            collection=None,
        )
        was = self._incompatible
        self._version = info.version
        self._incompatible = version_problem(info.version)
        if self._incompatible is not None:
            if was is None:
                log.error("qdrant_version_incompatible", url=self._url, detail=self._incompatible)
            return False
        log.info("qdrant_server_checked", url=self._url, version=info.version)
        return True

    async def health(self) -> DependencyHealth:
        """``get_collections`` latency, the breaker state, version and collection problems."""
        self.check_in_background()
        started = time.perf_counter()
        reachable, detail = True, self._url
        try:
            await call_client(
                None,
                lambda c: c.get_collections(),
                self._client,
                timeout_s=min(self._timeout_s, HEALTH_TIMEOUT_S),
                collection=None,
            )
        except Exception as exc:
            reachable, detail = False, f"{self._url}: {exc}"
        latency_ms = round((time.perf_counter() - started) * 1000, 3)
        if self._incompatible is not None:
            reachable, detail = False, self._incompatible
        elif reachable and not self._checked:
            detail = f"{self._url}: startup checks pending"
        extra: dict[str, Any] = {"url": self._url, "version": self._version}
        if self._breaker is not None:
            extra["breaker"] = self._breaker.snapshot().state
        if self.problems:
            extra["collections"] = {name: p.detail for name, p in self.problems.items()}
        return DependencyHealth(
            name="qdrant",
            mode=self.mode,
            reachable=reachable,
            latency_ms=latency_ms,
            detail=detail,
            extra=extra,
        )

    async def close(self) -> None:
        """Close the client's connections."""
        await self._stop_checks()
        await self._client.close()
