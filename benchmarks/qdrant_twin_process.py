"""The Qdrant HTTP twin of the tests (``tests/support/qdrant_twin.py``) in a process of its own.

The twin serves Qdrant's REST API from threads of whatever process creates it; a benchmark that
wants the Qdrant node's CPU apart from its own runs it here instead:

    .venv/bin/python -m benchmarks.qdrant_twin_process     # prints the port, serves until EOF

:class:`TwinProcess` starts that child, reads its port, asks it how many data requests it has
received (a ``calls`` line on its stdin) and stops it by closing its stdin.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path
from typing import IO

from benchmarks.harness import REPO


def serve_twin() -> None:
    """The child: one Qdrant twin node; prints its port, then answers ``calls``
    lines on stdin with the count of data requests it received; exits when stdin closes."""
    from tests.support.qdrant_twin import QdrantTwin

    twin = QdrantTwin()
    print(twin.port, flush=True)
    for line in sys.stdin:
        if line.strip() == "calls":
            print(twin.data_calls(), flush=True)
    twin.close()


class TwinProcess:
    """The Qdrant twin in a child process (its CPU is then its own); a context manager."""

    def __init__(self, log_path: Path) -> None:
        self._log: IO[bytes] = log_path.open("wb")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.qdrant_twin_process"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,  # qdrant-client's warnings about payload indexes
            text=True,
        )
        assert self._proc.stdout is not None
        assert self._proc.stdin is not None
        self._in, self._out = self._proc.stdin, self._proc.stdout
        self.port = int(self._out.readline())

    @property
    def url(self) -> str:
        """The node's base URL (what ``vector_store.url`` is set to)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self._proc.pid

    def data_calls(self) -> int:
        """Requests the node received so far, health probes excluded."""
        self._in.write("calls\n")
        self._in.flush()
        return int(self._out.readline())

    def __enter__(self) -> TwinProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self._in.close()
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(5)
        self._log.close()


if __name__ == "__main__":
    serve_twin()
