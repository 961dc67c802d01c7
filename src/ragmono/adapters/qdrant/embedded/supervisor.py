"""The API process's side of the engine worker: start it, talk to it, restart it when it dies.

A supervisor thread starts the worker as soon as the store is built, reads its replies and
restarts it when it dies; a writer thread sends the calls, so a large upsert never blocks the
event loop on a full socket. Neither is tied to an event loop: calls may come from any loop
(the test client runs the app in its own). Calls carry ids and replies come back in any order,
so searches are answered while an index build runs. If the worker dies, every call in flight
fails with ``DependencyUnavailable('qdrant')``; the worker is reaped (the OS releases its WAL
locks) and started again, and the next calls go to the new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

import msgspec
import structlog

from ragmono.errors import DamagedData, DependencyUnavailable

from .protocol import (
    Call,
    EngineStatus,
    Operation,
    RawReply,
    Shutdown,
    Status,
    error_of,
    frame,
    recv_frame,
    reply_decoder,
)

CallObserver = Callable[[str, float, "str | None"], None]
"""Hears each engine call: its operation, seconds taken, and None or why it failed."""

log = structlog.get_logger(__name__)
T = TypeVar("T")

START_TIMEOUT_S = 60.0
"""How long a call waits for a (re)starting worker before failing."""
_BACKOFF_S = (0.0, 0.5, 1.0, 2.0, 5.0)
_STABLE_S = 30.0
SOCKET_BUFFER_BYTES = 4 << 20
"""Asked of the kernel per socket end; it caps this at net.core.wmem_max / rmem_max."""
_GIVE_UP_AFTER = 3
"""Consecutive failed starts after which /ready reports the engine unreachable."""
State = Literal["starting", "ready", "restarting", "failing", "closed"]


class _Connection:
    """One worker's socket, with a thread that sends queued frames in order."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.closed = False
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._send_all, name="engine-writer", daemon=True)
        self._writer.start()

    def send(self, data: bytes) -> None:
        self._outbox.put(data)

    def _send_all(self) -> None:
        while (data := self._outbox.get()) is not None:
            try:
                self.sock.sendall(data)
            except OSError:
                return  # the reader sees the connection end and fails the calls

    def close(self) -> None:
        self.closed = True
        self._outbox.put(None)
        self._writer.join()
        self.sock.close()


class EngineSupervisor:
    """Owns the engine worker process for one data directory."""

    def __init__(
        self,
        data_dir: Path,
        *,
        log_level: str = "info",
        log_format: str = "json",
        observe: CallObserver | None = None,
    ) -> None:
        self._data_dir = data_dir
        self._observe = observe
        self._log_args = ["--log-level", log_level, "--log-format", log_format]
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._pending: dict[int, tuple[_Connection, asyncio.AbstractEventLoop, Any]] = {}
        self._conn: _Connection | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready = threading.Event()
        self._closing = threading.Event()
        self._failures = 0
        self.state: State = "starting"
        self.restarts = 0
        """Times the worker died and was started again."""
        self.generation = 0
        """Bumped at every worker start: a change means a restart happened in between."""
        self._thread = threading.Thread(target=self._supervise, name="engine-supervisor")
        self._thread.daemon = True
        self._thread.start()

    @property
    def pid(self) -> int | None:
        """The running worker's process id."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def healthy(self) -> bool:
        """Serving, or (re)starting without having failed to start again and again."""
        return not self._closing.is_set() and self._failures < _GIVE_UP_AFTER

    async def call(self, op: Operation, result: type[T], *, timeout_s: float | None = 60.0) -> T:
        """Send ``op`` and decode its reply as ``result``; raise the domain error it failed with.

        Each call is reported to ``observe`` (operation, seconds, error kind or None).
        """
        if self._observe is None:
            return await self._call(op, result, timeout_s)
        started, kind = time.perf_counter(), None
        try:
            return await self._call(op, result, timeout_s)
        except DependencyUnavailable as exc:
            kind = "timeout" if "did not answer" in exc.detail else "connection"
            raise
        except DamagedData:
            kind = "damaged"
            raise
        finally:
            operation = type(op).__struct_config__.tag
            self._observe(str(operation), time.perf_counter() - started, kind)

    async def _call(self, op: Operation, result: type[T], timeout_s: float | None) -> T:
        if self._closing.is_set():
            raise DependencyUnavailable("qdrant", "the embedded vector store is closed")
        conn = self._conn
        if conn is None or conn.closed:
            await asyncio.to_thread(self._ready.wait, START_TIMEOUT_S)
            conn = self._conn
            if self._closing.is_set() or conn is None:
                raise DependencyUnavailable("qdrant", "the embedded engine is not running")
        return await self._send(conn, op, result, timeout_s)

    async def _send(
        self, conn: _Connection, op: Operation, result: type[T], timeout_s: float | None
    ) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[RawReply] = loop.create_future()
        call_id = next(self._ids)
        with self._lock:
            self._pending[call_id] = (conn, loop, future)
        try:
            if conn.closed:  # it died after we picked it, and its calls were already failed
                raise DependencyUnavailable("qdrant", "the embedded engine worker exited")
            conn.send(frame(Call(call_id, op)))
            reply = await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            raise DependencyUnavailable(
                "qdrant", f"the embedded engine did not answer within {timeout_s}s"
            ) from None
        finally:
            with self._lock:
                self._pending.pop(call_id, None)
        if reply.error is not None:
            raise error_of(reply.error)
        return msgspec.msgpack.decode(reply.value, type=result)

    # -- the supervisor thread ---------------------------------------------------------------

    def _supervise(self) -> None:
        while not self._closing.is_set():
            started = time.monotonic()
            try:
                conn = self._start()
            except Exception as exc:
                log.error("engine_worker_start_failed", error=str(exc))
                self._failures += 1
                self.state = "failing" if self._failures >= _GIVE_UP_AFTER else "restarting"
                self._reap()
                self._closing.wait(_BACKOFF_S[min(self._failures, len(_BACKOFF_S) - 1)])
                continue
            self._conn, self.state = conn, "ready"
            self._ready.set()
            if self._closing.is_set():  # close() came while it started: stop it at once
                conn.send(frame(Call(0, Shutdown())))
            self._read_replies(conn)
            self._ready.clear()
            self._conn = None
            conn.close()
            self._fail_pending(conn, "the embedded engine worker exited")
            code = self._reap()
            if self._closing.is_set():
                break
            self.restarts += 1
            # A worker that dies soon after starting counts towards giving up.
            self._failures = 0 if time.monotonic() - started > _STABLE_S else self._failures + 1
            self.state = "failing" if self._failures >= _GIVE_UP_AFTER else "restarting"
            log.error("engine_worker_died", exit_code=code, restarts=self.restarts)
            self._closing.wait(_BACKOFF_S[min(self._failures, len(_BACKOFF_S) - 1)])
        self.state = "closed"
        self._ready.set()  # wake callers waiting for a start: they see the store closed

    def _start(self) -> _Connection:
        parent, child = socket.socketpair()
        for end in (parent, child):
            # A whole upsert frame (~1.7 MB for 500 chunks of 384 floats) in one send: each
            # partial send/recv waits for the GIL, behind whatever the event loop is doing.
            end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER_BYTES)
            end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER_BYTES)
        try:
            args = [sys.executable, "-m", "ragmono.adapters.qdrant.embedded.worker"]
            args += ["--data-dir", str(self._data_dir), "--fd", str(child.fileno())]
            args += ["--parent-pid", str(os.getpid()), *self._log_args]
            self._proc = subprocess.Popen(args, pass_fds=(child.fileno(),))  # noqa: S603
        finally:
            child.close()
        try:
            # The first reply proves the worker recovered its directory and is serving.
            parent.sendall(frame(Call(0, Status())))
            body = recv_frame(parent)
            if body is None:
                raise ConnectionError("the worker exited during its start")
            status = msgspec.msgpack.decode(reply_decoder.decode(body).value, type=EngineStatus)
        except BaseException:
            parent.close()
            raise
        self.generation += 1
        log.info("engine_worker_ready", pid=status.pid, generation=self.generation)
        return _Connection(parent)

    def _read_replies(self, conn: _Connection) -> None:
        try:
            while (body := recv_frame(conn.sock)) is not None:
                reply = reply_decoder.decode(body)
                with self._lock:
                    waiting = self._pending.get(reply.id)
                if waiting is not None:
                    _resolve(waiting[1], waiting[2], reply)
        except (OSError, ValueError, msgspec.DecodeError) as exc:
            log.warning("engine_connection_lost", error=str(exc))

    def _fail_pending(self, conn: _Connection, why: str) -> None:
        with self._lock:
            failed = [(loop, fut) for c, loop, fut in self._pending.values() if c is conn]
        for loop, future in failed:
            _resolve(loop, future, DependencyUnavailable("qdrant", why))

    def _reap(self) -> int | None:
        """Wait for the worker to be gone: only then has the OS released its WAL locks."""
        proc = self._proc
        return None if proc is None else proc.wait()

    # -- shutdown ----------------------------------------------------------------------------

    async def close(self, timeout_s: float = 60.0) -> None:
        """Ask the worker to flush, close its shards and exit; kill it if it does not."""
        if self._closing.is_set():
            return
        self._closing.set()  # first: the supervisor must not restart the worker it stops
        conn = self._conn
        if conn is not None and not conn.closed:
            try:
                await self._send(conn, Shutdown(), type(None), timeout_s)
            except DependencyUnavailable as exc:
                log.warning("engine_worker_shutdown_failed", error=str(exc))
        await asyncio.to_thread(self._stop, timeout_s)

    def _stop(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self._thread.is_alive():
            self._thread.join(0.1)
            proc = self._proc
            if time.monotonic() > deadline and proc is not None and proc.poll() is None:
                log.warning("engine_worker_killed", pid=proc.pid)
                proc.kill()

    def status_extra(self) -> dict[str, Any]:
        """What /ready shows about the worker process itself."""
        return {"worker_pid": self.pid, "restarts": self.restarts, "worker_state": self.state}


def _resolve(loop: asyncio.AbstractEventLoop, future: Any, outcome: Any) -> None:
    def settle() -> None:
        if future.done():
            return
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)

    with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
        loop.call_soon_threadsafe(settle)
