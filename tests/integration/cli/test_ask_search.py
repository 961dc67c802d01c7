"""``ragmono search`` and ``ragmono ask``: in-process on the data directory, then through a
running server on the same data, as the installed entry point."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.live_server import LiveServer

GUIDE = """# Accounts

## Password reset

A reset link is emailed to you and stays valid for 30 minutes.
"""
REFUNDS = """# Billing

## Refunds

Refunds take five working days to reach your card.
"""


def _sources(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.lstrip("*").startswith("[")]


def test_search_and_ask_in_process_then_through_the_server(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "guide.md").write_text(GUIDE)
    (docs / "billing").mkdir()
    (docs / "billing" / "refunds.md").write_text(REFUNDS)
    data_dir = tmp_path / "data"
    local = ["-c", "help", "--data-dir", str(data_dir)]
    made = run_cli("ingest", str(docs), *local, "--create", cwd=tmp_path)
    assert made.returncode == 0, made.stderr

    found = run_cli("search", "how long is a reset link valid", *local, "-k", "1", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    assert found.stdout.startswith(" 1. guide.md, § Accounts > Password reset")
    assert "valid for 30 minutes" in found.stdout
    assert " 2. " not in found.stdout  # -k 1

    answered = run_cli("ask", "How long is a reset link valid?", *local, cwd=tmp_path)
    assert answered.returncode == 0, answered.stderr
    answer, _, sources = answered.stdout.partition("\nSources:\n")
    assert "30 minutes" in answer
    assert "[1]" in answer
    assert "*[1] guide.md, § Accounts > Password reset" in _sources(sources)[0]

    server = LiveServer(data_dir, {}).start()
    try:
        remote = ["-c", "help", "--url", server.url]
        as_json = run_cli("search", "refunds", *remote, "--mode", "keyword", "--json", cwd=tmp_path)
        assert as_json.returncode == 0, as_json.stderr
        body = json.loads(as_json.stdout)
        assert body["mode"] == "keyword"
        assert body["results"][0]["metadata"]["section"] == "Billing > Refunds"

        streamed = run_cli("ask", "How long do refunds take?", *remote, "--stream", cwd=tmp_path)
        assert streamed.returncode == 0, streamed.stderr
        answer, _, sources = streamed.stdout.partition("\nSources:\n")
        assert "five working days" in answer
        assert any("billing/refunds.md, § Billing > Refunds" in s for s in _sources(sources))

        whole = run_cli("ask", "How long do refunds take?", *remote, "--json", cwd=tmp_path)
        assert whole.returncode == 0, whole.stderr
        cited = json.loads(whole.stdout)
        assert cited["citations"]
        assert cited["sources"][0]["section"] == "Billing > Refunds"
    finally:
        server.stop()
