"""The app under test: ``ragmono serve`` as a subprocess on a free loopback port, and its memory.

:class:`AppServer` starts the real server (granian, the same entry point as the container) with
``RAGMONO_*`` settings on ``127.0.0.1``, waits for ``/health``, samples the resident memory of
the whole process tree while scenarios run, and stops it with SIGTERM (then SIGKILL).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]

# Per-client rate limits would throttle the load generator itself (every VU is one client).
# Logs stay at info, as in production: one access line per request, written to a file.
BENCH_ENV = {
    "RAGMONO_RATE_LIMIT__ENABLED": "false",
    "RAGMONO_LOGGING__FORMAT": "json",
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ragmono_command() -> list[str]:
    """``ragmono`` from the running interpreter's environment (the project's .venv)."""
    script = Path(sys.executable).with_name("ragmono")
    if script.exists():
        return [str(script)]
    found = shutil.which("ragmono")
    if found is None:
        raise RuntimeError("the ragmono console script is not installed (run `make install`)")
    return [found]


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and all of its descendants (Linux /proc), in bytes."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
    return total


class RssSampler:
    """Samples :func:`tree_rss_bytes` every ``interval_s`` in a thread; keeps the peak."""

    def __init__(self, pid: int, interval_s: float = 0.5) -> None:
        self._pid = pid
        self._interval_s = interval_s
        self._stop = threading.Event()
        self.peak = tree_rss_bytes(pid)
        self.last = self.peak
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.last = tree_rss_bytes(self._pid)
            self.peak = max(self.peak, self.last)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.last = tree_rss_bytes(self._pid)
        self.peak = max(self.peak, self.last)


class AppServer:
    """One ``ragmono serve`` process; use as a context manager."""

    def __init__(self, data_dir: Path, settings: Mapping[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.settings = {**BENCH_ENV, **settings}
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL on loopback."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self._proc is not None, "not started"
        return self._proc.pid

    def start(self, timeout_s: float = 120.0) -> None:
        """Start the server and wait until ``/health`` answers 200."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAGMONO_")}
        env.update(self.settings)
        args = ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        args += ["--data-dir", str(self.data_dir), "--config", str(REPO / "config/ragmono.toml")]
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [*ragmono_command(), *args],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stop() ends granian's workers too
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"ragmono serve exited with {self._proc.returncode}; see {self.log_path}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(
            f"ragmono serve did not answer /health in {timeout_s}s; see {self.log_path}"
        )

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after ``timeout_s``."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def rss(self) -> RssSampler:
        """A sampler of this server's memory (a context manager)."""
        return RssSampler(self.pid)

    def __enter__(self) -> AppServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
