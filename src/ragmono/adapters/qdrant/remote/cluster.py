"""Cluster mode: several Qdrant node URLs with client-side failover (what HAProxy used to do).

Every call goes to the next routable node in round-robin order through that node's own breaker
(``qdrant:<host:port>``). A call that fails there because the node is sick (refused, timed out,
5xx) is retried on the next routable node: reads are idempotent and writes are too, because
point ids are deterministic and Qdrant routes each write to its shard's replicas itself. Only
collection creation is retried solely when the request provably never left (connection
refused, breaker open), since a timed-out create may have succeeded.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, TypeVar

import msgspec
import structlog
from qdrant_client import AsyncQdrantClient, models

from ragmono.domain import CollectionSpec, DependencyHealth, EmbedderRef
from ragmono.errors import DependencyUnavailable, NotFound
from ragmono.ports import Telemetry
from ragmono.resilience import BreakerRegistry

from .calls import call_client, qdrant_breaker
from .failures import never_sent
from .nodes import NodeProbe, QdrantNode, node_label
from .remote_store import RemoteVectorStore
from .server import open_client

__all__ = ["ClusterVectorStore", "to_read_consistency"]

log = structlog.get_logger(__name__)
T = TypeVar("T")


def to_read_consistency(value: str) -> models.ReadConsistency:
    """The settings value (``"1"``, ``"majority"``, ...) as qdrant-client's type."""
    return int(value) if value.isdigit() else models.ReadConsistencyType(value)


class ClusterVectorStore(RemoteVectorStore):
    """:class:`~ragmono.ports.VectorStore` over a Qdrant cluster, one client per node."""

    mode = "cluster"

    def __init__(
        self,
        urls: Sequence[str],
        *,
        breakers: BreakerRegistry,
        api_key: str = "",
        timeout_s: float = 5.0,
        prefer_grpc: bool = False,
        shard_number: int = 0,
        replication_factor: int = 2,
        write_consistency_factor: int = 1,
        read_consistency: str = "1",
        health_interval_s: float = 5.0,
        probe_timeout_s: float | None = None,
        clients: Sequence[AsyncQdrantClient] | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        if not urls:
            raise ValueError("cluster mode needs vector_store.urls")
        self.nodes = [
            QdrantNode(
                url=url,
                client=clients[i]
                if clients
                else open_client(
                    url, api_key=api_key, timeout_s=timeout_s, prefer_grpc=prefer_grpc
                ),
                breaker=qdrant_breaker(breakers, f"qdrant:{node_label(url)}", timeout_s),
            )
            for i, url in enumerate(urls)
        ]
        count = len(self.nodes)
        self._shard_number = shard_number or 2 * count
        self._replication_factor = min(replication_factor, count)
        self._write_consistency = min(write_consistency_factor, self._replication_factor)
        self._turn = itertools.count()
        self.probe = NodeProbe(
            self.nodes,
            interval_s=health_interval_s,
            timeout_s=probe_timeout_s or min(1.0, timeout_s),
            api_key=api_key,
            telemetry=telemetry,
        )
        super().__init__(
            timeout_s=timeout_s,
            read_args={"consistency": to_read_consistency(read_consistency)},
            telemetry=telemetry,
        )

    def _catalog_args(self) -> dict[str, dict[str, Any]]:
        # The catalog is tiny and read on every request: a copy on every node, majority reads.
        return {
            "create_args": {"shard_number": 1, "replication_factor": len(self.nodes)},
            "read_args": {"consistency": models.ReadConsistencyType.MAJORITY},
            "write_args": {"ordering": models.WriteOrdering.MEDIUM},
        }

    def _placement(self, spec: CollectionSpec) -> tuple[CollectionSpec, dict[str, Any]]:
        shards = spec.shard_number or self._shard_number
        replicas = spec.replication_factor or self._replication_factor
        writes = min(spec.write_consistency_factor or self._write_consistency, replicas)
        placement = {
            "shard_number": shards,
            "replication_factor": replicas,
            "write_consistency_factor": writes,
        }
        return msgspec.structs.replace(spec, **placement), placement

    # -- routing -----------------------------------------------------------------------------

    def _order(self) -> Iterator[QdrantNode]:
        """Routable nodes from the next round-robin position; then, as a last resort before
        failing the call, the ones only the (maybe stale) probe calls down."""
        nodes = self.nodes
        count = len(nodes)
        start = next(self._turn) % count
        skipped: list[QdrantNode] = []
        for i in range(count):
            node = nodes[(start + i) % count]
            if node.routable():
                yield node
            else:
                skipped.append(node)
        for node in skipped:
            if not node.up and node.incompatible is None and node.breaker.state != "open":
                yield node

    async def run(
        self,
        fn: Callable[[AsyncQdrantClient], Awaitable[T]],
        *,
        collection: str | None = None,
        idempotent: bool = True,
        operation: str = "call",
    ) -> T:
        """Run ``fn`` on a routable node; on a node failure, again on the next one.

        A collection created a moment ago may not have reached every node yet, so a NotFound
        gets one second opinion from the next node before it is believed.
        """
        failures: list[str] = []
        retry_after: float | None = None
        missing: NotFound | None = None
        for node in self._order():
            node.calls += 1
            try:
                return await call_client(
                    node.breaker,
                    fn,
                    node.client,
                    timeout_s=self._timeout_s,
                    collection=collection,
                    telemetry=self._telemetry,
                    operation=operation,
                )
            except NotFound as exc:
                if missing is not None:
                    raise
                missing = exc
            except DependencyUnavailable as exc:
                failures.append(f"{node.label}: {exc.detail}")
                if exc.retry_after_s is not None:
                    retry_after = min(retry_after or exc.retry_after_s, exc.retry_after_s)
                if not idempotent and not (exc.__cause__ is None or never_sent(exc)):
                    raise  # it may have been applied: the caller decides
                log.info("qdrant_failover", node=node.label, error=exc.detail)
        if missing is not None:
            raise missing
        if not failures:  # every node was skipped: say why, and when one may be back
            for node in self.nodes:
                snap = node.breaker.snapshot()
                if snap.state == "open" and snap.retry_after_s:
                    failures.append(f"{node.label}: breaker open")
                    retry_after = min(retry_after or snap.retry_after_s, snap.retry_after_s)
                else:
                    failures.append(f"{node.label}: {node.incompatible or node.detail or 'down'}")
        # Node addresses go to the log and /ready, not into API error bodies.
        log.warning("qdrant_no_node_served", failures=failures)
        raise DependencyUnavailable(
            "qdrant",
            f"no Qdrant node could serve the call ({len(self.nodes)} nodes; see /ready)",
            retry_after_s=retry_after,
        )

    # -- lifecycle ---------------------------------------------------------------------------

    async def _check_versions(self) -> bool:
        if self.probe.rounds == 0:
            await self.probe.probe_all()
        return any(n.incompatible is None for n in self.nodes)

    async def start(self, embedder: EmbedderRef | None = None) -> None:
        """Probe every node, start the background probe, then run the startup checks."""
        await self.probe.probe_all()
        self.probe.start()
        await super().start(embedder)

    async def health(self) -> DependencyHealth:
        """Each node: up or down, latency, breaker state and version (from the last probe)."""
        if not self.probe.running:
            await self.probe.probe_all()
        self.check_in_background()
        nodes = [n.describe() for n in self.nodes]
        routable = [n for n in self.nodes if n.routable()]
        latencies = [n.latency_ms for n in routable if n.latency_ms is not None]
        down = [
            f"{d['node']} ({d['detail'] or d['breaker']})"
            for d in nodes
            if not d["up"] or d["breaker"] == "open"
        ]
        detail = f"{len(routable)}/{len(nodes)} nodes routable"
        if down:
            detail += "; not routable: " + ", ".join(down)
        if routable and not self._checked:
            detail += "; startup checks pending"
        extra: dict[str, Any] = {"nodes": nodes}
        if self.problems:
            extra["collections"] = {name: p.detail for name, p in self.problems.items()}
        return DependencyHealth(
            name="qdrant",
            mode=self.mode,
            reachable=bool(routable),
            latency_ms=min(latencies) if latencies else None,
            detail=detail,
            extra=extra,
        )

    async def close(self) -> None:
        """Stop probing and close every node's client."""
        await self._stop_checks()
        await self.probe.close()
        for node in self.nodes:
            await node.client.close()
