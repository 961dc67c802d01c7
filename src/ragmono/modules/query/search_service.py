"""Search: dense, keyword or hybrid retrieval, degrading to keyword when the embedder is down."""

from __future__ import annotations

import time
from collections.abc import Callable

import msgspec
import structlog

from ragmono.domain import (
    CollectionSpec,
    Filter,
    Reader,
    ScoredChunk,
    SearchMode,
    VectorQuery,
)
from ragmono.errors import DependencyUnavailable, InvalidInput, NotFound
from ragmono.ports import (
    Cache,
    Embedder,
    Embedders,
    QueryStage,
    SparseEncoder,
    Telemetry,
    VectorStore,
)

from .cache import Probe, ResultCache
from .params import SearchParams
from .schemas import SearchHit, SearchOut, SearchTimings

__all__ = [
    "EMBEDDER_UNAVAILABLE",
    "Retrieval",
    "SearchService",
    "checked_query",
    "readable",
    "to_hit",
]

log = structlog.get_logger(__name__)

EMBEDDER_UNAVAILABLE = "embedder_unavailable"
_decode = msgspec.json.Decoder(SearchOut).decode


class Retrieval(msgspec.Struct, frozen=True, kw_only=True):
    """The chunks found, the mode that actually ran and where the time went."""

    spec: CollectionSpec
    hits: list[ScoredChunk]
    mode: SearchMode
    degraded_reason: str | None = None
    embed_ms: float = 0.0
    search_ms: float = 0.0
    query_vector: list[float] | None = None
    """The query's dense vector under ``spec``'s embedder (None in keyword mode)."""

    @property
    def degraded(self) -> bool:
        """True when the requested mode could not run."""
        return self.degraded_reason is not None


class SearchService:
    """Finds chunks in a collection.

    Dense and hybrid embed the query with the embedder recorded in the collection's spec (409
    only when that embedder cannot be had here), and search the physical collection read
    with that spec: a search that overlaps a reindex switch stays on the collection its
    query vector fits (the old one is retained a while). When the embedder raises
    ``DependencyUnavailable`` the search runs in keyword mode and is flagged ``degraded``;
    a keyword query made only of stop words finds nothing. With a ``cache`` and ``ttl_s`` > 0,
    results (never degraded ones) are cached per collection content version.
    """

    def __init__(
        self,
        store: VectorStore,
        embedders: Embedders,
        sparse: SparseEncoder,
        *,
        cache: Cache | None = None,
        ttl_s: float = 0,
        telemetry: Telemetry | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._store = store
        self._embedders = embedders
        self._sparse = sparse
        self._telemetry = telemetry
        self._results = ResultCache(cache, ttl_s=ttl_s, kind="search", telemetry=telemetry)
        self._clock = clock
        self._embedder_down = False

    @property
    def embedder(self) -> Embedder:
        """The configured embedder (collections may record another one)."""
        return self._embedders.default

    async def collection(self, name: str, reader: Reader | None = None) -> CollectionSpec:
        """The catalog entry of ``name``; NotFound when missing (or, with a ``reader``,
        when it belongs to a tenant the reader is not in)."""
        spec = await self._store.get_collection(name)
        if spec is None or (reader is not None and not reader.in_tenant(spec.tenant)):
            raise NotFound(f"collection {name!r} does not exist", field="collection")
        return spec

    async def embedder_for(self, spec: CollectionSpec) -> Embedder:
        """The embedder whose vectors ``spec``'s collection holds (opened once, cached)."""
        return await self._embedders.get(spec.embedder)

    async def collection_or_none(
        self, name: str, reader: Reader | None = None
    ) -> CollectionSpec | None:
        """The catalog entry of ``name``, or None (also for a tenant ``reader`` is not in)."""
        spec = await self._store.get_collection(name)
        if spec is None or (reader is not None and not reader.in_tenant(spec.tenant)):
            return None
        return spec

    async def search(self, params: SearchParams, *, missed_key: str | None = None) -> SearchOut:
        """Search and shape the results for the API, from the cache when possible.

        ``missed_key``: a key this request already looked up and missed (the fast path's),
        not asked for again.
        """
        started = self._clock()
        checked_query(params.query)
        spec = await self.collection(params.collection, params.reader)
        key = None
        if self._results.enabled:
            key = self._key(spec, params)
            stored = None if key == missed_key else await self._results.lookup(spec.name, key)
            if stored is not None:
                self._observe("total", params.mode, self._clock() - started)
                return _decode(ResultCache.body(stored, self._hit_timings(started)))
        found = await self.retrieve(params, spec)
        out = SearchOut(
            results=[to_hit(h) for h in found.hits],
            collection=params.collection,
            mode=found.mode,
            degraded=found.degraded,
            degraded_reason=found.degraded_reason,
            timings=SearchTimings(
                embed_ms=found.embed_ms,
                search_ms=found.search_ms,
                total_ms=_ms(self._clock() - started),
            ),
        )
        if key is not None and not out.degraded:
            await self._results.store(spec.name, key, out)
        self._observe("total", found.mode, self._clock() - started)
        return out

    async def cached_body(self, params: SearchParams) -> Probe:
        """The ready-to-send JSON body of a cached result, or the key that missed.

        An empty probe for a disabled cache, an unknown collection or a blank query: the
        regular path then answers (and raises what it must). Never raises itself.
        """
        if not self._results.enabled or not params.query.strip():
            return Probe()
        started = self._clock()
        spec = await self.collection_or_none(params.collection, params.reader)
        if spec is None:
            return Probe()
        key = self._key(spec, params)
        stored = await self._results.lookup(spec.name, key)
        if stored is None:
            return Probe(missed_key=key)
        self._observe("total", params.mode, self._clock() - started)
        return Probe(body=ResultCache.body(stored, self._hit_timings(started)))

    def _observe(self, stage: QueryStage, mode: SearchMode, seconds: float) -> None:
        if self._telemetry is not None:
            self._telemetry.observe_query_stage(stage, mode, seconds)

    def _key(self, spec: CollectionSpec, params: SearchParams) -> str:
        return self._results.key(
            spec,
            params.query,
            params.top_k,
            params.mode,
            params.filter,
            params.score_threshold,
            reader=params.reader,
        )

    def _hit_timings(self, started: float) -> SearchTimings:
        return SearchTimings(embed_ms=0.0, search_ms=0.0, total_ms=_ms(self._clock() - started))

    async def retrieve(self, params: SearchParams, spec: CollectionSpec | None = None) -> Retrieval:
        """The best ``top_k`` chunks for ``params``, with the mode that ran and timings."""
        query = checked_query(params.query)
        spec = spec or await self.collection(params.collection, params.reader)
        mode: SearchMode = params.mode
        reason: str | None = None
        dense: list[float] | None = None
        embed_ms = 0.0
        if mode != "keyword":
            dense, mode, reason, embed_ms = await self._embed(query, spec, mode)
            current = await self._store.get_collection(spec.name)
            if dense is not None and current is not None and current.physical != spec.physical:
                # A reindex switched the collection while the query was embedded: embed it
                # for the new one. (Embedded mode resolves a legacy physical name, equal to
                # the API name, through the catalog; nothing awaits between this read and
                # that resolution, so the search below reaches the collection read here.)
                spec = current
                dense, mode, reason, embed_ms = await self._embed(query, spec, mode)
        sparse = self._sparse.encode_query(query) if mode != "dense" else None
        if sparse is not None and not sparse.indices:
            sparse = None  # only stop words: no keyword can match
            if mode == "hybrid":
                mode = "dense"
        if mode == "keyword" and sparse is None:
            return Retrieval(
                spec=spec, hits=[], mode=mode, degraded_reason=reason, embed_ms=embed_ms
            )
        started = self._clock()
        hits = await self._store.search(
            spec.physical,
            VectorQuery(
                mode=mode,
                limit=params.top_k,
                dense=dense if mode != "keyword" else None,
                sparse=sparse,
                filter=readable(params.filter, params.reader, spec),
                score_threshold=params.score_threshold,
            ),
        )
        searched = self._clock() - started
        self._observe("search", mode, searched)
        return Retrieval(
            spec=spec,
            hits=hits,
            mode=mode,
            degraded_reason=reason,
            embed_ms=embed_ms,
            search_ms=_ms(searched),
            query_vector=dense if mode != "keyword" else None,
        )

    async def _embed(
        self, query: str, spec: CollectionSpec, mode: SearchMode
    ) -> tuple[list[float] | None, SearchMode, str | None, float]:
        """The query vector by ``spec``'s embedder (None, keyword, a reason when it is down)."""
        embedder = await self._embedders.get(spec.embedder)  # 409 if it cannot be had
        started = self._clock()
        try:
            dense = await embedder.embed_query(query)
        except DependencyUnavailable as exc:
            self._note_embedder(down=True, detail=exc.detail)
            if self._telemetry is not None:
                self._telemetry.count_degraded(EMBEDDER_UNAVAILABLE)
            return None, "keyword", EMBEDDER_UNAVAILABLE, _ms(self._clock() - started)
        self._note_embedder(down=False)
        self._observe("embed", mode, self._clock() - started)
        return dense, mode, None, _ms(self._clock() - started)

    def _note_embedder(self, *, down: bool, detail: str = "") -> None:
        # One log line per transition, not one per request during an outage.
        if down and not self._embedder_down:
            log.warning("search_degraded_to_keyword", reason=EMBEDDER_UNAVAILABLE, detail=detail)
        elif not down and self._embedder_down:
            log.info("search_dense_restored")
        self._embedder_down = down


def readable(flt: Filter | None, reader: Reader, spec: CollectionSpec) -> Filter | None:
    """``flt`` narrowed to the chunks ``reader`` may read in ``spec``'s collection."""
    condition = reader.condition(spec.default_access)
    if condition is None:
        return flt
    return Filter(must=[*(flt.must if flt is not None else ()), condition])


def checked_query(query: str) -> str:
    """The query without surrounding blanks; InvalidInput when nothing is left."""
    stripped = query.strip()
    if not stripped:
        raise InvalidInput("query is empty", field="body.query")
    return stripped


def to_hit(hit: ScoredChunk) -> SearchHit:
    """The API shape of one scored chunk."""
    chunk = hit.chunk
    return SearchHit(
        id=hit.id,
        score=hit.score,
        text=chunk.text,
        source=chunk.source,
        document_id=chunk.document_id,
        chunk_index=chunk.chunk_index,
        metadata=chunk.metadata,
    )


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)
