"""The k6 scripts load, carry the seed's stages and thresholds, and their verdicts are read right.

These run the real k6 binary (the ``k6`` dev dependency) for a second against a loopback
server; no load is measured here.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.k6run import K6_DIR, k6_binary, run_k6

QUERIES = [
    {"kind": "dense", "text": "who makes tide gauges", "document_id": "org-000001", "answer": ""},
    {"kind": "keyword", "text": "KX-10001", "document_id": "org-000001", "answer": ""},
    {"kind": "question", "text": "Who?", "document_id": "org-000001", "answer": "Orla"},
]


def _seconds(duration: str) -> int:
    """k6's normalised durations: ``1m0s``, ``20s``."""
    minutes, _, rest = duration.rpartition("m")
    return int(minutes or 0) * 60 + int(rest.rstrip("s") or 0)


def _inspect(script: str, tmp_path: Path, **env: str) -> dict[str, Any]:
    queries = tmp_path / "queries.json"
    queries.write_text(json.dumps(QUERIES))
    args = [k6_binary(), "inspect", "-e", f"QUERIES={queries}"]
    args += [f"-e{key}={value}" for key, value in env.items()]
    out = subprocess.run([*args, str(K6_DIR / script)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout))


@pytest.mark.parametrize("script", ["mixed.js", "outage.js"])
def test_full_profile_is_the_seed_scenario(script: str, tmp_path: Path) -> None:
    options = _inspect(script, tmp_path, PROFILE="full")
    (scenario,) = options["scenarios"].values()
    stages = [(_seconds(s["duration"]), s["target"]) for s in scenario["stages"]]
    assert stages == [(60, 10), (120, 50), (120, 50), (60, 0)]
    thresholds = options["thresholds"]
    assert thresholds["http_req_duration"] == ["p(95)<500"]
    assert thresholds["http_req_failed"] == ["rate<0.10"]
    assert thresholds["errors"] == ["count==0"]


def test_quick_profile_is_about_a_minute_and_mixed_has_our_latency_targets(tmp_path: Path) -> None:
    options = _inspect("mixed.js", tmp_path, PROFILE="quick")
    (scenario,) = options["scenarios"].values()
    seconds = sum(_seconds(s["duration"]) for s in scenario["stages"])
    assert seconds == 60
    assert max(s["target"] for s in scenario["stages"]) == 50
    assert options["thresholds"]["search_uncached_ms"] == ["p(95)<=15"]
    assert options["thresholds"]["search_cached_ms"] == ["p(95)<=3"]


@contextlib.contextmanager
def _server(status: int) -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(("status", "passed"), [(200, True), (503, False)])
def test_a_run_reports_its_requests_and_threshold_verdicts(
    status: int, passed: bool, tmp_path: Path
) -> None:
    with _server(status) as url:
        env = {"BASE_URL": url, "PROFILE": "flat", "VUS": "2", "DURATION": "1s"}
        run = run_k6("health.js", "health", env, tmp_path, timeout_s=60)
    assert run.exit_code == (0 if passed else 99)
    assert run.thresholds() == {"http_req_failed: rate==0": passed}
    latency = run.trend("http_req_duration")
    assert latency is not None
    assert latency["count"] == run.metrics["http_reqs"]["count"] > 0
    assert latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"] <= latency["max_ms"]
    assert run.checks() == {"status 200": 1.0 if passed else 0.0}
