"""Cluster nodes: one client and one breaker each, and the probe that watches ``/readyz``.

A node is routable when its last probe answered 200, its Qdrant version is compatible and its
breaker is not open. The probe marks a dead node down within one interval, so requests skip it
without waiting for their own timeouts; its breaker opens after ``fail_max`` failed requests
for the same reason. A node rejoins once the probe sees it ready again and (if its breaker
opened) one half-open trial request succeeds.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from qdrant_client import AsyncQdrantClient

from ragmono.ports import Telemetry
from ragmono.resilience import DependencyBreaker

from .checks import version_problem

__all__ = ["NodeProbe", "QdrantNode", "node_label"]

log = structlog.get_logger(__name__)


def node_label(url: str) -> str:
    """``host:port`` of a node URL (Qdrant's REST port 6333 when the URL names none)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    return f"{parts.hostname}:{parts.port or 6333}"


@dataclass(eq=False)
class QdrantNode:
    """One cluster node as this process sees it."""

    url: str
    client: AsyncQdrantClient
    breaker: DependencyBreaker
    label: str = ""
    up: bool = True
    """Last probe result; optimistic until the first probe."""
    version: str | None = None
    incompatible: str | None = None
    latency_ms: float | None = None
    detail: str = ""
    calls: int = field(default=0)
    """Calls routed to this node by this process."""

    def __post_init__(self) -> None:
        self.label = self.label or node_label(self.url)

    def routable(self) -> bool:
        """Up, compatible and not behind an open breaker (an expired one admits a trial)."""
        if not self.up or self.incompatible is not None:
            return False
        if self.breaker.state != "open":  # the cheap check on every call
            return True
        return not self.breaker.snapshot().retry_after_s

    def describe(self) -> dict[str, Any]:
        """The node's line in /ready."""
        snap = self.breaker.snapshot()
        return {
            "node": self.label,
            "url": self.url,
            "up": self.up and self.incompatible is None,
            "latency_ms": self.latency_ms,
            "breaker": snap.state,
            "retry_after_s": snap.retry_after_s,
            "version": self.version,
            "calls": self.calls,
            "detail": self.incompatible or self.detail,
        }


class NodeProbe:
    """Polls every node's ``/readyz`` (and ``/`` for its version) on a short timeout."""

    def __init__(
        self,
        nodes: list[QdrantNode],
        *,
        interval_s: float,
        timeout_s: float,
        api_key: str = "",
        telemetry: Telemetry | None = None,
    ) -> None:
        self._nodes = nodes
        self._telemetry = telemetry
        self._interval_s = interval_s
        headers = {"api-key": api_key} if api_key else {}
        self._http = httpx.AsyncClient(timeout=timeout_s, headers=headers)
        self._task: asyncio.Task[None] | None = None
        self.rounds = 0

    @property
    def running(self) -> bool:
        """Whether the background loop is active."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Probe in the background every ``interval_s``."""
        if not self.running:
            self._task = asyncio.create_task(self._loop(), name="qdrant-node-probe")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            await self.probe_all()

    async def probe_all(self) -> None:
        """Probe every node once, concurrently."""
        await asyncio.gather(*(self._probe(node) for node in self._nodes))
        self.rounds += 1

    async def _probe(self, node: QdrantNode) -> None:
        was_up = node.up
        started = time.perf_counter()
        try:
            response = await self._http.get(f"{node.url.rstrip('/')}/readyz")
            ok = response.status_code == 200
            detail = "" if ok else f"/readyz answered {response.status_code}"
        except httpx.HTTPError as exc:
            ok, detail = False, f"{type(exc).__name__}: {exc}".rstrip(": ")
        node.latency_ms = round((time.perf_counter() - started) * 1000, 3) if ok else None
        if ok and (node.version is None or not was_up):
            ok, detail = await self._read_version(node)
        node.up, node.detail = ok, detail
        if self._telemetry is not None:
            self._telemetry.set_node_up(node.label, ok and node.incompatible is None)
        if was_up and not ok:
            log.warning("qdrant_node_down", node=node.label, detail=detail)
        elif ok and not was_up:
            log.info("qdrant_node_up", node=node.label, version=node.version)

    async def _read_version(self, node: QdrantNode) -> tuple[bool, str]:
        """The version may change while a node is down (upgrade): read it on every return."""
        try:
            response = await self._http.get(f"{node.url.rstrip('/')}/")
            version = str(response.json()["version"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            return False, f"version unreadable: {type(exc).__name__}: {exc}"
        was = node.incompatible
        node.version, node.incompatible = version, version_problem(version)
        if node.incompatible is not None and was is None:
            log.error("qdrant_version_incompatible", node=node.label, detail=node.incompatible)
        return True, ""

    async def close(self) -> None:
        """Stop the loop and close the HTTP client."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._http.aclose()
