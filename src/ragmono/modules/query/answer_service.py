"""Answers: retrieve passages, hand them to the answerer, keep only citations to them.

The configured answerer (``Generator`` port) gets the question and the passages as data, with
the collection's embedder and the question's vector from search; when it raises
``DependencyUnavailable`` the extractive answerer takes over and the answer is flagged
``degraded``. With no passages the answer says so and no answerer is called. Answers (never
degraded ones) are cached like searches. A streamed answer comes as words, each with the
white space before it, exactly as its cached replay does.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from dataclasses import dataclass

import msgspec
import structlog

from ragmono.domain import CollectionSpec, ScoredChunk, SearchMode
from ragmono.errors import DependencyUnavailable
from ragmono.ports import (
    AnswerRequest,
    Cache,
    Generator,
    Passage,
    QueryStage,
    Sampling,
    Telemetry,
)

from .cache import Probe, ResultCache
from .params import SearchParams
from .prompts import CitationFilter, WordStream, clean_citations, word_tokens
from .schemas import DoneEvent, QueryOut, QueryTimings, SourceOut, SourcesEvent, TokenEvent
from .search_service import Retrieval, SearchService, checked_query

__all__ = [
    "GENERATOR_UNAVAILABLE",
    "NOTHING_FOUND",
    "AnswerService",
    "PreparedQuery",
    "QueryEvent",
]

log = structlog.get_logger(__name__)

GENERATOR_UNAVAILABLE = "generator_unavailable"
NOTHING_FOUND = "No relevant passages were found for this question, so there is no answer."
_decode = msgspec.json.Decoder(QueryOut).decode

QueryEvent = TokenEvent | SourcesEvent | DoneEvent


@dataclass(slots=True)
class PreparedQuery:
    """Everything decided before the first token: passages, request, cache key, timings."""

    params: SearchParams
    started: float
    spec: CollectionSpec
    sampling: Sampling | None = None
    retrieval: Retrieval | None = None
    cached: QueryOut | None = None
    key: str | None = None
    request: AnswerRequest | None = None
    """What the answerer is asked; None when nothing was found (no answerer is called)."""

    @property
    def passages(self) -> list[ScoredChunk]:
        """The chunks given to the generator, numbered from 1 in this order."""
        return self.retrieval.hits if self.retrieval else []


class AnswerService:
    """Grounded answers with ``[n]`` citations, whole or streamed."""

    def __init__(
        self,
        search: SearchService,
        generator: Generator,
        fallback: Generator,
        *,
        cache: Cache | None = None,
        ttl_s: float = 0,
        telemetry: Telemetry | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._search = search
        self._generator = generator
        self._fallback = fallback
        self._telemetry = telemetry
        self._results = ResultCache(cache, ttl_s=ttl_s, kind="query", telemetry=telemetry)
        self._clock = clock
        self._generator_down = False

    async def prepare(
        self,
        params: SearchParams,
        *,
        missed_key: str | None = None,
        sampling: Sampling | None = None,
    ) -> PreparedQuery:
        """Validate, look in the cache, retrieve and build the prompt.

        ``missed_key``: a key this request already looked up and missed, not asked for
        again; ``sampling``: how an LLM generator should write this answer (part of the cache
        key). Raises (NotFound, Conflict, InvalidInput) here, before any streamed byte.
        """
        started = self._clock()
        checked_query(params.query)
        spec = await self._search.collection(params.collection)
        prepared = PreparedQuery(params=params, started=started, spec=spec, sampling=sampling)
        if self._results.enabled:
            prepared.key = key = self._key(params, spec, sampling)
            stored = None if key == missed_key else await self._results.lookup(spec.name, key)
            if stored is not None:
                prepared.cached = _decode(ResultCache.body(stored, self._hit_timings(started)))
                self._observe("total", params.mode, self._clock() - started)
                return prepared
        prepared.retrieval = await self._search.retrieve(params, spec)
        if prepared.passages:
            prepared.request = await self._request(params.query, prepared)
        return prepared

    async def _request(self, question: str, prepared: PreparedQuery) -> AnswerRequest:
        found = prepared.retrieval
        vector = found.query_vector if found is not None else None
        embedder = await self._search.embedder_for(found.spec) if found is not None else None
        return AnswerRequest(
            question=question.strip(),
            passages=passages(prepared.passages),
            embedder=embedder,
            question_vector=vector,
            sampling=prepared.sampling,
        )

    async def cached_body(self, params: SearchParams) -> Probe:
        """The ready-to-send JSON body of a cached answer, or the key that missed.

        An empty probe for a disabled cache, an unknown collection or a blank query (see
        :meth:`SearchService.cached_body`). Never raises itself.
        """
        if not self._results.enabled or not params.query.strip():
            return Probe()
        started = self._clock()
        spec = await self._search.collection_or_none(params.collection)
        if spec is None:
            return Probe()
        key = self._key(params, spec)
        stored = await self._results.lookup(spec.name, key)
        if stored is None:
            return Probe(missed_key=key)
        self._observe("total", params.mode, self._clock() - started)
        return Probe(body=ResultCache.body(stored, self._hit_timings(started)))

    async def answer(
        self,
        params: SearchParams,
        *,
        missed_key: str | None = None,
        sampling: Sampling | None = None,
    ) -> QueryOut:
        """The whole answer with its sources (``sampling`` as for :meth:`prepare`)."""
        prepared = await self.prepare(params, missed_key=missed_key, sampling=sampling)
        if prepared.cached is not None:
            return prepared.cached
        generated = self._clock()
        generator: Generator | None = None
        degraded: str | None = None
        text = NOTHING_FOUND
        if prepared.request is not None:
            try:
                generator = self._generator
                text = await generator.generate(prepared.request)
                self._note_generator(down=False)
            except DependencyUnavailable as exc:
                self._note_generator(down=True, detail=exc.detail)
                generator, degraded = self._fallback, GENERATOR_UNAVAILABLE
                text = await generator.generate(prepared.request)
        cited: list[int] = []
        # The same white space a stream of the answer would show (see WordStream).
        text = "".join(word_tokens(clean_citations(text, len(prepared.passages), cited)))
        out = self._result(prepared, text, cited, generator, degraded, generated)
        await self._finish(prepared, out)
        return out

    async def stream(self, prepared: PreparedQuery) -> AsyncGenerator[QueryEvent, None]:
        """``token`` events, then one ``sources`` event, then ``done``.

        Closing this iterator (a client that went away) closes the generator's stream,
        which cancels the model call.
        """
        if prepared.cached is not None:
            out = prepared.cached
            for token in word_tokens(out.answer):
                yield TokenEvent(text=token)
            yield SourcesEvent(sources=out.sources, citations=out.citations)
            yield _done(out)
            return
        generated = self._clock()
        used: list[Generator] = []
        degraded: list[str] = []
        cleaner = CitationFilter(len(prepared.passages))
        words = WordStream()
        parts: list[str] = []
        request = prepared.request
        tokens = self._tokens(request, used, degraded) if request is not None else None
        try:
            pieces = tokens if tokens is not None else _once(NOTHING_FOUND)
            async for piece in pieces:
                for word in words.feed(cleaner.feed(piece)):
                    parts.append(word)
                    yield TokenEvent(text=word)
            for word in words.feed(cleaner.flush()) + words.flush():
                parts.append(word)
                yield TokenEvent(text=word)
        finally:
            if tokens is not None:
                await tokens.aclose()
        out = self._result(
            prepared,
            "".join(parts),
            cleaner.cited,
            used[-1] if used else None,
            degraded[0] if degraded else None,
            generated,
        )
        await self._finish(prepared, out)  # before the last events: the client may leave
        yield SourcesEvent(sources=out.sources, citations=out.citations)
        yield _done(out)

    async def _tokens(
        self, request: AnswerRequest, used: list[Generator], degraded: list[str]
    ) -> AsyncGenerator[str, None]:
        used.append(self._generator)
        upstream = self._generator.stream(request)
        produced = False
        try:
            async for token in upstream:
                produced = True
                yield token
            self._note_generator(down=False)
        except DependencyUnavailable as exc:
            self._note_generator(down=True, detail=exc.detail)
            used.append(self._fallback)
            degraded.append(GENERATOR_UNAVAILABLE)
            if produced:  # what was streamed stays; the fallback answer follows it
                yield "\n\n"
            async for token in self._fallback.stream(request):
                yield token
        finally:
            await _close(upstream)

    def _key(
        self, params: SearchParams, spec: CollectionSpec, sampling: Sampling | None = None
    ) -> str:
        ref = spec.embedder
        return self._results.key(
            spec,
            params.query,
            params.top_k,
            params.mode,
            params.filter,
            params.score_threshold,
            self._generator.name,
            self._generator.model,
            ref.provider,
            ref.model,
            *sorted((sampling.given() if sampling else {}).items()),
        )

    def _result(
        self,
        prepared: PreparedQuery,
        answer: str,
        cited: list[int],
        generator: Generator | None,
        generator_degraded: str | None,
        generate_started: float,
    ) -> QueryOut:
        found = prepared.retrieval
        reasons = [r for r in (found.degraded_reason if found else None, generator_degraded) if r]
        now = self._clock()
        return QueryOut(
            answer=answer,
            sources=_sources(prepared.passages),
            citations=cited,
            collection=prepared.spec.name,
            mode=found.mode if found else prepared.params.mode,
            degraded=bool(reasons),
            degraded_reason=",".join(reasons) or None,
            generator=generator.name if generator else "none",
            model=generator.model if generator else "",
            timings=QueryTimings(
                embed_ms=found.embed_ms if found else 0.0,
                search_ms=found.search_ms if found else 0.0,
                generate_ms=_ms(now - generate_started),
                total_ms=_ms(now - prepared.started),
            ),
        )

    def _hit_timings(self, started: float) -> QueryTimings:
        total = _ms(self._clock() - started)
        return QueryTimings(embed_ms=0.0, search_ms=0.0, generate_ms=0.0, total_ms=total)

    async def _finish(self, prepared: PreparedQuery, out: QueryOut) -> None:
        """Report the stages, then cache the answer unless it was degraded."""
        if out.generator != "none":
            self._observe("generate", out.mode, out.timings.generate_ms / 1000)
        if (
            out.generator == self._fallback.name
            and self._generator is not self._fallback
            and self._telemetry is not None
        ):
            self._telemetry.count_degraded(GENERATOR_UNAVAILABLE)
        self._observe("total", out.mode, out.timings.total_ms / 1000)
        if prepared.key is not None and not out.degraded:
            await self._results.store(prepared.spec.name, prepared.key, out)

    def _observe(self, stage: QueryStage, mode: SearchMode, seconds: float) -> None:
        """Report one stage's duration (search and answer requests share these metrics)."""
        if self._telemetry is not None:
            self._telemetry.observe_query_stage(stage, mode, seconds)

    def _note_generator(self, *, down: bool, detail: str = "") -> None:
        if down and not self._generator_down:
            log.warning(
                "answers_degraded_to_extractive", reason=GENERATOR_UNAVAILABLE, detail=detail
            )
        elif not down and self._generator_down:
            log.info("answers_generator_restored")
        self._generator_down = down


def passages(found: Sequence[ScoredChunk]) -> list[Passage]:
    """The found chunks as the answerer's passages, numbered from 1 in rank order."""
    out: list[Passage] = []
    for n, hit in enumerate(found, start=1):
        meta = hit.chunk.metadata
        page = meta.get("page")
        out.append(
            Passage(
                n=n,
                id=hit.id,
                text=hit.chunk.text.strip(),
                source=hit.chunk.source,
                section=str(meta.get("section") or ""),
                page=page if isinstance(page, int) else None,
                unit_vectors=hit.chunk.unit_vectors,
            )
        )
    return out


def _sources(passages: Sequence[ScoredChunk]) -> list[SourceOut]:
    return [
        SourceOut(
            n=n,
            id=p.id,
            document_id=p.chunk.document_id,
            source=p.chunk.source,
            chunk_index=p.chunk.chunk_index,
            score=p.score,
            text=p.chunk.text,
            section=_str_or_none(p.chunk.metadata.get("section")),
            page=_int_or_none(p.chunk.metadata.get("page")),
        )
        for n, p in enumerate(passages, start=1)
    ]


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _done(out: QueryOut) -> DoneEvent:
    return DoneEvent(
        collection=out.collection,
        mode=out.mode,
        degraded=out.degraded,
        degraded_reason=out.degraded_reason,
        generator=out.generator,
        model=out.model,
        cached=out.cached,
        timings=out.timings,
    )


async def _once(text: str) -> AsyncIterator[str]:
    yield text


async def _close(iterator: AsyncIterator[str]) -> None:
    closer = getattr(iterator, "aclose", None)
    if closer is not None:
        await closer()


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)
