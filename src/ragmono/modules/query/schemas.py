"""Request and response bodies of /api/v1/search (and the filter DSL they share)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

CollectionName = Annotated[
    str,
    Meta(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$",
        description="Lower-case letters, digits, '-' and '_'; 1-63 characters.",
        examples=["docs"],
    ),
]
QueryText = Annotated[
    str, Meta(min_length=1, max_length=2000, description="What to look for.", examples=["x"])
]
TopK = Annotated[int, Meta(ge=1, le=100, description="How many results (1-100).")]
Mode = Literal["dense", "keyword", "hybrid"]
FilterKey = Annotated[
    str,
    Meta(
        pattern=r"^(document_id|source|chunk_index|metadata\.[A-Za-z0-9_][A-Za-z0-9_-]{0,63})$",
        description="document_id, source, chunk_index or metadata.<name>.",
        examples=["metadata.year"],
    ),
]
MatchValue = str | int | bool
Bound = Annotated[
    float | str,
    Meta(description="A number, or an ISO-8601 date or date-time (compared as epoch seconds)."),
]


class _Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """Base of request bodies: unknown fields are rejected, not ignored."""


class RangeIn(_Body, frozen=True):
    """Numeric or date bounds; at least one is required."""

    gte: Bound | None = None
    gt: Bound | None = None
    lte: Bound | None = None
    lt: Bound | None = None


class ConditionIn(_Body, frozen=True):
    """One condition on one key, with exactly one operator: match, any or range."""

    key: FilterKey
    match: Annotated[MatchValue, Meta(description="Exact value.")] | None = None
    any: Annotated[list[str | int], Meta(min_length=1, max_length=256)] | None = None
    range: RangeIn | None = None


class FilterIn(_Body, frozen=True):
    """Every condition in ``must`` has to hold."""

    must: Annotated[list[ConditionIn], Meta(max_length=32)] = msgspec.field(default_factory=list)


class SearchIn(_Body, frozen=True):
    """POST /api/v1/search."""

    query: QueryText
    collection: CollectionName
    top_k: TopK = 10
    filter: FilterIn | None = None
    score_threshold: (
        Annotated[
            float,
            Meta(
                description=(
                    "Drop results scoring below this. Scores are per mode: cosine similarity "
                    "(dense), BM25 (keyword), reciprocal-rank fusion (hybrid, at most ~0.033)."
                )
            ),
        ]
        | None
    ) = None
    mode: Mode = "hybrid"


class SearchHit(msgspec.Struct, frozen=True, kw_only=True):
    """One chunk found."""

    id: str
    score: float
    text: str
    source: str
    document_id: str
    chunk_index: int
    metadata: dict[str, Any]


class SearchTimings(msgspec.Struct, frozen=True, kw_only=True):
    """Milliseconds spent embedding the query and searching the store."""

    embed_ms: float
    search_ms: float
    total_ms: float


class SearchOut(msgspec.Struct, frozen=True, kw_only=True):
    """The results and how they were found."""

    results: list[SearchHit]
    collection: str
    mode: Mode
    """The mode that actually ran (keyword when the embedder was down)."""
    degraded: bool = False
    degraded_reason: str | None = None
    cached: bool = False
    timings: SearchTimings


class QueryIn(_Body, frozen=True):
    """POST /api/v1/query."""

    query: QueryText
    collection: CollectionName
    top_k: Annotated[int, Meta(ge=1, le=20, description="Passages given to the generator.")] = 5
    filter: FilterIn | None = None
    score_threshold: float | None = None
    """Passages scoring below this are not given to the generator (scores as in search)."""
    mode: Mode = "hybrid"
    stream: bool = False
    """Answer as Server-Sent Events (also chosen by ``Accept: text/event-stream``)."""


class SourceOut(msgspec.Struct, frozen=True, kw_only=True):
    """A passage given to the generator; ``n`` is the number the answer cites as ``[n]``."""

    n: int
    id: str
    document_id: str
    source: str
    chunk_index: int
    score: float
    text: str
    section: str | None = None
    """The heading path the passage falls under (Markdown, HTML, DOCX), if any."""
    page: int | None = None
    """The PDF page the passage starts on, if any."""


class QueryTimings(msgspec.Struct, frozen=True, kw_only=True):
    """Milliseconds per stage."""

    embed_ms: float
    search_ms: float
    generate_ms: float
    total_ms: float


class QueryOut(msgspec.Struct, frozen=True, kw_only=True):
    """An answer with its sources; every ``[n]`` in ``answer`` is ``sources[n-1]``."""

    answer: str
    sources: list[SourceOut]
    citations: list[int]
    """The passage numbers the answer cites, in order of first appearance."""
    collection: str
    mode: Mode
    degraded: bool = False
    degraded_reason: str | None = None
    """``embedder_unavailable`` (keyword search), ``generator_unavailable`` (extractive answer)
    or both, comma-separated."""
    generator: str
    """``extractive``, ``ollama``, or ``none`` when nothing relevant was found."""
    model: str
    cached: bool = False
    timings: QueryTimings


class SourcesEvent(msgspec.Struct, frozen=True, kw_only=True):
    """SSE ``sources``: the passages and which of them the streamed answer cited."""

    sources: list[SourceOut]
    citations: list[int]


class DoneEvent(msgspec.Struct, frozen=True, kw_only=True):
    """SSE ``done``: how the answer was made."""

    collection: str
    mode: Mode
    degraded: bool
    degraded_reason: str | None
    generator: str
    model: str
    cached: bool
    timings: QueryTimings


class TokenEvent(msgspec.Struct, frozen=True, kw_only=True):
    """SSE ``token``: the next piece of the answer."""

    text: str
