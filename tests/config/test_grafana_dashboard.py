"""The shipped Grafana dashboard queries only metrics the app exports, and loads as provisioned."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.metrics import DOCUMENTED_FAMILIES
from tests.support.promql import (
    grafana_variable_query_metrics,
    metric_names,
    series_the_app_exports,
    without_grafana_variables,
)

GRAFANA = Path(__file__).resolve().parents[2] / "config" / "grafana"
DASHBOARD: dict[str, Any] = json.loads((GRAFANA / "ragmono.json").read_text(encoding="utf-8"))


def _panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    flat = []
    for panel in panels:
        flat.append(panel)
        flat.extend(_panels(panel.get("panels", [])))  # collapsed rows nest their panels
    return flat


PANELS = [p for p in _panels(DASHBOARD["panels"]) if p["type"] != "row"]
EXPRESSIONS = [(p["title"], t["expr"]) for p in PANELS for t in p["targets"]]


def _base_family(series: str) -> str:
    for suffix in ("_bucket", "_sum", "_count"):
        if series.endswith(suffix):
            return series.removesuffix(suffix)
    return series


@pytest.mark.parametrize(("title", "expr"), EXPRESSIONS, ids=[t for t, _ in EXPRESSIONS])
def test_every_panel_query_parses_and_names_only_exported_metrics(title: str, expr: str) -> None:
    names = metric_names(without_grafana_variables(expr))
    assert names, f"{title}: selects no metric"
    missing = names - series_the_app_exports()
    assert not missing, f"panel {title!r} queries metrics the app does not export: {missing}"


def test_variable_queries_name_only_exported_metrics() -> None:
    exported = series_the_app_exports()
    for variable in DASHBOARD["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]
            text = query["query"] if isinstance(query, dict) else query
            assert grafana_variable_query_metrics(text) <= exported, variable["name"]


def test_every_ragmono_family_is_on_the_dashboard() -> None:
    shown = {
        _base_family(name)
        for _, expr in EXPRESSIONS
        for name in metric_names(without_grafana_variables(expr))
    }
    documented = {name for name in DOCUMENTED_FAMILIES if name.startswith("ragmono_")}
    assert documented - shown == set()


def test_panels_are_laid_out_and_use_the_datasource_variable() -> None:
    ids = [p["id"] for p in _panels(DASHBOARD["panels"])]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    assert DASHBOARD["uid"] == "ragmono"
    for panel in PANELS:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs)), panel["title"]


def test_provisioning_points_grafana_at_prometheus_and_the_dashboard_folder() -> None:
    provisioning = GRAFANA / "provisioning"
    datasources = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    [source] = datasources["datasources"]
    assert source["type"] == "prometheus"
    assert source["uid"] == "prometheus"
    dashboards = yaml.safe_load((provisioning / "dashboards" / "ragmono.yml").read_text())
    [provider] = dashboards["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
