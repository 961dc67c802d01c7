"""What the API process and the engine worker say to each other: msgpack frames over a socket.

Each frame is a 4-byte big-endian length followed by one msgpack message. The API process sends
:class:`Call` (an id and one operation); the worker answers each call exactly once with a
:class:`Reply` carrying the same id, in whatever order the calls finish, so one slow call (an
index build) never holds up the others.
"""

from __future__ import annotations

import re
import socket
import struct
from typing import Any, Literal

import msgspec

from ragmono.domain import (
    AnyOf,
    ChunkPoint,
    CollectionSpec,
    Condition,
    Filter,
    Match,
    Range,
    SparseVector,
    VectorQuery,
)
from ragmono.errors import Conflict, DamagedData, DependencyUnavailable, NotFound, RagmonoError

HEADER = struct.Struct(">I")
MAX_FRAME = 1 << 30

WireFilter = dict[str, Any]
"""A :class:`Filter` as builtins: msgspec cannot decode ``AnyOf.values`` (a union of two list
types) directly, so filters and queries travel as builtins and are rebuilt by the worker."""
WireQuery = dict[str, Any]


class Create(msgspec.Struct, frozen=True, tag="create"):
    """Create the shard of a new collection (and its payload indexes)."""

    spec: CollectionSpec
    indexing_threshold_kb: int | None = None


class Drop(msgspec.Struct, frozen=True, tag="drop"):
    """Close a collection's shard and remove its directory."""

    name: str


class Stats(msgspec.Struct, frozen=True, tag="stats"):
    """Points, indexed vectors and bytes on disk of one collection."""

    name: str


class Upsert(msgspec.Struct, frozen=True, tag="upsert"):
    """Insert or replace points."""

    collection: str
    points: list[ChunkPoint]


class Delete(msgspec.Struct, frozen=True, tag="delete"):
    """Delete the points matching a filter."""

    collection: str
    filter: WireFilter


class DeletePoints(msgspec.Struct, frozen=True, tag="delete_points"):
    """Delete points by id."""

    collection: str
    ids: list[str]


class Search(msgspec.Struct, frozen=True, tag="search"):
    """One dense, keyword or hybrid query."""

    collection: str
    query: WireQuery


class Scroll(msgspec.Struct, frozen=True, tag="scroll"):
    """One page of stored chunks."""

    collection: str
    filter: WireFilter | None
    limit: int
    offset: str | None = None


class Count(msgspec.Struct, frozen=True, tag="count"):
    """Exact count of matching points."""

    collection: str
    filter: WireFilter | None = None


class EnsureIndexes(msgspec.Struct, frozen=True, tag="ensure_indexes"):
    """Create whichever keyword payload indexes a collection's shard lacks (a write)."""

    collection: str


class BuildIndex(msgspec.Struct, frozen=True, tag="build_index"):
    """Build the HNSW index off to the side; answered when the new index serves searches."""

    collection: str


class Status(msgspec.Struct, frozen=True, tag="status"):
    """The engine's state for /ready; answered ahead of every other queued call."""


class PauseWrites(msgspec.Struct, frozen=True, tag="pause_writes"):
    """Flush every shard, then hold writes and index swaps until :class:`ResumeWrites`."""


class ResumeWrites(msgspec.Struct, frozen=True, tag="resume_writes"):
    """Let held writes and index swaps run again."""


class ReplaceData(msgspec.Struct, frozen=True, tag="replace_data"):
    """With writes paused: close every shard, swap in ``staged``'s catalog and collections."""

    staged: str


class Shutdown(msgspec.Struct, frozen=True, tag="shutdown"):
    """Stop index builds, flush and close every shard, answer, then exit."""


Operation = (
    Create
    | Drop
    | Stats
    | Upsert
    | Delete
    | DeletePoints
    | EnsureIndexes
    | Search
    | Scroll
    | Count
    | BuildIndex
    | Status
    | PauseWrites
    | ResumeWrites
    | ReplaceData
    | Shutdown
)
READS = (Search, Scroll, Count, Stats)
"""Operations that never change a shard: served between the slices of long writes."""

FailureKind = Literal["not_found", "conflict", "unavailable", "damaged", "invalid", "internal"]


class Call(msgspec.Struct, frozen=True, array_like=True):
    """One request from the API process."""

    id: int
    op: Operation


class Failure(msgspec.Struct, frozen=True):
    """Why a call failed, rebuilt into a domain error by the API process."""

    kind: FailureKind
    message: str
    field: str | None = None


class Reply(msgspec.Struct, frozen=True, array_like=True):
    """The answer to the call with the same id: a value, or a failure (sent by the worker)."""

    id: int
    value: Any = None
    error: Failure | None = None


class RawReply(msgspec.Struct, frozen=True, array_like=True):
    """A :class:`Reply` as received: the value stays encoded until its type is known."""

    id: int
    value: msgspec.Raw
    error: Failure | None = None


class BuildResult(msgspec.Struct, frozen=True):
    """What an index build did."""

    built: bool
    seconds: float
    points: int = 0
    replayed_to: int = 0
    """Bytes of the replay log the builder applied to the new shard; the worker does the rest."""


class CollectionState(msgspec.Struct, frozen=True):
    """One open collection as /ready shows it."""

    points: int
    points_pending_index: int
    indexing: bool


class EngineStatus(msgspec.Struct, frozen=True):
    """The worker's state: open collections, builds in progress, held writes."""

    pid: int
    collections: dict[str, CollectionState]
    writes_paused: bool
    damaged: dict[str, str] = msgspec.field(default_factory=dict)
    """Shards that failed to open, each with the reason (no server path in it)."""


def wire(value: Filter | VectorQuery) -> dict[str, Any]:
    """A filter or query as builtins for the wire."""
    out: dict[str, Any] = msgspec.to_builtins(value)
    return out


def filter_from_wire(raw: WireFilter | None) -> Filter | None:
    """The filter the API process sent."""
    if raw is None:
        return None
    return Filter(must=[_condition(c) for c in raw.get("must", [])])


def query_from_wire(raw: WireQuery) -> VectorQuery:
    """The query the API process sent."""
    # Built by hand: msgspec.convert(..., VectorQuery) would walk into Filter and fail the same.
    fields = dict(raw)
    flt = filter_from_wire(fields.pop("filter", None))
    sparse = fields.pop("sparse", None)
    return VectorQuery(
        **fields, sparse=msgspec.convert(sparse, SparseVector) if sparse else None, filter=flt
    )


def _condition(raw: dict[str, Any]) -> Condition:
    if raw.get("type") == "any":
        return AnyOf(key=raw["key"], values=list(raw["values"]))
    return msgspec.convert(raw, Match | Range)


def failure_of(exc: BaseException) -> Failure:
    """How the worker reports an exception (engine errors are plain ``Exception``s)."""
    if isinstance(exc, NotFound):
        return Failure("not_found", exc.detail, exc.field)
    if isinstance(exc, Conflict):
        return Failure("conflict", exc.detail, exc.field)
    if isinstance(exc, DamagedData):
        return Failure("damaged", exc.detail, exc.field)
    if isinstance(exc, DependencyUnavailable):
        return Failure("unavailable", exc.detail)
    if str(exc).startswith("Service runtime error"):
        return Failure("unavailable", f"embedded engine: {without_paths(str(exc))}")
    if isinstance(exc, ValueError | TypeError):
        return Failure("invalid", without_paths(str(exc)))
    return Failure("internal", f"{type(exc).__name__}: {without_paths(str(exc))}")


_ABSOLUTE_PATH = re.compile(r"""(?<![\w.])/(?:[^\s/:"'(),]+/)+([^\s/:"'(),]*)""")


def without_paths(text: str, root: str = "") -> str:
    """``text`` with server paths cut: relative to ``root`` when under it, else the last part.

    Engine messages name files by absolute path; clients get the file's name, the log the path.
    """
    if root:
        text = text.replace(root.rstrip("/") + "/", "")
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1) or "<path>", text)


def error_of(failure: Failure) -> Exception:
    """The exception the API process raises for a failed call."""
    match failure.kind:
        case "not_found":
            return NotFound(failure.message, field=failure.field or "collection")
        case "conflict":
            return Conflict(failure.message, field=failure.field)
        case "unavailable":
            return DependencyUnavailable("qdrant", failure.message)
        case "damaged":
            return DamagedData(failure.message, field=failure.field or "collection")
        case "invalid":
            return ValueError(failure.message)
    return RagmonoError(f"embedded engine: {failure.message}")


encoder = msgspec.msgpack.Encoder()
call_decoder = msgspec.msgpack.Decoder(Call)
reply_decoder = msgspec.msgpack.Decoder(RawReply)


def frame(message: Any) -> bytes:
    """``message`` as one length-prefixed msgpack frame."""
    body = encoder.encode(message)
    return HEADER.pack(len(body)) + body


def recv_frame(sock: socket.socket) -> bytes | None:
    """The next frame's body from a blocking socket, or None when the peer closed it."""
    header = _recv_exactly(sock, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > MAX_FRAME:
        raise ValueError(f"frame of {size} bytes is over the {MAX_FRAME} byte limit")
    return _recv_exactly(sock, size)


def _recv_exactly(sock: socket.socket, size: int) -> bytes | None:
    buf = bytearray(size)
    view = memoryview(buf)
    got = 0
    while got < size:
        n = sock.recv_into(view[got:], size - got)
        if n == 0:
            return None
        got += n
    return bytes(buf)
