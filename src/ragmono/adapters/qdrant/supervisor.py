"""The API process's side of the engine worker: start it, talk to it, restart it when it dies.

Calls are multiplexed over one socket: each carries an id, replies come back in any order, so
searches are answered while an index build is still running. If the worker dies, every call in
flight fails with ``DependencyUnavailable('qdrant')``; the worker is reaped (the OS releases its
WAL locks) and started again, and the next calls go to the new one.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import structlog

from ragmono.errors import DependencyUnavailable

from .protocol import (
    HEADER,
    Call,
    EngineStatus,
    Operation,
    RawReply,
    Shutdown,
    Status,
    error_of,
    frame,
    reply_decoder,
)

log = structlog.get_logger(__name__)
T = TypeVar("T")

START_TIMEOUT_S = 60.0
"""How long a call waits for a (re)starting worker before failing."""
_BACKOFF_S = (0.0, 0.5, 1.0, 2.0, 5.0)
_STABLE_S = 30.0


class EngineSupervisor:
    """Owns the engine worker process for one data directory."""

    def __init__(
        self, data_dir: Path, *, log_level: str = "info", log_format: str = "json"
    ) -> None:
        self._data_dir = data_dir
        self._log_args = ["--log-level", log_level, "--log-format", log_format]
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[RawReply]] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.restarts = 0
        """Times the worker died and was started again."""
        self.generation = 0
        """Bumped at every worker start: a change means a restart happened in between."""

    @property
    def pid(self) -> int | None:
        """The running worker's process id."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    async def call(self, op: Operation, result: type[T], *, timeout_s: float | None = 60.0) -> T:
        """Send ``op`` and decode its reply as ``result``; raise the domain error it failed with."""
        return await self._send(await self._running(), op, result, timeout_s)

    async def _send(
        self, writer: asyncio.StreamWriter, op: Operation, result: type[T], timeout_s: float | None
    ) -> T:
        call_id = next(self._ids)
        future: asyncio.Future[RawReply] = asyncio.get_running_loop().create_future()
        self._pending[call_id] = future
        try:
            writer.write(frame(Call(call_id, op)))
            await writer.drain()
            reply = await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            raise DependencyUnavailable(
                "qdrant", f"the embedded engine did not answer within {timeout_s}s"
            ) from None
        except (ConnectionError, OSError) as exc:
            raise DependencyUnavailable("qdrant", f"embedded engine connection: {exc}") from exc
        finally:
            self._pending.pop(call_id, None)
        if reply.error is not None:
            raise error_of(reply.error)
        return msgspec.msgpack.decode(reply.value, type=result)

    async def _running(self) -> asyncio.StreamWriter:
        if self._closing:
            raise DependencyUnavailable("qdrant", "the embedded vector store is closed")
        if self._task is None:
            self._ready = asyncio.Event()
            self._task = asyncio.create_task(self._supervise(), name="engine-supervisor")
        assert self._ready is not None
        try:
            await asyncio.wait_for(self._ready.wait(), START_TIMEOUT_S)
        except TimeoutError:
            raise DependencyUnavailable("qdrant", "the embedded engine is not running") from None
        if self._writer is None:
            raise DependencyUnavailable("qdrant", "the embedded vector store is closed")
        return self._writer

    async def _supervise(self) -> None:
        assert self._ready is not None
        failures = 0
        while not self._closing:
            started = time.monotonic()
            try:
                reader = await self._start()
            except Exception as exc:
                log.error("engine_worker_start_failed", error=str(exc))
                await self._reap("failed to start")
                failures += 1
                await asyncio.sleep(_BACKOFF_S[min(failures, len(_BACKOFF_S) - 1)])
                continue
            self._ready.set()
            await self._read_replies(reader)
            self._ready.clear()
            code = await self._reap("exited")
            if self._closing:
                break
            self.restarts += 1
            failures = 0 if time.monotonic() - started > _STABLE_S else failures + 1
            log.error("engine_worker_died", exit_code=code, restarts=self.restarts)
            await asyncio.sleep(_BACKOFF_S[min(failures, len(_BACKOFF_S) - 1)])
        self._ready.set()  # wake waiting callers: _running() then reports the store closed

    def _spawn(self, child: socket.socket) -> subprocess.Popen[bytes]:
        args = [sys.executable, "-m", "ragmono.adapters.qdrant.worker"]
        args += ["--data-dir", str(self._data_dir), "--fd", str(child.fileno())]
        args += ["--parent-pid", str(os.getpid()), *self._log_args]
        return subprocess.Popen(args, pass_fds=(child.fileno(),))  # noqa: S603  # our own module

    async def _start(self) -> asyncio.StreamReader:
        parent, child = socket.socketpair()
        try:
            self._proc = self._spawn(child)
        finally:
            child.close()
        reader, writer = await asyncio.open_unix_connection(sock=parent)
        try:
            # The first reply proves the worker recovered its directory and is serving.
            writer.write(frame(Call(0, Status())))
            await writer.drain()
            reply = reply_decoder.decode(await _read_frame(reader))
            status = msgspec.msgpack.decode(reply.value, type=EngineStatus)
        except BaseException:
            writer.close()
            raise
        self._writer = writer
        self.generation += 1
        log.info("engine_worker_ready", pid=status.pid, generation=self.generation)
        return reader

    async def _read_replies(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                reply = reply_decoder.decode(await _read_frame(reader))
                future = self._pending.get(reply.id)
                if future is not None and not future.done():
                    future.set_result(reply)
        except (asyncio.IncompleteReadError, ConnectionError, msgspec.DecodeError):
            pass

    async def _reap(self, why: str) -> int | None:
        """Fail the calls in flight, close the socket and wait for the process to be gone."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(
                    DependencyUnavailable("qdrant", f"the embedded engine worker {why}")
                )
        proc = self._proc
        if proc is None:
            return None
        # Only once the process is reaped has the OS released its WAL locks.
        return await asyncio.to_thread(proc.wait)

    async def close(self, timeout_s: float = 60.0) -> None:
        """Ask the worker to flush, close its shards and exit; kill it if it does not."""
        if self._closing:
            return
        self._closing = True
        if self._task is None:
            return
        if self._writer is not None:
            try:
                await self._send(self._writer, Shutdown(), type(None), timeout_s)
            except DependencyUnavailable as exc:
                log.warning("engine_worker_shutdown_failed", error=str(exc))
        else:  # starting or backing off: nothing is served, stop at once
            self._task.cancel()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                await asyncio.wait_for(asyncio.to_thread(proc.wait), timeout_s)
            except TimeoutError:
                proc.kill()
                await asyncio.to_thread(proc.wait)
        await asyncio.gather(self._task, return_exceptions=True)

    def status_extra(self) -> dict[str, Any]:
        """What /ready shows about the worker process itself."""
        return {"worker_pid": self.pid, "restarts": self.restarts}


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    (size,) = HEADER.unpack(await reader.readexactly(HEADER.size))
    return await reader.readexactly(size)
