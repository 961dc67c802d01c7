"""Run the installed ``ragmono`` entry point as a user does: a subprocess, its output, its code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

RAGMONO = Path(sys.executable).with_name("ragmono")


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout_s: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """``ragmono ARGS`` in ``cwd`` with the environment plus ``env``; never raises on failure."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("RAGMONO_")}
    environ["RAGMONO_LOGGING__FORMAT"] = "json"
    environ.update(env or {})
    return subprocess.run(  # our own entry point with the test's arguments
        [str(RAGMONO), *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
