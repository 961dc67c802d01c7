"""The Prometheus adapter: what each port call does to the scrape."""

from __future__ import annotations

from typing import Any

from ragmono.adapters.prometheus import PrometheusTelemetry
from tests.support.metrics import parse_scrape


def _telemetry() -> PrometheusTelemetry:
    return PrometheusTelemetry(
        version="9.9.9", vector_store="cluster", embedder="ollama", generator="ollama"
    )


def _values(telemetry: PrometheusTelemetry, family: str) -> dict[tuple[Any, ...], float]:
    scraped = parse_scrape(telemetry.exposition().body.decode())
    return {
        (name, *sorted(labels.items())): value for name, labels, value in scraped[family].samples
    }


def test_each_instance_counts_on_its_own_registry() -> None:
    first, second = _telemetry(), _telemetry()
    first.count_degraded("generator_unavailable")

    # Known reasons start at zero (the dashboard shows 0, not "no data").
    assert _values(first, "ragmono_degraded_total") == {
        ("ragmono_degraded_total", ("reason", "generator_unavailable")): 1,
        ("ragmono_degraded_total", ("reason", "embedder_unavailable")): 0,
    }
    assert _values(second, "ragmono_degraded_total") == {
        ("ragmono_degraded_total", ("reason", "generator_unavailable")): 0,
        ("ragmono_degraded_total", ("reason", "embedder_unavailable")): 0,
    }


def test_breaker_transitions_set_the_state_gauge_and_count_with_one_spelling() -> None:
    telemetry = _telemetry()
    telemetry.set_breaker_state("redis", "closed")
    telemetry.record_breaker_transition("qdrant", "closed", "open")
    telemetry.record_breaker_transition("qdrant", "open", "half-open")  # aiobreaker's spelling

    states = _values(telemetry, "ragmono_breaker_state")
    assert states[("ragmono_breaker_state", ("dependency", "redis"))] == 0
    assert states[("ragmono_breaker_state", ("dependency", "qdrant"))] == 2
    transitions = _values(telemetry, "ragmono_breaker_transitions_total")
    assert set(transitions) == {
        (
            "ragmono_breaker_transitions_total",
            ("dependency", "qdrant"),
            ("from_state", "closed"),
            ("to_state", "open"),
        ),
        (
            "ragmono_breaker_transitions_total",
            ("dependency", "qdrant"),
            ("from_state", "open"),
            ("to_state", "half_open"),
        ),
    }


def test_an_unknown_breaker_state_is_logged_not_raised(capsys: Any) -> None:
    telemetry = _telemetry()
    telemetry.record_breaker_transition("redis", "closed", "melted")

    assert ("ragmono_breaker_state", ("dependency", "redis")) not in _values(
        telemetry, "ragmono_breaker_state"
    )
    assert '"event": "telemetry_unknown_breaker_state"' in capsys.readouterr().err


def test_fast_fails_count_as_errors_without_skewing_latency() -> None:
    telemetry = _telemetry()
    telemetry.observe_dependency("ollama_embed", "embed", 0.2)
    telemetry.observe_dependency("ollama_embed", "embed", 5.0, "timeout")
    telemetry.observe_dependency("ollama_embed", "embed", 0.00001, "breaker_open")

    durations = _values(telemetry, "ragmono_dependency_duration_seconds")
    count_key = (
        "ragmono_dependency_duration_seconds_count",
        ("dependency", "ollama_embed"),
        ("operation", "embed"),
    )
    assert durations[count_key] == 2
    errors = _values(telemetry, "ragmono_dependency_errors_total")
    assert errors == {
        ("ragmono_dependency_errors_total", ("dependency", "ollama_embed"), ("kind", "timeout")): 1,
        (
            "ragmono_dependency_errors_total",
            ("dependency", "ollama_embed"),
            ("kind", "breaker_open"),
        ): 1,
    }


def test_ingest_counts_add_up_by_result() -> None:
    telemetry = _telemetry()
    telemetry.count_ingest(created=3, chunks=12)
    telemetry.count_ingest(updated=1, unchanged=4, failed=2, chunks=5)

    documents = _values(telemetry, "ragmono_ingest_documents_total")
    assert {key[1][1]: value for key, value in documents.items()} == {
        "created": 3,
        "updated": 1,
        "unchanged": 4,
        "failed": 2,
    }
    assert _values(telemetry, "ragmono_ingest_chunks_total") == {
        ("ragmono_ingest_chunks_total",): 17
    }


def test_http_labels_stay_bounded_and_in_flight_returns_to_zero() -> None:
    telemetry = _telemetry()
    for method, status in (("GET", 200), ("PROPFIND", 207), ("GET", 503), ("GET", 999)):
        telemetry.http_request_started()
        telemetry.http_request_finished("/health", method, status, 0.002)

    requests = _values(telemetry, "ragmono_http_requests_total")
    assert {(k[1][1], k[3][1]): v for k, v in requests.items()} == {
        ("GET", "2xx"): 1,
        ("other", "2xx"): 1,
        ("GET", "5xx"): 1,
        ("GET", "other"): 1,
    }
    assert _values(telemetry, "ragmono_http_requests_in_flight") == {
        ("ragmono_http_requests_in_flight",): 0
    }


def test_known_query_stages_exist_before_the_first_query() -> None:
    counts = {
        key: value
        for key, value in _values(_telemetry(), "ragmono_query_duration_seconds").items()
        if key[0].endswith("_count")
    }
    assert len(counts) == 4 * 3  # embed, search, generate, total x dense, keyword, hybrid
    assert set(counts.values()) == {0}


def test_node_up_and_queue_depth_are_gauges() -> None:
    telemetry = _telemetry()
    telemetry.set_node_up("q1:6333", True)
    telemetry.set_node_up("q1:6333", False)
    telemetry.set_job_queue_depth(4)

    assert _values(telemetry, "ragmono_qdrant_node_up") == {
        ("ragmono_qdrant_node_up", ("node", "q1:6333")): 0
    }
    assert _values(telemetry, "ragmono_jobs_queue_depth") == {("ragmono_jobs_queue_depth",): 4}


def test_http_durations_fall_into_cumulative_le_buckets() -> None:
    telemetry = _telemetry()
    for status, seconds in ((200, 0.0005), (201, 0.001), (204, 0.3), (500, 20.0)):
        telemetry.http_request_started()
        telemetry.http_request_finished("/api/v1/query", "POST", status, seconds)

    durations = _values(telemetry, "ragmono_http_request_duration_seconds")
    buckets = {
        key[1][1]: value
        for key, value in durations.items()
        if key[0] == "ragmono_http_request_duration_seconds_bucket"
    }
    assert buckets["0.001"] == 2  # le is inclusive: 1 ms lands in the 1 ms bucket
    assert buckets["0.25"] == 2
    assert buckets["0.5"] == 3
    assert buckets["10.0"] == 3
    assert buckets["+Inf"] == 4
    count_key = (
        "ragmono_http_request_duration_seconds_count",
        ("method", "POST"),
        ("route", "/api/v1/query"),
    )
    assert durations[count_key] == 4
    sum_key = ("ragmono_http_request_duration_seconds_sum", *count_key[1:])
    assert abs(durations[sum_key] - 20.3015) < 1e-9
    requests = _values(telemetry, "ragmono_http_requests_total")
    assert {k[3][1]: v for k, v in requests.items()} == {"2xx": 3, "5xx": 1}


def test_backups_are_counted_by_outcome_and_trigger_with_the_last_success_time() -> None:
    telemetry = _telemetry()
    before = _values(telemetry, "ragmono_backups_total")
    assert len(before) == 6
    assert set(before.values()) == {0}
    assert _values(telemetry, "ragmono_backup_last_success_timestamp_seconds") == {
        ("ragmono_backup_last_success_timestamp_seconds",): 0
    }

    telemetry.observe_backup("failure", "schedule", 1_700_000_000.0)
    telemetry.observe_backup("success", "api", 1_700_000_100.0)
    telemetry.observe_backup("failure", "schedule", 1_700_000_200.0)

    counts = _values(telemetry, "ragmono_backups_total")
    assert counts[("ragmono_backups_total", ("outcome", "failure"), ("trigger", "schedule"))] == 2
    assert counts[("ragmono_backups_total", ("outcome", "success"), ("trigger", "api"))] == 1
    assert _values(telemetry, "ragmono_backup_last_success_timestamp_seconds") == {
        ("ragmono_backup_last_success_timestamp_seconds",): 1_700_000_100.0
    }
