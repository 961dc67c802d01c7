"""README's "Access control" worked example, run as written with bash, curl, jq and the
``ragmono`` CLI against a live server (only the secret is fixed and the URL swapped)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support.auth import JWT_SECRET
from tests.support.live_server import LiveServer

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def example() -> str:
    section = README.read_text().split("\n## Access control\n", 1)[1].split("\n## ", 1)[0]
    return str(re.findall(r"```sh\n(.*?)```", section, re.DOTALL)[0])


def test_the_worked_example_prints_what_each_group_sees(tmp_path: Path) -> None:
    env = {
        "RAGMONO_PROFILE": "prod",
        "RAGMONO_AUTH__JWT_SECRET": JWT_SECRET,
        "RAGMONO_RATE_LIMIT__DEFAULT": "1000000/minute",
    }
    script = example()
    expected = [line.split()[1] for line in script.splitlines() if line.startswith("# [")]
    assert len(expected) == 3
    server = LiveServer(tmp_path, env).start()
    try:
        script = script.replace("$(ragmono token secret)", JWT_SECRET)
        script = script.replace("localhost:8000", server.url)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=ROOT,
            env={
                **os.environ,
                "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == expected
