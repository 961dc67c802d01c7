"""PromQL helpers for checking shipped queries: Grafana variables out, metric names found."""

from __future__ import annotations

import functools
import re

import promql_parser

from ragmono import __version__
from ragmono.adapters.prometheus import PrometheusTelemetry
from tests.support.metrics import drive_unwired_producers, exported_series_names

# Series Prometheus itself writes for every target; the app cannot export them.
PROMETHEUS_SYNTHETIC = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})

_RANGE_VARS = re.compile(r"\$\{?(__rate_interval|__interval|__range)\b\}?")
_OTHER_VARS = re.compile(r"\$\{?\w+\}?")
_LABEL_VALUES = re.compile(r"^\s*label_values\((?:(.+),\s*)?(\w+)\)\s*$")


def without_grafana_variables(expr: str) -> str:
    """``[$__rate_interval]`` becomes ``[5m]``, ``"$job"`` becomes ``"x"``: valid PromQL."""
    return _OTHER_VARS.sub("x", _RANGE_VARS.sub("5m", expr))


def metric_names(expr: str) -> set[str]:
    """Every metric name a PromQL expression selects (parses it; raises on a syntax error).

    A selector without a literal name (``{__name__=~"..."}``) cannot be checked and is reported
    as ``<regex>`` so the caller fails on it.
    """
    names: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            literal = node.name or next(
                (
                    m.value
                    for m in node.matchers.matchers
                    if m.name == "__name__" and m.op == promql_parser.MatchOp.Equal
                ),
                None,
            )
            names.add(literal or "<regex>")

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def grafana_variable_query_metrics(query: str) -> set[str]:
    """Metric names in a Grafana variable query such as ``label_values(metric{...}, label)``."""
    match = _LABEL_VALUES.match(without_grafana_variables(query))
    if match is None:
        return metric_names(without_grafana_variables(query))
    return metric_names(match.group(1)) if match.group(1) else set()


@functools.cache
def series_the_app_exports() -> frozenset[str]:
    """Every series name of a scrape after each family has been observed once."""
    telemetry = PrometheusTelemetry(
        version=__version__, vector_store="embedded", embedder="local", generator="extractive"
    )
    telemetry.http_request_started()
    telemetry.http_request_finished("/health", "GET", 200, 0.001)
    drive_unwired_producers(telemetry)
    return frozenset(exported_series_names(telemetry.exposition().body.decode()))
