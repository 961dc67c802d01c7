"""Healthy Qdrant nodes for cluster tests: twins sharing one backend, or fronts for a real cluster.

With ``RAGMONO_TEST_QDRANT_URLS`` set, each healthy node is a twin relaying to a real node, so
the failover suite runs against a real cluster while tests still switch nodes off and on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from ragmono.adapters.qdrant.remote.cluster import ClusterVectorStore
from ragmono.ports import Telemetry
from ragmono.resilience import BreakerConfig, BreakerRegistry
from tests.support.qdrant_twin import Blackhole, QdrantTwin, TwinBackend
from tests.support.vector_stores import real_urls

TIMEOUT_S = 0.75
FAIL_MAX = 2
RESET_S = 0.4
PROBE_S = 0.1


@dataclass
class Nodes:
    """Healthy twin nodes (and what to close at the end)."""

    twins: list[QdrantTwin]
    backend: TwinBackend
    real: bool
    _closers: list[object] = field(default_factory=list)

    def twin(self, **kwargs: object) -> QdrantTwin:
        """One more twin node sharing the data (or relaying to the real cluster)."""
        urls = real_urls()
        upstream = urls[len(self.twins) % len(urls)] if urls else None
        twin = QdrantTwin(self.backend, upstream=upstream, **kwargs)  # type: ignore[arg-type]
        self.twins.append(twin)
        return twin

    def blackhole(self) -> str:
        """A node that accepts connections and never answers."""
        hole = Blackhole()
        self._closers.append(hole)
        return hole.url


@contextlib.contextmanager
def nodes() -> Iterator[Nodes]:
    """A factory of healthy nodes; everything is closed on exit."""
    made = Nodes(twins=[], backend=TwinBackend(), real=bool(real_urls()))
    try:
        yield made
    finally:
        for twin in made.twins:
            twin.close()
        for closer in made._closers:
            closer.close()  # type: ignore[attr-defined]


def cluster(
    urls: list[str],
    *,
    probe_s: float = PROBE_S,
    reset_s: float = RESET_S,
    telemetry: Telemetry | None = None,
) -> ClusterVectorStore:
    """A cluster store with short timeouts (0.75 s calls, 0.5 s probes); breakers open after 2."""
    registry = BreakerRegistry(BreakerConfig(fail_max=FAIL_MAX, reset_timeout_s=reset_s))
    return ClusterVectorStore(
        urls,
        breakers=registry,
        timeout_s=TIMEOUT_S,
        health_interval_s=probe_s,
        probe_timeout_s=0.5,
        replication_factor=2,
        read_consistency="majority",
        telemetry=telemetry,
    )
