"""The documented metric families, a scrape parser, and a driver for producers not wired yet."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from ragmono.ports import Telemetry

# Documented name -> (type, label names). The README's metrics table says the same.
DOCUMENTED_FAMILIES: dict[str, tuple[str, frozenset[str]]] = {
    "ragmono_http_requests_total": ("counter", frozenset({"route", "method", "status_class"})),
    "ragmono_http_request_duration_seconds": ("histogram", frozenset({"route", "method"})),
    "ragmono_http_requests_in_flight": ("gauge", frozenset()),
    "ragmono_query_duration_seconds": ("histogram", frozenset({"stage", "mode"})),
    "ragmono_degraded_total": ("counter", frozenset({"reason"})),
    "ragmono_cache_requests_total": ("counter", frozenset({"cache", "result"})),
    "ragmono_ingest_documents_total": ("counter", frozenset({"result"})),
    "ragmono_ingest_chunks_total": ("counter", frozenset()),
    "ragmono_jobs_queue_depth": ("gauge", frozenset()),
    "ragmono_job_duration_seconds": ("histogram", frozenset({"state"})),
    "ragmono_dependency_duration_seconds": (
        "histogram",
        frozenset({"dependency", "operation"}),
    ),
    "ragmono_dependency_errors_total": ("counter", frozenset({"dependency", "kind"})),
    "ragmono_breaker_state": ("gauge", frozenset({"dependency"})),
    "ragmono_breaker_transitions_total": (
        "counter",
        frozenset({"dependency", "from_state", "to_state"}),
    ),
    "ragmono_qdrant_node_up": ("gauge", frozenset({"node"})),
    "ragmono_watch_events_total": ("counter", frozenset({"kind"})),
    "ragmono_watch_files_pending": ("gauge", frozenset()),
    "ragmono_watch_lag_seconds": ("histogram", frozenset()),
    "ragmono_build_info": (  # an Info metric: a gauge of 1 in the text format
        "gauge",
        frozenset({"version", "vector_store", "embedder", "generator"}),
    ),
    "process_cpu_seconds_total": ("counter", frozenset()),
    "process_resident_memory_bytes": ("gauge", frozenset()),
}


@dataclass(frozen=True)
class Family:
    """One metric family as a scraper sees it."""

    type: str
    labels: frozenset[str]
    samples: list[tuple[str, dict[str, str], float]]


def parse_scrape(text: str) -> dict[str, Family]:
    """Families of a Prometheus text scrape, keyed by their documented (suffixed) name."""
    families: dict[str, Family] = {}
    for family in text_string_to_metric_families(text):
        suffix = {"counter": "_total", "info": "_info"}.get(family.type, "")
        samples = [(s.name, dict(s.labels), s.value) for s in family.samples]
        labels = frozenset(k for _, lbl, _ in samples for k in lbl if k != "le")
        families[family.name + suffix] = Family(family.type, labels, samples)
    return families


def exported_series_names(text: str) -> set[str]:
    """Every series name a PromQL query may select from this scrape (``_bucket``, ``_sum``...)."""
    return {name for family in parse_scrape(text).values() for name, _, _ in family.samples}


def drive_unwired_producers(telemetry: Telemetry) -> None:
    """Report once through every port method whose producer is not wired into the app yet.

    Query, cache, degraded answers, ingest, jobs, dependencies, breakers and cluster nodes are
    built in parallel by other modules; until they call the port, this stands in for them so
    the families appear. Replace each call with real traffic once its producer is wired.
    """
    telemetry.observe_query_stage("embed", "hybrid", 0.004)
    telemetry.observe_query_stage("total", "hybrid", 0.02)
    telemetry.count_degraded("embedder_unavailable")
    telemetry.count_cache("search", "hit")
    telemetry.count_cache("search", "miss")
    telemetry.count_ingest(created=2, unchanged=1, failed=1, chunks=7)
    telemetry.set_job_queue_depth(3)
    telemetry.observe_job(1.5, "succeeded", job_id="job-1")
    telemetry.observe_dependency("qdrant", "search", 0.003)
    telemetry.observe_dependency("ollama_embed", "embed", 0.5, "timeout")
    telemetry.set_breaker_state("redis", "closed")
    telemetry.record_breaker_transition("ollama_embed", "closed", "open")
    telemetry.set_node_up("qdrant-1:6333", True)
