"""A small real HTTP/1.1 server speaking OpenAI's wire protocol, for tests (no model server
can run here). It reuses the Ollama double's plumbing (h11, its own loop in a thread, the same
switches: ``latency_s``, ``token_delay_s``, ``error_status``/``error_count``,
``drop_mid_response``, :meth:`stop`/:meth:`start`, ``calls``, ``last_stream_cancelled``).

Endpoints under ``/v1``: ``GET /models``, ``POST /embeddings`` (floats or base64 float32),
``POST /chat/completions`` (JSON, or ``chat.completion.chunk`` Server-Sent Events ending
``data: [DONE]`` when streaming). Outputs are the Ollama double's deterministic ones. Errors
use OpenAI's body.
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import time
from typing import Any

import h11

from tests.support.ollama_server import OllamaDouble, extractive_answer, hashed_embedding

EMBED_MODEL = "text-embedding-test"
CHAT_MODEL = "chat-test"


class OpenAIDouble(OllamaDouble):
    """The server; build, :meth:`start`, flip switches, :meth:`close`."""

    @property
    def base_url(self) -> str:
        """Base URL as ``openai.base_url`` takes it (``/v1`` included)."""
        return f"{self.url}/v1"

    def reset(self) -> None:
        """Healthy, fast, the default models and size, counters at zero."""
        super().reset()
        self.models = {EMBED_MODEL: "embed", CHAT_MODEL: "chat"}

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
            await self._error(conn, writer, self.error_status, "injected failure")
            return
        try:
            body: dict[str, Any] = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            await self._error(conn, writer, 400, "invalid JSON body")
            return
        self.last_request = body
        route = (method, path)
        if route == ("GET", "/v1/models"):
            data = [
                {"id": name, "object": "model", "created": 0, "owned_by": "double"}
                for name in self.models
            ]
            await self._send_json(conn, writer, 200, {"object": "list", "data": data})
        elif route == ("POST", "/v1/embeddings"):
            await self._embeddings(conn, writer, body)
        elif route == ("POST", "/v1/chat/completions"):
            await self._completions(conn, reader, writer, body)
        else:
            await self._error(conn, writer, 404, f"no route {method} {path}")

    async def _error(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, status: int, message: str
    ) -> None:
        kind = "server_error" if status >= 500 else "invalid_request_error"
        error = {"message": message, "type": kind, "param": None, "code": None}
        await self._send_json(conn, writer, status, {"error": error})

    async def _model_missing(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, body: dict[str, Any]
    ) -> bool:
        model = str(body.get("model", ""))
        if model in self.models:
            return False
        await self._error(conn, writer, 404, f"The model `{model}` does not exist")
        return True

    async def _embeddings(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, body: dict[str, Any]
    ) -> None:
        if await self._model_missing(conn, writer, body):
            return
        texts = body.get("input", "")
        texts = [texts] if isinstance(texts, str) else list(texts)
        data = []
        for index, text in enumerate(texts):
            vector = hashed_embedding(str(text), self.embed_dims)
            encoded: Any = vector
            if body.get("encoding_format") == "base64":
                packed = struct.pack(f"<{len(vector)}f", *vector)
                encoded = base64.b64encode(packed).decode()
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(len(str(t).split()) for t in texts)
        await self._send_json(
            conn,
            writer,
            200,
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )

    async def _completions(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        body: dict[str, Any],
    ) -> None:
        if await self._model_missing(conn, writer, body):
            return
        words = extractive_answer(list(body.get("messages", []))).split(" ")
        limit = int(body.get("max_tokens") or 0)
        reason = "length" if 0 < limit < len(words) else "stop"
        if limit > 0:
            words = words[:limit]
        common = {"id": "chatcmpl-double", "created": int(time.time()), "model": body["model"]}
        if not body.get("stream"):
            message = {"role": "assistant", "content": " ".join(words)}
            reply = {
                **common,
                "object": "chat.completion",
                "choices": [{"index": 0, "message": message, "finish_reason": reason}],
                "usage": {"prompt_tokens": 10, "completion_tokens": len(words),
                          "total_tokens": 10 + len(words)},
            }  # fmt: skip
            await self._send_json(conn, writer, 200, reply)
            return
        await self._sse(conn, reader, writer, common, words, reason)

    async def _sse(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        common: dict[str, Any],
        words: list[str],
        reason: str,
    ) -> None:
        self.last_stream_cancelled = False
        headers = [("content-type", "text/event-stream"), ("transfer-encoding", "chunked")]
        writer.write(conn.send(h11.Response(status_code=200, headers=headers)))

        def event(delta: dict[str, Any], finish: str | None = None) -> bytes:
            chunk = {
                **common,
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(chunk)}\n\n".encode()

        hangup = asyncio.ensure_future(reader.read(1))  # any EOF: the client hung up
        try:
            for index, word in enumerate(words):
                piece = word if index == 0 else " " + word
                delta = (
                    {"role": "assistant", "content": piece} if index == 0 else {"content": piece}
                )
                writer.write(conn.send(h11.Data(data=event(delta))))
                await writer.drain()
                if self.drop_mid_response and index == 1:
                    raise ConnectionResetError("dropped on purpose")
                await asyncio.wait({hangup}, timeout=self.token_delay_s or 0)
                if hangup.done():
                    self.last_stream_cancelled = True
                    raise ConnectionResetError("client hung up")
            writer.write(conn.send(h11.Data(data=event({}, reason))))
            writer.write(conn.send(h11.Data(data=b"data: [DONE]\n\n")))
            writer.write(conn.send(h11.EndOfMessage()))
            await writer.drain()
        finally:
            await self._settle_hangup_watch(conn, hangup)
