"""A small real HTTP/1.1 server speaking Ollama's wire protocol, for tests (Ollama cannot run here).

Endpoints: ``POST /api/embed``, ``POST /api/chat`` (JSON, or NDJSON chunks when streaming),
``GET /api/tags``, ``GET /api/version``. Outputs are deterministic:

* embeddings are a hashed bag of words, unit length, ``embed_dims`` floats;
* the chat answer quotes the first numbered passage of the prompt (a line ``[n] text``) with
  its ``[n]`` citation, streamed word by word.

Switches tests flip at runtime: ``latency_s`` (before each response), ``token_delay_s`` (between
streamed chunks), ``error_status`` (answer requests with it; only the next ``error_count`` ones
if that is set), ``drop_mid_response`` (send
part of the response, then reset the connection), :meth:`stop` / :meth:`start` (refuse
connections, then serve again on the same port). ``calls`` counts requests received by path;
``last_stream_cancelled`` says whether the client hung up during the last stream.

The server runs its own event loop in a thread, so it keeps answering whatever the test's loop
is doing.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import json
import math
import re
import threading
import time
from typing import Any

import h11

from tests.support.ports import free_port

EMBED_MODEL = "all-minilm"
CHAT_MODEL = "llama3.2:1b"
_WORD = re.compile(r"\w+")
_PASSAGE = re.compile(r"^\s*\[(\d+)\]\s*(\S.*)$", re.MULTILINE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def hashed_embedding(text: str, dims: int) -> list[float]:
    """Bag of words hashed into ``dims`` buckets, L2-normalised (empty text: a unit basis)."""
    vec = [0.0] * dims
    for token in _WORD.findall(text.lower()):
        digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
        vec[int.from_bytes(digest, "big") % dims] += 1.0
    norm = math.sqrt(sum(v * v for v in vec))
    if norm == 0:
        vec[0] = 1.0
        return vec
    return [v / norm for v in vec]


def extractive_answer(messages: list[dict[str, Any]]) -> str:
    """Quote the first sentence of the first ``[n] ...`` passage, cited as ``[n]``."""
    for message in messages:
        found = _PASSAGE.search(str(message.get("content", "")))
        if found:
            sentence = _SENTENCE_END.split(found.group(2).strip(), maxsplit=1)[0]
            words = sentence.split()[:40]
            return f"{' '.join(words)} [{found.group(1)}]"
    return "I cannot answer: no passages were given."


class OllamaDouble:
    """The server; build, :meth:`start`, flip switches, :meth:`close`."""

    def __init__(self, *, embed_dims: int = 384, version: str = "0.12.6") -> None:
        self.port = free_port()
        self._default_dims = embed_dims
        self.version = version
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.Transport] = set()
        self.reset()

    @property
    def url(self) -> str:
        """Base URL, as ``ollama.url`` takes it."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def total_calls(self) -> int:
        """Requests received since the last :meth:`reset`."""
        return sum(self.calls.values())

    def reset(self) -> None:
        """Healthy, fast, the default models and size, counters at zero."""
        self.models = {EMBED_MODEL: "embed", CHAT_MODEL: "chat"}
        self.embed_dims = self._default_dims
        self.latency_s = 0.0
        self.token_delay_s = 0.0
        self.error_status: int | None = None
        self.error_count: int | None = None
        self.drop_mid_response = False
        self.calls: collections.Counter[str] = collections.Counter()
        self.last_stream_cancelled = False
        self.last_request: dict[str, Any] = {}

    def start(self) -> None:
        """Listen (again) on :attr:`port`."""
        self._run(self._start())

    def stop(self) -> None:
        """Stop listening and cut every open connection: clients now get connection refused."""
        self._run(self._stop())

    def close(self) -> None:
        """Stop, finish every connection task and end the server thread."""
        self._run(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    async def wait_until(self, predicate: Any, timeout_s: float = 5.0) -> bool:
        """Poll ``predicate()`` from the caller's loop until true or ``timeout_s`` passes."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate():
                return True
            await asyncio.sleep(0.01)
        return bool(predicate())

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    async def _start(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for transport in list(self._transports):
            transport.abort()

    async def _shutdown(self) -> None:
        await self._stop()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- HTTP plumbing -------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        transport = writer.transport
        self._transports.add(transport)  # type: ignore[arg-type]
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                request = await self._read_request(conn, reader)
                if request is None:
                    return
                method, path, body = request
                await self._respond(conn, reader, writer, method, path, body)
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    return
                conn.start_next_cycle()
        except (ConnectionError, h11.ProtocolError, asyncio.IncompleteReadError):
            return
        finally:
            self._transports.discard(transport)  # type: ignore[arg-type]
            transport.abort()

    async def _read_request(
        self, conn: h11.Connection, reader: asyncio.StreamReader
    ) -> tuple[str, str, bytes] | None:
        method = path = ""
        body = bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(65536))
            elif isinstance(event, h11.Request):
                method, path = event.method.decode(), event.target.decode().split("?")[0]
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                self.calls[path] += 1
                return method, path, bytes(body)
            else:  # ConnectionClosed
                return None

    async def _respond(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        method: str,
        path: str,
        raw: bytes,
    ) -> None:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if self.error_status is not None and self.error_count != 0:
            if self.error_count is not None:
                self.error_count -= 1
            await self._send_json(conn, writer, self.error_status, {"error": "injected failure"})
            return
        try:
            body: dict[str, Any] = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            await self._send_json(conn, writer, 400, {"error": "invalid JSON body"})
            return
        self.last_request = body
        route = (method, path)
        if route == ("GET", "/api/version"):
            await self._send_json(conn, writer, 200, {"version": self.version})
        elif route == ("GET", "/api/tags"):
            await self._send_json(conn, writer, 200, {"models": self._tags()})
        elif route == ("POST", "/api/embed"):
            await self._embed(conn, writer, body)
        elif route == ("POST", "/api/chat"):
            await self._chat(conn, reader, writer, body)
        else:
            await self._send(conn, writer, 404, b"404 page not found", "text/plain")

    async def _send_json(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, status: int, body: Any
    ) -> None:
        await self._send(conn, writer, status, json.dumps(body).encode(), "application/json")

    async def _send(
        self,
        conn: h11.Connection,
        writer: asyncio.StreamWriter,
        status: int,
        data: bytes,
        content_type: str,
    ) -> None:
        headers = [("content-type", content_type), ("content-length", str(len(data)))]
        writer.write(conn.send(h11.Response(status_code=status, headers=headers)))
        if self.drop_mid_response:
            writer.write(conn.send(h11.Data(data=data[: len(data) // 2])))
            await writer.drain()
            raise ConnectionResetError("dropped on purpose")
        writer.write(conn.send(h11.Data(data=data)))
        writer.write(conn.send(h11.EndOfMessage()))
        await writer.drain()

    # -- Ollama endpoints ----------------------------------------------------------------------

    def _tags(self) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "model": name,
                "modified_at": "2026-01-01T00:00:00Z",
                "size": 45_000_000,
                "digest": hashlib.sha256(name.encode()).hexdigest(),
                "details": {"format": "gguf", "family": "bert" if kind == "embed" else "llama"},
            }
            for name, kind in self.models.items()
        ]

    async def _unknown_model(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, body: dict[str, Any]
    ) -> bool:
        model = str(body.get("model", ""))
        if model in self.models:
            return False
        error = f'model "{model}" not found, try pulling it first'
        await self._send_json(conn, writer, 404, {"error": error})
        return True

    async def _embed(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, body: dict[str, Any]
    ) -> None:
        if await self._unknown_model(conn, writer, body):
            return
        texts = body.get("input", "")
        texts = [texts] if isinstance(texts, str) else list(texts)
        await self._send_json(
            conn,
            writer,
            200,
            {
                "model": body["model"],
                "embeddings": [hashed_embedding(str(t), self.embed_dims) for t in texts],
                "total_duration": 1_000_000,
                "load_duration": 100_000,
                "prompt_eval_count": sum(len(_WORD.findall(str(t))) for t in texts),
            },
        )

    async def _chat(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        body: dict[str, Any],
    ) -> None:
        if await self._unknown_model(conn, writer, body):
            return
        words = extractive_answer(list(body.get("messages", []))).split(" ")
        limit = int((body.get("options") or {}).get("num_predict") or 0)
        reason = "length" if 0 < limit < len(words) else "stop"
        if limit > 0:
            words = words[:limit]
        if not body.get("stream", True):  # Ollama streams unless told not to
            reply = self._chat_part(body["model"], " ".join(words), done=True, reason=reason)
            reply["eval_count"] = len(words)
            await self._send_json(conn, writer, 200, reply)
            return
        await self._stream(conn, reader, writer, body["model"], words, reason)

    async def _stream(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        model: str,
        words: list[str],
        reason: str,
    ) -> None:
        self.last_stream_cancelled = False
        headers = [("content-type", "application/x-ndjson"), ("transfer-encoding", "chunked")]
        writer.write(conn.send(h11.Response(status_code=200, headers=headers)))
        # The client sends nothing while it reads a response: any EOF means it hung up.
        hangup = asyncio.ensure_future(reader.read(1))
        try:
            for index, word in enumerate(words):
                piece = word if index == 0 else " " + word
                line = json.dumps(self._chat_part(model, piece)) + "\n"
                writer.write(conn.send(h11.Data(data=line.encode())))
                await writer.drain()
                if self.drop_mid_response and index == 1:
                    raise ConnectionResetError("dropped on purpose")
                await asyncio.wait({hangup}, timeout=self.token_delay_s or 0)
                if hangup.done():
                    self.last_stream_cancelled = True
                    raise ConnectionResetError("client hung up")
            final = self._chat_part(model, "", done=True, reason=reason)
            final["eval_count"] = len(words)
            writer.write(conn.send(h11.Data(data=(json.dumps(final) + "\n").encode())))
            writer.write(conn.send(h11.EndOfMessage()))
            await writer.drain()
        finally:
            await self._settle_hangup_watch(conn, hangup)

    @staticmethod
    async def _settle_hangup_watch(conn: h11.Connection, hangup: asyncio.Future[bytes]) -> None:
        # The watch must be finished before the connection reads its next request: a pending
        # read would make that read fail, and a finished one may hold the next request's first
        # byte, which belongs to h11.
        if not hangup.done():
            hangup.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await hangup
        elif not hangup.cancelled() and hangup.exception() is None and hangup.result():
            conn.receive_data(hangup.result())

    @staticmethod
    def _chat_part(model: str, content: str, *, done: bool = False, reason: str = "") -> Any:
        part: dict[str, Any] = {
            "model": model,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "message": {"role": "assistant", "content": content},
            "done": done,
        }
        if done:
            part.update(
                done_reason=reason,
                total_duration=5_000_000,
                load_duration=1_000_000,
                prompt_eval_count=10,
                prompt_eval_duration=1_000_000,
                eval_duration=3_000_000,
            )
        return part
