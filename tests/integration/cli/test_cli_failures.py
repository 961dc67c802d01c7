"""Every expected CLI failure is one line on stderr and a documented exit code, no traceback.

The installed ``ragmono`` runs as a subprocess, against nothing, against a real server with
auth on, and in-process on a data directory.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from tests.support.cli import run_cli
from tests.support.live_server import LiveServer
from tests.support.ports import free_port

ADMIN = "a" * 40
SEARCH_ONLY = "s" * 40


def _one_line_failure(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.startswith("ragmono:")]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def note(tmp_path: Path) -> Path:
    path = tmp_path / "note.md"
    path.write_text("# Note\n\nThe note.")
    return path


@pytest.fixture(scope="module")
def guarded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real server with auth on: one token with every scope, one with ``search`` only."""
    env = {"RAGMONO_AUTH__SERVICE_TOKENS": f"{ADMIN},{SEARCH_ONLY}:search"}
    server = LiveServer(tmp_path_factory.mktemp("guarded"), env).start()
    yield server
    server.stop()


@pytest.mark.parametrize(
    "command",
    [
        ["ingest", "{note}", "-c", "docs"],
        ["search", "anything", "-c", "docs"],
        ["ask", "anything?", "-c", "docs"],
        ["ask", "anything?", "-c", "docs", "--stream"],
    ],
)
def test_an_unreachable_server_is_one_line_and_exit_3(
    command: list[str], note: Path, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    args = [a.format(note=note) for a in command]
    result = run_cli(*args, "--url", url, cwd=tmp_path)
    _one_line_failure(result, 3, "cannot reach the server", url)


def test_a_url_without_scheme_is_a_usage_error(note: Path, tmp_path: Path) -> None:
    result = run_cli("ingest", str(note), "-c", "docs", "--url", "localhost:8000", cwd=tmp_path)
    _one_line_failure(result, 2, "not an http(s) URL", "http://localhost:8000")


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("ingest", "nope.md", "-c", "docs", cwd=tmp_path)
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_server_refusals_carry_the_problem_detail(
    guarded_server: LiveServer, note: Path, tmp_path: Path
) -> None:
    url = guarded_server.url
    no_token = run_cli("search", "x", "-c", "docs", "--url", url, cwd=tmp_path)
    _one_line_failure(no_token, 4, "401", "--token")

    wrong_scope = run_cli(
        "ingest",
        str(note),
        "-c",
        "docs",
        "--create",
        "--url",
        url,
        "--token",
        SEARCH_ONLY,
        cwd=tmp_path,
    )
    _one_line_failure(wrong_scope, 4, "403", "scope")

    missing = run_cli(
        "search", "x", "-c", "nothing-here", "--url", url, "--token", ADMIN, cwd=tmp_path
    )
    _one_line_failure(missing, 4, "404", "nothing-here")

    made = run_cli(
        "ingest",
        str(note),
        "-c",
        "docs",
        "--create",
        "--url",
        url,
        cwd=tmp_path,
        env={"RAGMONO_TOKEN": ADMIN},
    )
    assert made.returncode == 0, made.stderr
    too_long = run_cli(
        "ask", "x" * 2001, "-c", "docs", "--url", url, "--token", ADMIN, cwd=tmp_path
    )
    _one_line_failure(too_long, 4, "422", "query")


def test_in_process_failures_are_one_line(note: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    missing = run_cli("search", "x", "-c", "docs", "--data-dir", str(data_dir), cwd=tmp_path)
    _one_line_failure(missing, 4, "docs")

    in_use = EmbeddedVectorStore(data_dir / "vectors")  # what a running server holds
    try:
        held = run_cli(
            "ingest",
            str(note),
            "-c",
            "docs",
            "--create",
            "--data-dir",
            str(data_dir),
            cwd=tmp_path,
        )
    finally:
        asyncio.run(in_use.close())
    _one_line_failure(held, 5, "stop the server first")


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    args = ["search", "x", "-c", "docs", "--config", str(tmp_path)]  # a directory, not a file
    plain = run_cli(*args, cwd=tmp_path)
    _one_line_failure(plain, 1, "unexpected error", "IsADirectoryError", "--debug")

    debug = run_cli("--debug", *args, cwd=tmp_path)
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr
