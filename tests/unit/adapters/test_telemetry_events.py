"""State changes reported to telemetry become one structured log event each."""

from __future__ import annotations

import json
from typing import Any

from ragmono.adapters.telemetry_events import EventLoggingTelemetry
from ragmono.adapters.telemetry_memory import RecordingTelemetry


def _events(capsys: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]


def test_breaker_transitions_are_forwarded_not_logged_twice(capsys: Any) -> None:
    inner = RecordingTelemetry()
    telemetry = EventLoggingTelemetry(inner)
    telemetry.set_breaker_state("redis", "closed")
    telemetry.record_breaker_transition("redis", "closed", "open")
    telemetry.record_breaker_transition("redis", "open", "half-open")

    assert _events(capsys) == []  # the breaker registry logs each transition itself
    assert len(inner.of("record_breaker_transition")) == 2
    assert inner.of("set_breaker_state") == [{"dependency": "redis", "state": "closed"}]


def test_a_node_is_logged_when_it_changes_not_on_every_probe(capsys: Any) -> None:
    telemetry = EventLoggingTelemetry(RecordingTelemetry())
    for up in (True, True, False, False, False, True, True):
        telemetry.set_node_up("q2:6333", up)
    telemetry.set_node_up("q3:6333", False)

    events = _events(capsys)
    assert [(e["event"], e["node"]) for e in events] == [
        ("qdrant_node_down", "q2:6333"),
        ("qdrant_node_up", "q2:6333"),
        ("qdrant_node_down", "q3:6333"),
    ]


def test_dependency_errors_are_logged_but_fast_fails_are_not(capsys: Any) -> None:
    inner = RecordingTelemetry()
    telemetry = EventLoggingTelemetry(inner)
    telemetry.observe_dependency("qdrant", "search", 0.004)
    telemetry.observe_dependency("qdrant", "search", 5.0, "timeout")
    telemetry.observe_dependency("qdrant", "search", 0.0, "breaker_open")

    events = _events(capsys)
    assert [(e["event"], e["kind"], e["duration_ms"]) for e in events] == [
        ("dependency_error", "timeout", 5000.0)
    ]
    assert [c["error_kind"] for c in inner.of("observe_dependency")] == [
        None,
        "timeout",
        "breaker_open",
    ]


def test_finished_jobs_are_logged_and_failures_warn(capsys: Any) -> None:
    telemetry = EventLoggingTelemetry(RecordingTelemetry())
    telemetry.observe_job(12.3456, "succeeded", job_id="j1")
    telemetry.observe_job(0.5, "failed", job_id="j2")

    events = _events(capsys)
    assert [(e["event"], e["level"], e["job_id"], e["duration_s"]) for e in events] == [
        ("job_finished", "info", "j1", 12.346),
        ("job_finished", "warning", "j2", 0.5),
    ]


def test_hot_path_reports_are_forwarded_silently(capsys: Any) -> None:
    inner = RecordingTelemetry()
    telemetry = EventLoggingTelemetry(inner)
    telemetry.http_request_started()
    telemetry.http_request_finished("/health", "GET", 200, 0.001)
    telemetry.observe_query_stage("search", "dense", 0.01)
    telemetry.count_cache("query", "hit")
    telemetry.count_degraded("embedder_unavailable")
    telemetry.count_ingest(created=1, chunks=2)
    telemetry.set_job_queue_depth(0)

    assert capsys.readouterr().err == ""
    assert [name for name, _ in inner.calls] == [
        "http_request_finished",
        "observe_query_stage",
        "count_cache",
        "count_degraded",
        "count_ingest",
        "set_job_queue_depth",
    ]
    assert telemetry.exposition().body == b""
