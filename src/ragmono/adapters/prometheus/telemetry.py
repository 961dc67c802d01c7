"""The ``Telemetry`` port on prometheus_client.

Each instance owns its ``CollectorRegistry`` (never the global one), so several apps in one
process (tests, benchmarks) keep separate counts. Labelled children are resolved once per
label tuple and cached in a dict: ``metric.labels(...)`` takes a lock and validates on every
call, a dict lookup does not. The per-request HTTP metrics skip even that (``HttpCollector``).
"""

from __future__ import annotations

from typing import Generic, TypeVar

import structlog
from prometheus_client import (
    GC_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from ragmono.ports import (
    BackupOutcome,
    BackupTrigger,
    BreakerState,
    CacheResult,
    Exposition,
    JobState,
    QueryStage,
    SearchMode,
    WatchEventKind,
)

from .http_collector import HttpCollector

__all__ = ["BREAKER_STATE_VALUES", "PrometheusTelemetry"]

log = structlog.get_logger("ragmono.telemetry")

BREAKER_STATE_VALUES: dict[str, float] = {"closed": 0, "open": 1, "half_open": 2, "half-open": 2}
"""The ``ragmono_breaker_state`` value of each state name (aiobreaker spells it half-open)."""

_HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_QUERY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_DEPENDENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
_JOB_BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400)
_WATCH_LAG_BUCKETS = (0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60, 300)
_WATCH_KINDS: tuple[WatchEventKind, ...] = ("added", "modified", "deleted")
_STAGES: tuple[QueryStage, ...] = ("embed", "search", "generate", "total")
_MODES: tuple[SearchMode, ...] = ("dense", "keyword", "hybrid")
_INGEST_RESULTS = ("created", "updated", "unchanged", "failed")
_BACKUP_OUTCOMES: tuple[BackupOutcome, ...] = ("success", "failure")
_DEGRADED_REASONS = ("embedder_unavailable", "generator_unavailable")
"""The reasons the query module counts (``count_degraded``): at zero before the first one, so
the dashboard's degraded-answers panel shows 0 rather than no data."""
_BACKUP_TRIGGERS: tuple[BackupTrigger, ...] = ("schedule", "api", "cli")

M = TypeVar("M", Counter, Gauge, Histogram)


class _Children(Generic[M]):
    """A metric's labelled children, each resolved once (label sets are small and fixed)."""

    __slots__ = ("_cache", "_metric")
    _metric: M

    def __init__(self, metric: M) -> None:
        self._metric = metric
        self._cache: dict[tuple[str, ...], M] = {}

    def __call__(self, *values: str) -> M:
        child = self._cache.get(values)
        if child is None:
            child = self._cache[values] = self._metric.labels(*values)
        return child


class PrometheusTelemetry:
    """Implements the ``Telemetry`` port with prometheus_client on a private registry."""

    def __init__(
        self,
        *,
        version: str,
        vector_store: str,
        embedder: str,
        generator: str,
        process_metrics: bool = True,
    ) -> None:
        # _created series double every counter and histogram in the text format for no use.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        if process_metrics:
            ProcessCollector(registry=reg)
            PlatformCollector(registry=reg)
            if GC_COLLECTOR is not None:
                GCCollector(registry=reg)
        build = Info("ragmono_build", "Version and configured modes of this process.", registry=reg)
        build.info(
            {
                "version": version,
                "vector_store": vector_store,
                "embedder": embedder,
                "generator": generator,
            }
        )
        self._in_flight = 0
        in_flight = Gauge(
            "ragmono_http_requests_in_flight", "HTTP requests being served.", registry=reg
        )
        in_flight.set_function(lambda: self._in_flight)
        self._http = HttpCollector(_HTTP_BUCKETS)
        reg.register(self._http)
        self._query = _Children(
            Histogram(
                "ragmono_query_duration_seconds",
                "Search and query duration by stage (embed, search, generate, total) and mode.",
                ("stage", "mode"),
                buckets=_QUERY_BUCKETS,
                registry=reg,
            )
        )
        self._degraded = _Children(
            Counter(
                "ragmono_degraded_total", "Degraded answers by reason.", ("reason",), registry=reg
            )
        )
        self._cache = _Children(
            Counter(
                "ragmono_cache_requests_total",
                "Cache lookups by cache and result (hit, miss).",
                ("cache", "result"),
                registry=reg,
            )
        )
        self._ingest_documents = _Children(
            Counter(
                "ragmono_ingest_documents_total",
                "Documents ingested by result (created, updated, unchanged, failed).",
                ("result",),
                registry=reg,
            )
        )
        self._ingest_chunks = Counter(
            "ragmono_ingest_chunks_total", "Chunks written to the vector store.", registry=reg
        )
        self._queue_depth = Gauge(
            "ragmono_jobs_queue_depth", "Background jobs waiting to run.", registry=reg
        )
        self._job_duration = _Children(
            Histogram(
                "ragmono_job_duration_seconds",
                "Background job run time by final state.",
                ("state",),
                buckets=_JOB_BUCKETS,
                registry=reg,
            )
        )
        self._backups = _Children(
            Counter(
                "ragmono_backups_total",
                "Backups by outcome (success, failure) and trigger (schedule, api, cli).",
                ("outcome", "trigger"),
                registry=reg,
            )
        )
        self._backup_partials_removed = Counter(
            "ragmono_backup_partials_removed_total",
            "Unfinished backups (<id>.partial, left by a killed run) removed at start or by prune.",
            registry=reg,
        )
        self._backup_last_success = Gauge(
            "ragmono_backup_last_success_timestamp_seconds",
            "Unix time the last successful backup finished (0 before the first one).",
            registry=reg,
        )
        self._dependency_duration = _Children(
            Histogram(
                "ragmono_dependency_duration_seconds",
                "Duration of calls to a dependency by operation.",
                ("dependency", "operation"),
                buckets=_DEPENDENCY_BUCKETS,
                registry=reg,
            )
        )
        self._dependency_errors = _Children(
            Counter(
                "ragmono_dependency_errors_total",
                "Failed dependency calls by kind (timeout, connection, breaker_open, ...).",
                ("dependency", "kind"),
                registry=reg,
            )
        )
        self._breaker_state = _Children(
            Gauge(
                "ragmono_breaker_state",
                "Circuit breaker state: 0 closed, 1 open, 2 half-open.",
                ("dependency",),
                registry=reg,
            )
        )
        self._breaker_transitions = _Children(
            Counter(
                "ragmono_breaker_transitions_total",
                "Circuit breaker state changes.",
                ("dependency", "from_state", "to_state"),
                registry=reg,
            )
        )
        self._node_up = _Children(
            Gauge(
                "ragmono_qdrant_node_up",
                "1 if the Qdrant cluster node answered its last probe.",
                ("node",),
                registry=reg,
            )
        )
        self._watch_events = _Children(
            Counter(
                "ragmono_watch_events_total",
                "Changes reported under watched folders by kind (added, modified, deleted).",
                ("kind",),
                registry=reg,
            )
        )
        self._watch_pending = Gauge(
            "ragmono_watch_files_pending",
            "Paths changed under watched folders and not yet searchable.",
            registry=reg,
        )
        self._watch_lag = Histogram(
            "ragmono_watch_lag_seconds",
            "Time from a watched file settling to its change being searchable (or gone).",
            buckets=_WATCH_LAG_BUCKETS,
            registry=reg,
        )
        for kind in _WATCH_KINDS:
            self._watch_events(kind)
        # Known label values start at zero so rate() and absent() work before the first event.
        for stage in _STAGES:
            for mode in _MODES:
                self._query(stage, mode)
        for result in _INGEST_RESULTS:
            self._ingest_documents(result)
        for reason in _DEGRADED_REASONS:
            self._degraded(reason)
        for outcome in _BACKUP_OUTCOMES:
            for trigger in _BACKUP_TRIGGERS:
                self._backups(outcome, trigger)

    def http_request_started(self) -> None:
        """One more request in flight."""
        self._in_flight += 1

    def http_request_finished(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count the request and observe its duration; unknown methods become ``other``."""
        self._in_flight -= 1
        self._http.record(route, method, status, seconds)

    def observe_query_stage(self, stage: QueryStage, mode: SearchMode, seconds: float) -> None:
        """Observe one stage's duration."""
        self._query(stage, mode).observe(seconds)

    def count_degraded(self, reason: str) -> None:
        """Count one degraded answer."""
        self._degraded(reason).inc()

    def count_cache(self, cache: str, result: CacheResult) -> None:
        """Count one cache lookup."""
        self._cache(cache, result).inc()

    def count_ingest(
        self,
        *,
        created: int = 0,
        updated: int = 0,
        unchanged: int = 0,
        failed: int = 0,
        chunks: int = 0,
    ) -> None:
        """Add one batch's document outcomes and chunk count."""
        for result, count in zip(
            _INGEST_RESULTS, (created, updated, unchanged, failed), strict=True
        ):
            if count:
                self._ingest_documents(result).inc(count)
        if chunks:
            self._ingest_chunks.inc(chunks)

    def set_job_queue_depth(self, depth: int) -> None:
        """Set the queue depth gauge."""
        self._queue_depth.set(depth)

    def observe_job(self, seconds: float, state: JobState, *, job_id: str = "") -> None:
        """Observe a finished job's run time by final state."""
        self._job_duration(state).observe(seconds)

    def observe_backup(self, outcome: BackupOutcome, trigger: BackupTrigger, at: float) -> None:
        """Count the backup; a success sets the last-success time."""
        self._backups(outcome, trigger).inc()
        if outcome == "success":
            self._backup_last_success.set(at)

    def count_partial_backups_removed(self, count: int) -> None:
        """Count removed partial backups."""
        self._backup_partials_removed.inc(count)

    def count_watch_events(self, kind: WatchEventKind, count: int = 1) -> None:
        """Count reported changes."""
        self._watch_events(kind).inc(count)

    def set_watch_pending(self, files: int) -> None:
        """Set the pending-files gauge."""
        self._watch_pending.set(files)

    def observe_watch_lag(self, seconds: float) -> None:
        """Observe one change's lag to searchable."""
        self._watch_lag.observe(seconds)

    def observe_dependency(
        self, dependency: str, operation: str, seconds: float, error_kind: str | None = None
    ) -> None:
        """Time the call (unless it fast-failed on an open breaker) and count its error."""
        if error_kind != "breaker_open":
            self._dependency_duration(dependency, operation).observe(seconds)
        if error_kind is not None:
            self._dependency_errors(dependency, error_kind).inc()

    def set_breaker_state(self, dependency: str, state: BreakerState) -> None:
        """Set the breaker state gauge."""
        self._set_breaker(dependency, state)

    def record_breaker_transition(self, dependency: str, from_state: str, to_state: str) -> None:
        """Count the transition and set the state gauge."""
        self._breaker_transitions(
            dependency, from_state.replace("-", "_"), to_state.replace("-", "_")
        ).inc()
        self._set_breaker(dependency, to_state)

    def _set_breaker(self, dependency: str, state: str) -> None:
        value = BREAKER_STATE_VALUES.get(state)
        if value is None:  # a producer bug; never fail the caller over a metric
            log.warning("telemetry_unknown_breaker_state", dependency=dependency, state=state)
            return
        self._breaker_state(dependency).set(value)

    def set_node_up(self, node: str, up: bool) -> None:
        """Set the node's up gauge."""
        self._node_up(node).set(1 if up else 0)

    def exposition(self) -> Exposition:
        """The registry in the Prometheus text format (0.0.4)."""
        return Exposition(CONTENT_TYPE_PLAIN_0_0_4, generate_latest(self.registry))
