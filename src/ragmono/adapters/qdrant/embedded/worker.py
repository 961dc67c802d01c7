"""The engine worker process: owns the shards, answers the API process over a socket.

``python -m ragmono.adapters.qdrant.embedded.worker --data-dir D --fd N --parent-pid P``.
Started and supervised by :class:`~.supervisor.EngineSupervisor`; never by hand.

qdrant-edge holds the GIL during each call, so engine calls run one at a time on the main
thread. A reader thread decodes incoming calls into three queues, served in this order:
control (pause, resume, restore, shutdown), reads (search, count, scroll, stats, status),
writes (FIFO).
Long writes are cut into slices with the queued reads answered between them, and a write that
has waited over :data:`WRITE_MAX_WAIT_S` goes ahead of further reads so writes never starve.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import msgspec
import structlog

from ragmono.errors import Conflict, DamagedData, NotFound
from ragmono.logging import LogConfig, configure_logging

from .engine import DEFERRED, Engine
from .lifecycle import die_with_parent
from .protocol import (
    READS,
    Call,
    Failure,
    PauseWrites,
    ReplaceData,
    Reply,
    ResumeWrites,
    Shutdown,
    Status,
    call_decoder,
    failure_of,
    frame,
    recv_frame,
)

log = structlog.get_logger("ragmono.engine")

WRITE_MAX_WAIT_S = 0.05
LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("auto", "json", "console")
_CONTROL = (PauseWrites, ResumeWrites, ReplaceData, Shutdown)


class Server:
    """Reads calls, runs them on the engine in priority order, sends the replies."""

    def __init__(self, sock: socket.socket, root: Path) -> None:
        self._sock = sock
        self._cond = threading.Condition()
        self._control: deque[Call] = deque()
        self._reads: deque[Call] = deque()
        self._writes: deque[tuple[float, Call]] = deque()
        self._peer_gone = False
        self._stop = False
        self.engine = Engine(root, serve_reads=self.serve_reads, reply=self.reply)

    def stop(self) -> None:
        """Shut down after the current call (SIGTERM)."""
        self._stop = True

    def _read_calls(self) -> None:
        try:
            while (body := recv_frame(self._sock)) is not None:
                call = call_decoder.decode(body)
                with self._cond:
                    if isinstance(call.op, _CONTROL):
                        self._control.append(call)
                    elif isinstance(call.op, Status):
                        self._reads.appendleft(call)
                    elif isinstance(call.op, READS):
                        self._reads.append(call)
                    else:
                        self._writes.append((time.monotonic(), call))
                    self._cond.notify()
        except (OSError, ValueError, msgspec.DecodeError) as exc:
            log.error("engine_connection_failed", error=str(exc))
        with self._cond:
            self._peer_gone = True
            self._cond.notify()

    def _next(self) -> Call | None:
        with self._cond:
            if not (self._control or self._reads or self._writes_ready() or self._peer_gone):
                self._cond.wait(timeout=0.05 if self.engine.building else 0.5)
            if self._control:
                return self._control.popleft()
            if self._writes_ready():
                queued_at = self._writes[0][0]
                if not self._reads or time.monotonic() - queued_at > WRITE_MAX_WAIT_S:
                    return self._writes.popleft()[1]
            return self._reads.popleft() if self._reads else None

    def _writes_ready(self) -> bool:
        return bool(self._writes) and not self.engine.writes_paused

    def run(self) -> None:
        """Serve until the API process says shutdown, goes away, or SIGTERM arrives."""
        threading.Thread(target=self._read_calls, name="engine-reader", daemon=True).start()
        log.info("engine_worker_started")
        while True:
            call = self._next()
            if call is not None and isinstance(call.op, Shutdown):
                self._shutdown(call.id)
                return
            if call is not None:
                self._handle(call)
            elif self._stop or (self._peer_gone and not self._pending()):
                self._shutdown(None)
                return
            self.engine.poll_builds()

    def _pending(self) -> bool:
        with self._cond:
            return bool(self._control or self._reads or self._writes_ready())

    def _handle(self, call: Call) -> None:
        try:
            value = self.engine.handle(call.id, call.op)
        except Exception as exc:
            if not isinstance(exc, NotFound | Conflict | DamagedData):
                log.warning("engine_call_failed", op=type(call.op).__name__, error=str(exc))
            self.reply(call.id, None, failure_of(exc))
            return
        if value is not DEFERRED:
            self.reply(call.id, value, None)

    def serve_reads(self) -> None:
        """Answer every queued read now (called between slices of long work)."""
        # The engine held the GIL: let the reader thread queue what arrived meanwhile.
        time.sleep(0)
        while True:
            with self._cond:
                if not self._reads:
                    return
                call = self._reads.popleft()
            self._handle(call)

    def reply(self, call_id: int, value: Any, error: Failure | None) -> None:
        """Send the answer to one call; a vanished peer is noticed by the reader."""
        with contextlib.suppress(OSError):
            self._sock.sendall(frame(Reply(call_id, value, error)))

    def _shutdown(self, call_id: int | None) -> None:
        with self._cond:
            paused = self.engine.writes_paused
            writes = [c for _, c in self._writes]
            accepted = list(self._reads) + ([] if paused else writes)
            refused = list(self._control) + (writes if paused else [])
            self._writes.clear()
            self._reads.clear()
            self._control.clear()
        for call in accepted:  # sent before the shutdown: answer them
            self._handle(call)
        gone = Failure("unavailable", "the embedded engine is shutting down")
        for waiting in [c.id for c in refused] + self.engine.close():
            self.reply(waiting, None, gone)
        log.info("engine_worker_stopped")
        if call_id is not None:
            self.reply(call_id, None, None)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the worker process."""
    parser = argparse.ArgumentParser(prog="ragmono-engine")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--log-level", default="info", choices=LOG_LEVELS)
    parser.add_argument("--log-format", default="json", choices=LOG_FORMATS)
    args = parser.parse_args(argv)
    die_with_parent(args.parent_pid)
    # Hand the GIL to the reader thread soon after each engine call, not 5 ms later.
    sys.setswitchinterval(0.001)
    # Ctrl-C reaches the whole process group: the API process decides when the engine stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_logging(LogConfig(level=args.log_level, format=args.log_format))
    structlog.contextvars.bind_contextvars(component="engine_worker")
    server = Server(socket.socket(fileno=args.fd), args.data_dir)
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    server.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
