"""The shipped alert rules are well formed, name only exported metrics, and fire when they should.

``promtool`` is not on CI machines (Debian ships it only inside the ~100 MB prometheus
package), so the structure is checked here as promtool would, and every expression is parsed
by a real PromQL parser. Where promtool is installed, ``check config`` and the rule unit tests
in ``config/prometheus/alerts_test.yml`` run as well.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.promql import PROMETHEUS_SYNTHETIC, metric_names, series_the_app_exports

PROMETHEUS = Path(__file__).resolve().parents[2] / "config" / "prometheus"
RULES: dict[str, Any] = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text(encoding="utf-8"))
ALERTS = [rule for group in RULES["groups"] for rule in group["rules"]]

_DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
_ALERT_NAME = re.compile(r"^[A-Z][A-Za-z0-9]+$")
_RULE_KEYS = {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
_TEMPLATE = re.compile(r"\{\{(.*?)\}\}")


def test_groups_and_rules_have_the_shape_prometheus_loads() -> None:
    assert set(RULES) == {"groups"}
    group_names = [group["name"] for group in RULES["groups"]]
    assert len(group_names) == len(set(group_names))
    alert_names = [rule["alert"] for rule in ALERTS]
    assert len(alert_names) == len(set(alert_names)), "alert names must be unique"
    for rule in ALERTS:
        name = rule["alert"]
        assert set(rule) <= _RULE_KEYS, f"{name}: unknown keys {set(rule) - _RULE_KEYS}"
        assert _ALERT_NAME.match(name), name
        assert _DURATION.match(rule["for"]), f"{name}: bad for {rule['for']!r}"
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, name
        assert {"summary", "description"} <= set(rule["annotations"]), name
        for text in rule["annotations"].values():
            assert text.count("{{") == text.count("}}"), f"{name}: unbalanced template"
            for action in _TEMPLATE.findall(text):
                assert action.strip().startswith(("$labels.", "$value")), f"{name}: {action}"


def test_every_alert_names_only_exported_metrics() -> None:
    exported = series_the_app_exports() | PROMETHEUS_SYNTHETIC
    for rule in ALERTS:
        names = metric_names(rule["expr"])  # raises on a PromQL syntax error
        assert names, rule["alert"]
        assert names <= exported, f"{rule['alert']} names unexported {names - exported}"


def test_the_required_alerts_exist_with_their_hold_times() -> None:
    by_name = {rule["alert"]: rule for rule in ALERTS}
    assert by_name["RagmonoBreakerOpen"]["for"] == "5m"
    assert "ragmono_breaker_state" in by_name["RagmonoBreakerOpen"]["expr"]
    for required in (
        "RagmonoHighLatencyP95",
        "RagmonoHighErrorRatio",
        "RagmonoQdrantNodeDown",
        "RagmonoRedisDown",
        "RagmonoDegradedAnswers",
    ):
        assert required in by_name


def test_prometheus_config_loads_the_rules_and_scrapes_metrics() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
    assert config["rule_files"] == ["alerts.yml"]
    [job] = config["scrape_configs"]
    assert job["job_name"] == "ragmono"  # the alerts select job="ragmono"
    assert job["metrics_path"] == "/metrics"


def test_promtool_accepts_the_config_and_the_rule_unit_tests_pass() -> None:
    """Runs promtool where it is installed (``apt-get install prometheus``)."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (apt-get install prometheus); structure checked above")
    for args in (
        ["check", "config", str(PROMETHEUS / "prometheus.yml")],
        ["test", "rules", str(PROMETHEUS / "alerts_test.yml")],
    ):
        done = subprocess.run([promtool, *args], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
