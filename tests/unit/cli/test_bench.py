"""``ragmono bench`` runs the load test of a source checkout, passing its options through."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ragmono.cli import main

REPO = Path(__file__).resolve().parents[3]


def test_bench_outside_a_checkout_says_why_it_cannot_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["bench", "--full"])
    assert result.exit_code == 2
    assert "source checkout" in result.output


def test_bench_hands_its_options_to_the_runner() -> None:
    ragmono = Path(sys.executable).with_name("ragmono")
    out = subprocess.run(
        [str(ragmono), "bench", "--help"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "--full" in out.stdout
    assert "--budget-s" in out.stdout
