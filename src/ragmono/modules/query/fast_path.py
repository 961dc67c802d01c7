"""Cache hits answered before the framework parses the request (design section 9).

Route-level ASGI middleware on ``POST /api/v1/search`` and ``POST /api/v1/query``: it runs
after routing and every app-level middleware (request id, access log, auth, rate limits),
reads the small JSON body, validates it with the same schema, builds the same cache key and,
on a hit, sends the stored body as is. Anything else (a miss, invalid input, streaming, a big
body, an unknown collection) goes to the regular handler with the body replayed; a key that
just missed goes with it (:func:`missed_key`), so the handler's service does not look it up
twice. The services are handed in by the composition root (:class:`CacheReaders`).
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Request
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

from ragmono.domain import Reader
from ragmono.errors import InvalidInput
from ragmono.modules.auth import reader_of

from .answer_service import AnswerService
from .cache import Probe
from .params import SearchParams
from .schemas import QueryIn, SearchIn
from .search_service import SearchService

__all__ = ["CacheReaders", "CachedHitFastPath", "missed_key"]

MAX_BODY = 16 * 1024
"""Larger bodies are not worth the copy; they take the regular path."""

_decode_search = msgspec.json.Decoder(SearchIn).decode
_decode_query = msgspec.json.Decoder(QueryIn).decode
_JSON_HEADERS = [(b"content-type", b"application/json")]
_MISSED_KEY = "ragmono.cache_missed_key"
"""Where in the request's ``scope["state"]`` the fast path leaves the key that missed."""


class CacheReaders:
    """The services the fast path asks for cached bodies, bound once the lifespan built them.

    Until :meth:`bind` (and in an app whose lifespan has not run) every request takes the
    regular path.
    """

    def __init__(self) -> None:
        self.search: SearchService | None = None
        self.answers: AnswerService | None = None

    def bind(self, search: SearchService, answers: AnswerService) -> None:
        """Serve cached bodies of these services from now on."""
        self.search, self.answers = search, answers


def missed_key(request: Request[Any, Any, Any]) -> str | None:
    """The cache key the fast path looked up for this request and missed, if any."""
    found: str | None = request.scope["state"].get(_MISSED_KEY)
    return found


class CachedHitFastPath:
    """Serve a cached result for one route ``kind`` without the framework's parsing."""

    def __init__(
        self, app: ASGIApp, kind: Literal["search", "query"], readers: CacheReaders
    ) -> None:
        self.app = app
        self.kind = kind
        self.readers = readers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not _eligible(scope):
            await self.app(scope, receive, send)
            return
        received: list[ReceiveMessage] = []
        body = await _read_body(receive, received)
        probe = await self._lookup(body, reader_of(scope)) if body is not None else Probe()
        hit = probe.body
        if hit is None:
            if probe.missed_key is not None:
                scope["state"][_MISSED_KEY] = probe.missed_key
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

    async def _lookup(self, body: bytes, reader: Reader) -> Probe:
        search, answers = self.readers.search, self.readers.answers
        try:
            if self.kind == "search":
                if search is None:
                    return Probe()
                return await search.cached_body(SearchParams.of(_decode_search(body), reader))
            asked = _decode_query(body)
            if asked.stream or answers is None:
                return Probe()
            return await answers.cached_body(SearchParams.of(asked, reader))
        except (
            msgspec.DecodeError,
            msgspec.ValidationError,
            InvalidInput,
            RecursionError,
            UnicodeDecodeError,
        ):
            return Probe()  # the regular path answers with the proper problem+json


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
