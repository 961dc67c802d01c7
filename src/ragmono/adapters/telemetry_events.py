"""State changes as log events: wraps any ``Telemetry`` and logs what an operator must see.

Metrics say how often; these lines say when and what. Every cluster node going down or coming
back, every dependency failure that reached the dependency and every finished job is one
structured event (names documented in the README). Breaker transitions are logged once, by the
breaker registry itself (``breaker_state_changed``), so they are only forwarded here; fast-fails
on an open breaker are not logged one by one.
"""

from __future__ import annotations

import structlog

from ragmono.ports import (
    BackupOutcome,
    BackupTrigger,
    BreakerState,
    CacheResult,
    Exposition,
    JobState,
    QueryStage,
    SearchMode,
    Telemetry,
    WatchEventKind,
)

__all__ = ["EventLoggingTelemetry"]

log = structlog.get_logger("ragmono.events")


class EventLoggingTelemetry:
    """Forwards every call to ``inner`` and logs the state changes among them."""

    def __init__(self, inner: Telemetry) -> None:
        self.inner = inner
        self._node_up: dict[str, bool] = {}

    def http_request_started(self) -> None:
        """Forwarded."""
        self.inner.http_request_started()

    def http_request_finished(self, route: str, method: str, status: int, seconds: float) -> None:
        """Forwarded (the access log line is the request context middleware's)."""
        self.inner.http_request_finished(route, method, status, seconds)

    def observe_query_stage(self, stage: QueryStage, mode: SearchMode, seconds: float) -> None:
        """Forwarded."""
        self.inner.observe_query_stage(stage, mode, seconds)

    def count_degraded(self, reason: str) -> None:
        """Forwarded."""
        self.inner.count_degraded(reason)

    def count_cache(self, cache: str, result: CacheResult) -> None:
        """Forwarded."""
        self.inner.count_cache(cache, result)

    def count_ingest(
        self,
        *,
        created: int = 0,
        updated: int = 0,
        unchanged: int = 0,
        failed: int = 0,
        chunks: int = 0,
    ) -> None:
        """Forwarded."""
        self.inner.count_ingest(
            created=created, updated=updated, unchanged=unchanged, failed=failed, chunks=chunks
        )

    def set_job_queue_depth(self, depth: int) -> None:
        """Forwarded."""
        self.inner.set_job_queue_depth(depth)

    def observe_job(self, seconds: float, state: JobState, *, job_id: str = "") -> None:
        """Forwarded; logs ``job_finished`` (a warning when the job failed)."""
        self.inner.observe_job(seconds, state, job_id=job_id)
        emit = log.warning if state == "failed" else log.info
        emit("job_finished", job_id=job_id, state=state, duration_s=round(seconds, 3))

    def observe_backup(self, outcome: BackupOutcome, trigger: BackupTrigger, at: float) -> None:
        """Forwarded only: the backup service logs ``backup_created`` / ``backup_failed``."""
        self.inner.observe_backup(outcome, trigger, at)

    def count_partial_backups_removed(self, count: int) -> None:
        """Forwarded only: the backup service logs ``partial_backups_removed``."""
        self.inner.count_partial_backups_removed(count)

    def observe_dependency(
        self, dependency: str, operation: str, seconds: float, error_kind: str | None = None
    ) -> None:
        """Forwarded; logs ``dependency_error`` for a failed call that reached the dependency."""
        self.inner.observe_dependency(dependency, operation, seconds, error_kind)
        if error_kind is not None and error_kind != "breaker_open":
            log.warning(
                "dependency_error",
                dependency=dependency,
                operation=operation,
                kind=error_kind,
                duration_ms=round(seconds * 1000, 2),
            )

    def set_breaker_state(self, dependency: str, state: BreakerState) -> None:
        """Forwarded (an initial state is not a change, so not logged)."""
        self.inner.set_breaker_state(dependency, state)

    def record_breaker_transition(self, dependency: str, from_state: str, to_state: str) -> None:
        """Forwarded only: the registry already logged ``breaker_state_changed`` once."""
        self.inner.record_breaker_transition(dependency, from_state, to_state)

    def count_watch_events(self, kind: WatchEventKind, count: int = 1) -> None:
        """Forwarded."""
        self.inner.count_watch_events(kind, count)

    def set_watch_pending(self, files: int) -> None:
        """Forwarded."""
        self.inner.set_watch_pending(files)

    def observe_watch_lag(self, seconds: float) -> None:
        """Forwarded."""
        self.inner.observe_watch_lag(seconds)

    def set_node_up(self, node: str, up: bool) -> None:
        """Forwarded; logs ``qdrant_node_down`` / ``qdrant_node_up`` when the state changes.

        The first report is logged only if the node is down (a healthy start is not news).
        """
        self.inner.set_node_up(node, up)
        previous = self._node_up.get(node)
        self._node_up[node] = up
        if previous == up or (previous is None and up):
            return
        if up:
            log.info("qdrant_node_up", node=node)
        else:
            log.warning("qdrant_node_down", node=node)

    def exposition(self) -> Exposition:
        """Forwarded."""
        return self.inner.exposition()
