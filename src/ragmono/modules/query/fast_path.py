"""Cache hits answered before the framework parses the request (design section 9).

Route-level ASGI middleware on ``POST /api/v1/search`` and ``POST /api/v1/query``: it runs
after routing and every app-level middleware (request id, access log, auth, rate limits),
reads the small JSON body, validates it with the same schema, builds the same cache key and,
on a hit, sends the stored body as is. Anything else (a miss, invalid input, streaming, a big
body, an unknown collection) goes to the regular handler with the body replayed, and a key
that just missed is not looked up twice.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from ragmono.errors import InvalidInput

from .answers import QueryParams, QueryService
from .cache import one_lookup_per_key
from .filters import to_domain_filter
from .schemas import QueryIn, SearchIn
from .service import SearchParams, SearchService

__all__ = ["CachedHitFastPath"]

MAX_BODY = 16 * 1024
"""Larger bodies are not worth the copy; they take the regular path."""

_decode_search = msgspec.json.Decoder(SearchIn).decode
_decode_query = msgspec.json.Decoder(QueryIn).decode
_JSON_HEADERS = [(b"content-type", b"application/json")]


class CachedHitFastPath:
    """Serve a cached result for one route ``kind`` without the framework's parsing."""

    def __init__(self, app: ASGIApp, kind: Literal["search", "query"]) -> None:
        self.app = app
        self.kind = kind

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not _eligible(scope):
            await self.app(scope, receive, send)
            return
        received: list[ReceiveMessage] = []
        body = await _read_body(receive, received)
        with one_lookup_per_key():
            hit = await self._lookup(scope, body) if body is not None else None
            if hit is None:
                await self.app(scope, _replaying(received, receive), send)
                return
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": 200,
            "headers": [*_JSON_HEADERS, (b"content-length", str(len(hit)).encode())],
        }
        payload: HTTPResponseBodyEvent = {
            "type": "http.response.body",
            "body": hit,
            "more_body": False,
        }
        await send(start)
        await send(payload)

    async def _lookup(self, scope: Scope, body: bytes) -> bytes | None:
        services: Any = scope["litestar_app"].state.services  # lifespan.Services
        try:
            if self.kind == "search":
                found = _decode_search(body)
                search: SearchService = services.search
                return await search.cached_body(
                    SearchParams(
                        query=found.query,
                        collection=found.collection,
                        top_k=found.top_k,
                        filter=to_domain_filter(found.filter),
                        score_threshold=found.score_threshold,
                        mode=found.mode,
                    )
                )
            asked = _decode_query(body)
            if asked.stream:
                return None
            answers: QueryService = services.answers
            return await answers.cached_body(
                QueryParams(
                    query=asked.query,
                    collection=asked.collection,
                    top_k=asked.top_k,
                    filter=to_domain_filter(asked.filter),
                    score_threshold=asked.score_threshold,
                    mode=asked.mode,
                )
            )
        except (
            msgspec.DecodeError,
            msgspec.ValidationError,
            InvalidInput,
            RecursionError,
            UnicodeDecodeError,
        ):
            return None  # the regular path answers with the proper problem+json


def _eligible(scope: HTTPScope) -> bool:
    if scope["method"] != "POST":
        return False
    length = -1
    for name, value in scope["headers"]:
        if name == b"content-length":
            length = int(value) if value.isdigit() else -1
        elif name == b"accept" and b"text/event-stream" in value:
            return False
        elif name == b"content-type" and b"json" not in value.lower():
            return False  # the regular path answers 415
    return 0 < length <= MAX_BODY


async def _read_body(receive: Receive, received: list[ReceiveMessage]) -> bytes | None:
    """The whole body (None if the client went away or sent too much); keeps every message."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        received.append(message)
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)


def _replaying(received: list[ReceiveMessage], receive: Receive) -> Receive:
    """A receive that hands back the messages already read, then the client's own."""
    pending = list(received)

    async def replay() -> ReceiveMessage:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
