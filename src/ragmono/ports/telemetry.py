"""The telemetry port: what services, adapters and middleware report, with no metrics SDK.

Every method is cheap, synchronous, never raises and never blocks: call it inline on the hot
path. Label values must come from small fixed sets (the ``Literal`` types below, dependency and
node names from settings, route templates): never ids, raw paths, queries or error messages.
"""

from __future__ import annotations

from typing import Literal, NamedTuple, Protocol

from ragmono.ports.file_watcher import WatchEventKind

QueryStage = Literal["embed", "search", "generate", "total"]
"""A timed stage of one search or query; ``total`` is the whole request."""

SearchMode = Literal["dense", "keyword", "hybrid"]
"""How passages were retrieved (the ``mode`` label of query stages)."""

CacheResult = Literal["hit", "miss"]
"""Outcome of one cache lookup."""

BreakerState = Literal["closed", "open", "half_open"]
"""A circuit breaker's state (exported as 0, 1 and 2)."""

JobState = Literal["succeeded", "completed_with_errors", "failed", "cancelled"]
"""How a background job ended."""

BackupOutcome = Literal["success", "failure"]
"""How one backup ended."""

BackupTrigger = Literal["schedule", "api", "cli"]
"""What started a backup."""


class Exposition(NamedTuple):
    """A rendered scrape: the body and its media type."""

    content_type: str
    body: bytes


class Telemetry(Protocol):
    """Metrics sink. Adapters: ``PrometheusTelemetry``; twins: ``NoopTelemetry``,
    ``RecordingTelemetry``; ``EventLoggingTelemetry`` wraps one and logs state changes."""

    # -- HTTP (called by the ASGI middleware only) -------------------------------------------
    def http_request_started(self) -> None:
        """One more request in flight."""
        ...

    def http_request_finished(self, route: str, method: str, status: int, seconds: float) -> None:
        """A request ended: ``route`` is the matched path template or ``unmatched``."""
        ...

    # -- query path --------------------------------------------------------------------------
    def observe_query_stage(self, stage: QueryStage, mode: SearchMode, seconds: float) -> None:
        """Time one stage of a search or query (and ``total`` once per request)."""
        ...

    def count_degraded(self, reason: str) -> None:
        """An answer was degraded, e.g. ``embedder_unavailable``, ``generator_unavailable``."""
        ...

    def count_cache(self, cache: str, result: CacheResult) -> None:
        """One lookup in the named cache (``search``, ``query``, ...) hit or missed."""
        ...

    # -- ingest and jobs ---------------------------------------------------------------------
    def count_ingest(
        self,
        *,
        created: int = 0,
        updated: int = 0,
        unchanged: int = 0,
        failed: int = 0,
        chunks: int = 0,
    ) -> None:
        """Documents ingested by outcome, and chunks written, in one batch."""
        ...

    def set_job_queue_depth(self, depth: int) -> None:
        """Jobs waiting to run right now."""
        ...

    def observe_job(self, seconds: float, state: JobState, *, job_id: str = "") -> None:
        """A job ended after ``seconds`` of running; ``job_id`` goes to the log only."""
        ...

    def observe_backup(self, outcome: BackupOutcome, trigger: BackupTrigger, at: float) -> None:
        """A backup ended at unix time ``at``; a success also moves the last-success time."""
        ...

    def count_partial_backups_removed(self, count: int) -> None:
        """``count`` unfinished backups (``<id>.partial``, left by a killed run) were removed."""
        ...

    # -- watched folders ---------------------------------------------------------------------
    def count_watch_events(self, kind: WatchEventKind, count: int = 1) -> None:
        """``count`` changes of ``kind`` were reported under watched folders."""
        ...

    def set_watch_pending(self, files: int) -> None:
        """Paths changed under watched folders and not yet searchable (waiting or in a job)."""
        ...

    def observe_watch_lag(self, seconds: float) -> None:
        """A watched change became searchable (or gone) ``seconds`` after the file settled."""
        ...

    # -- dependencies ------------------------------------------------------------------------
    def observe_dependency(
        self, dependency: str, operation: str, seconds: float, error_kind: str | None = None
    ) -> None:
        """One call to a dependency (``qdrant``, ``ollama_embed``, ``redis``, ...).

        ``error_kind`` is None on success, else a short class such as ``timeout``,
        ``connection``, ``http_5xx``, ``breaker_open`` or ``other``. Fast-fails with
        ``breaker_open`` count as errors but are not timed (they never reached the dependency).
        """
        ...

    def set_breaker_state(self, dependency: str, state: BreakerState) -> None:
        """A breaker's current state (call once per breaker at startup)."""
        ...

    def record_breaker_transition(self, dependency: str, from_state: str, to_state: str) -> None:
        """A breaker changed state: counts the transition and sets the state gauge.

        Its signature is the breaker registry's listener: ``registry.add_listener(t.record_...)``.
        """
        ...

    def set_node_up(self, node: str, up: bool) -> None:
        """Whether one Qdrant cluster node answered its last probe."""
        ...

    # -- exposition --------------------------------------------------------------------------
    def exposition(self) -> Exposition:
        """Everything collected so far, in the sink's scrape format."""
        ...
