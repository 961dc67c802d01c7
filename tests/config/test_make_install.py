"""``make run`` installs only what serving needs, ``make test`` adds the dev tools.

The stamps are checked with the real Makefile and make, uv replaced by a recorder; the runtime
set itself is installed for real from uv.lock (offline, from uv's cache) and serves.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.ports import free_port, wait_for_port

REPO = Path(__file__).resolve().parents[2]
UV = REPO / ".tools" / "bin" / "uv"
FAKE_UV = """#!/bin/sh
mkdir -p "$UV_PROJECT_ENVIRONMENT"
echo "$*" >> uv.log
"""


def _make(project: Path, target: str) -> list[str]:
    """Run ``make target`` and return the uv commands it ran."""
    log = project / "uv.log"
    log.write_text("")
    done = subprocess.run(
        ["make", "--no-print-directory", target], cwd=project, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return log.read_text().splitlines()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "uv.lock").write_text("")
    uv = tmp_path / ".tools" / "bin" / "uv"
    uv.parent.mkdir(parents=True)
    uv.write_text(FAKE_UV)
    uv.chmod(0o755)
    return tmp_path


def _lock_changed(project: Path) -> None:
    later = time.time() + 5
    os.utime(project / "uv.lock", (later, later))


def test_run_installs_the_runtime_set_and_test_adds_dev_in_either_order(project: Path) -> None:
    assert _make(project, "install-run") == ["sync --frozen --no-dev"]
    assert _make(project, "install-run") == []  # idempotent: nothing to do
    assert _make(project, "install") == ["sync --frozen"]  # make test after make run
    assert _make(project, "install") == []
    assert _make(project, "install-run") == []  # the dev set includes the runtime set

    _lock_changed(project)
    assert _make(project, "install-run") == ["sync --frozen --no-dev"]
    assert not (project / ".venv" / ".installed-dev").exists()  # the dev tools are gone
    assert _make(project, "install") == ["sync --frozen"]  # so make test installs them again


@pytest.mark.slow
def test_the_runtime_set_serves_without_any_dev_tool(tmp_path: Path) -> None:
    venv = tmp_path / "runtime"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("RAGMONO_", "VIRTUAL_ENV"))},
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_OFFLINE": "1",  # installed once: no network needed again
        "UV_PYTHON": shutil.which("python3") or "python3",
    }
    sync = subprocess.run(
        [str(UV), "sync", "--frozen", "--no-dev", "--quiet"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert sync.returncode == 0, sync.stderr
    site = next((venv / "lib").glob("python3*/site-packages"))
    for dev_tool in ("pytest", "mypy", "ruff", "schemathesis", "hypothesis", "k6"):
        assert not (site / dev_tool).exists(), dev_tool

    port = free_port()
    data = tmp_path / "data"
    server = subprocess.Popen(
        [str(venv / "bin" / "ragmono"), "serve", "--port", str(port), "--data-dir", str(data)],
        cwd=REPO,
        env={**env, "RAGMONO_BACKUP__DIR": str(data / "backups")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, 90)
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=30).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
