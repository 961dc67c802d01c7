"""Telemetry twins: one that drops everything, one that remembers every call (for tests)."""

from __future__ import annotations

from typing import Any

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

__all__ = ["NoopTelemetry", "RecordingTelemetry"]

_EMPTY = Exposition(content_type="text/plain; version=0.0.4; charset=utf-8", body=b"")


class NoopTelemetry:
    """Accepts every report and keeps nothing: the sink when metrics are disabled."""

    def http_request_started(self) -> None:
        """Nothing."""

    def http_request_finished(self, route: str, method: str, status: int, seconds: float) -> None:
        """Nothing."""

    def observe_query_stage(self, stage: QueryStage, mode: SearchMode, seconds: float) -> None:
        """Nothing."""

    def count_degraded(self, reason: str) -> None:
        """Nothing."""

    def count_cache(self, cache: str, result: CacheResult) -> None:
        """Nothing."""

    def count_ingest(
        self,
        *,
        created: int = 0,
        updated: int = 0,
        unchanged: int = 0,
        failed: int = 0,
        chunks: int = 0,
    ) -> None:
        """Nothing."""

    def set_job_queue_depth(self, depth: int) -> None:
        """Nothing."""

    def observe_job(self, seconds: float, state: JobState, *, job_id: str = "") -> None:
        """Nothing."""

    def observe_backup(self, outcome: BackupOutcome, trigger: BackupTrigger, at: float) -> None:
        """Nothing."""

    def count_partial_backups_removed(self, count: int) -> None:
        """Nothing."""

    def observe_dependency(
        self, dependency: str, operation: str, seconds: float, error_kind: str | None = None
    ) -> None:
        """Nothing."""

    def set_breaker_state(self, dependency: str, state: BreakerState) -> None:
        """Nothing."""

    def record_breaker_transition(self, dependency: str, from_state: str, to_state: str) -> None:
        """Nothing."""

    def count_watch_events(self, kind: WatchEventKind, count: int = 1) -> None:
        """Nothing."""

    def set_watch_pending(self, files: int) -> None:
        """Nothing."""

    def observe_watch_lag(self, seconds: float) -> None:
        """Nothing."""

    def set_node_up(self, node: str, up: bool) -> None:
        """Nothing."""

    def exposition(self) -> Exposition:
        """An empty scrape."""
        return _EMPTY


class RecordingTelemetry(NoopTelemetry):
    """Remembers each call as ``(method, kwargs)`` so unit tests can assert what was reported.

    Unbounded: for tests only, never for a running app.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def of(self, method: str) -> list[dict[str, Any]]:
        """The arguments of every call to ``method``, in order."""
        return [kwargs for name, kwargs in self.calls if name == method]

    def http_request_finished(self, route: str, method: str, status: int, seconds: float) -> None:
        """Recorded."""
        self.calls.append(
            ("http_request_finished", {"route": route, "method": method, "status": status})
        )

    def observe_query_stage(self, stage: QueryStage, mode: SearchMode, seconds: float) -> None:
        """Recorded."""
        self.calls.append(("observe_query_stage", {"stage": stage, "mode": mode}))

    def count_degraded(self, reason: str) -> None:
        """Recorded."""
        self.calls.append(("count_degraded", {"reason": reason}))

    def count_cache(self, cache: str, result: CacheResult) -> None:
        """Recorded."""
        self.calls.append(("count_cache", {"cache": cache, "result": result}))

    def count_ingest(
        self,
        *,
        created: int = 0,
        updated: int = 0,
        unchanged: int = 0,
        failed: int = 0,
        chunks: int = 0,
    ) -> None:
        """Recorded."""
        counts = {"created": created, "updated": updated, "unchanged": unchanged}
        self.calls.append(("count_ingest", {**counts, "failed": failed, "chunks": chunks}))

    def set_job_queue_depth(self, depth: int) -> None:
        """Recorded."""
        self.calls.append(("set_job_queue_depth", {"depth": depth}))

    def observe_job(self, seconds: float, state: JobState, *, job_id: str = "") -> None:
        """Recorded."""
        self.calls.append(("observe_job", {"state": state, "job_id": job_id}))

    def observe_backup(self, outcome: BackupOutcome, trigger: BackupTrigger, at: float) -> None:
        """Recorded."""
        self.calls.append(("observe_backup", {"outcome": outcome, "trigger": trigger, "at": at}))

    def count_partial_backups_removed(self, count: int) -> None:
        """Recorded."""
        self.calls.append(("count_partial_backups_removed", {"count": count}))

    def observe_dependency(
        self, dependency: str, operation: str, seconds: float, error_kind: str | None = None
    ) -> None:
        """Recorded."""
        self.calls.append(
            (
                "observe_dependency",
                {"dependency": dependency, "operation": operation, "error_kind": error_kind},
            )
        )

    def set_breaker_state(self, dependency: str, state: BreakerState) -> None:
        """Recorded."""
        self.calls.append(("set_breaker_state", {"dependency": dependency, "state": state}))

    def record_breaker_transition(self, dependency: str, from_state: str, to_state: str) -> None:
        """Recorded."""
        self.calls.append(
            (
                "record_breaker_transition",
                {"dependency": dependency, "from_state": from_state, "to_state": to_state},
            )
        )

    def set_node_up(self, node: str, up: bool) -> None:
        """Recorded."""
        self.calls.append(("set_node_up", {"node": node, "up": up}))

    def count_watch_events(self, kind: WatchEventKind, count: int = 1) -> None:
        """Recorded."""
        self.calls.append(("count_watch_events", {"kind": kind, "count": count}))

    def observe_watch_lag(self, seconds: float) -> None:
        """Recorded."""
        self.calls.append(("observe_watch_lag", {"seconds": seconds}))
