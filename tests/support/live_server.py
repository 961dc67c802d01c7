"""``ragmono serve`` (granian) in a subprocess on a free loopback port: the app as deployed."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.ports import free_port, wait_for_port


class LiveServer:
    """One ``ragmono serve`` process with the given ``RAGMONO_*`` environment."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.env = env
        self.log_path = data_dir / "server.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> LiveServer:
        """Start and wait until /health answers (the lifespan has run)."""
        command = [
            str(Path(sys.executable).parent / "ragmono"),
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                command,
                env={
                    **os.environ,
                    "RAGMONO_LOGGING__FORMAT": "json",
                    # Backups default to ./data/backups of the cwd: keep them with this server.
                    "RAGMONO_BACKUP__DIR": str(self.data_dir / "backups"),
                    **self.env,
                },
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, timeout_s)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"ragmono serve did not get healthy; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL ``ragmono serve`` and every process under it (granian's worker too)."""
        if self._proc is None:
            return
        pids, todo = [], [self._proc.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            children = Path(f"/proc/{pid}/task/{pid}/children")
            if children.exists():
                todo.extend(int(c) for c in children.read_text().split())
        for pid in reversed(pids):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._proc.wait(10)
        self._proc = None

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=10)
        self._proc = None
