"""The shipped dashboard and alert rules on a real Prometheus scraping a live ragmono (#18, 11).

Parsing the queries proves only that they are PromQL. Here Debian's ``prometheus`` scrapes a
``ragmono serve`` process every second while traffic runs, then every dashboard panel query
and every alert expression is evaluated through Prometheus' HTTP API. The ``redis`` breaker
is forced open by killing Redis, and the breaker-open alert must fire. Alert ``for:``
durations are set to 0 in the test's copy of the rules: the expressions are what is checked,
not minutes of waiting.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.live_server import LiveServer
from tests.support.ports import free_port, wait_for_port
from tests.support.redis_server import RedisServer

CONFIG = Path(__file__).resolve().parents[2] / "config"
EMPTY_IN_EMBEDDED_MODE = {
    "Qdrant nodes up": "ragmono_qdrant_node_up is exported in server and cluster modes only",
}
"""Panels whose empty answer is correct for this deployment, with the reason: the metric is
not exported at all in embedded mode (the test checks that, too)."""
FIRING_HERE = {"RagmonoBreakerOpen", "RagmonoRedisDown"}
"""Alerts that must fire once Redis is killed; every other alert's absence is correct."""


def _panel_queries() -> list[tuple[str, str]]:
    dashboard = json.loads((CONFIG / "grafana" / "ragmono.json").read_text("utf-8"))
    out = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = re.sub(r"\$\{?__rate_interval\}?", "1m", target["expr"])
            out.append((panel["title"], re.sub(r"\$\{?(job|instance)\}?", ".*", expr)))
    return out


def _rules() -> list[dict[str, Any]]:
    loaded = yaml.safe_load((CONFIG / "prometheus" / "alerts.yml").read_text("utf-8"))
    return [rule for group in loaded["groups"] for rule in group["rules"]]


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture
def ragmono(tmp_path: Path, own_redis: RedisServer) -> Iterator[LiveServer]:
    data = tmp_path / "data"
    data.mkdir()
    env = {
        "RAGMONO_REDIS__URL": own_redis.url,
        "RAGMONO_REDIS__TIMEOUT_S": "0.5",
        "RAGMONO_BREAKERS__REDIS__FAIL_MAX": "2",
        "RAGMONO_BREAKERS__REDIS__RESET_TIMEOUT_S": "600",
        "RAGMONO_INGEST__ASYNC_THRESHOLD_BYTES": "200",
    }
    server = LiveServer(data, env).start()
    yield server
    server.stop()


@pytest.fixture
def prometheus(tmp_path: Path, ragmono: LiveServer) -> Iterator[str]:
    binary = shutil.which("prometheus")
    assert binary, "apt-get install prometheus (.ci/run does)"
    rules = _rules()
    for rule in rules:
        rule["for"] = "0s"
    (tmp_path / "alerts.yml").write_text(
        yaml.safe_dump({"groups": [{"name": "ragmono", "rules": rules}]}), "utf-8"
    )
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(tmp_path / "alerts.yml")],
        "scrape_configs": [
            {
                "job_name": "ragmono",
                "static_configs": [{"targets": [f"127.0.0.1:{ragmono.port}"]}],
            }
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config), "utf-8")
    port = free_port()
    with (tmp_path / "prometheus.log").open("wb") as log:
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={tmp_path / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, 30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _traffic(base: str) -> None:
    with httpx.Client(base_url=base, timeout=60) as http:
        assert http.post("/api/v1/collections", json={"name": "docs"}).status_code == 201
        text = "Topic {}: the lighthouse keeper climbs the stairs to light the lamp each evening."
        docs = [{"id": f"d{i}", "text": text.format(i)} for i in range(3)]
        assert http.post("/api/v1/collections/docs/documents", json={"documents": docs[:1]})
        job = http.post("/api/v1/collections/docs/documents", json={"documents": docs})
        assert job.status_code == 202, job.text
        deadline = time.monotonic() + 60
        while http.get(job.headers["location"]).json()["state"] in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        for _ in range(3):  # the second and third are cache hits
            search = {"query": "lighthouse", "collection": "docs"}
            assert http.post("/api/v1/search", json=search).status_code == 200
            assert http.post("/api/v1/query", json=search).status_code == 200
        http.get("/api/v1/nothing-here")  # a 4xx for the error-ratio panel


def _query(prom: str, expr: str) -> list[Any]:
    answer = httpx.get(f"{prom}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert answer["status"] == "success", (expr, answer)
    result: list[Any] = answer["data"]["result"]
    return result


def _eventually(check: Any, timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def test_every_panel_returns_data_and_the_breaker_alert_fires(
    ragmono: LiveServer, prometheus: str, own_redis: RedisServer
) -> None:
    _traffic(ragmono.url)
    own_redis.stop()
    with httpx.Client(base_url=ragmono.url, timeout=10) as http:
        for _ in range(4):  # each fails on Redis; two open the breaker
            http.get("/api/v1/jobs")
        breakers = http.get("/api/v1/admin/breakers").json()["items"]
    assert {b["name"]: b["state"] for b in breakers}["redis"] == "open"
    time.sleep(3)  # a few scrapes after the traffic

    empty = [
        title
        for title, expr in _panel_queries()
        if not _eventually(lambda expr=expr: _query(prometheus, expr), 10)
    ]
    assert sorted(empty) == sorted(EMPTY_IN_EMBEDDED_MODE), empty
    exported = httpx.get(f"{ragmono.url}/metrics", timeout=10).text
    samples = [line for line in exported.splitlines() if line.startswith("ragmono_qdrant_node_up")]
    assert samples == []  # declared, but no node to report on here: empty is right
    dependencies = {
        series["metric"]["dependency"]
        for series in _query(prometheus, "ragmono_dependency_duration_seconds_count")
    }
    assert {"qdrant", "redis"} <= dependencies, dependencies  # the engine worker, the breaker

    def firing() -> set[str]:
        alerts = httpx.get(f"{prometheus}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
        return {a["labels"]["alertname"] for a in alerts if a["state"] == "firing"}

    assert _eventually(lambda: firing() >= FIRING_HERE), firing()
    for rule in _rules():  # every alert expression is valid and answers as this state says
        result = _query(prometheus, rule["expr"])
        assert bool(result) == (rule["alert"] in FIRING_HERE), (rule["alert"], result)
    assert firing() == FIRING_HERE
