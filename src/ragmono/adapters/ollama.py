"""Ollama adapters: ``OllamaEmbedder`` (``/api/embed``) and ``OllamaGenerator`` (``/api/chat``).

Each owns its circuit breaker (``ollama_embed``, ``ollama_generate``) and a timeout on every
call (the ollama client's own default is none). Transport errors, timeouts and 5xx count as
failures and surface as ``DependencyUnavailable``; a 4xx (unknown model, bad request) is the
server answering, so it is not counted, never retried, and says what to fix. Only embedding
retries (it is idempotent); generation never does.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, NoReturn

import httpx
import ollama
import structlog

from ragmono.domain import DependencyHealth, EmbedderRef
from ragmono.errors import Conflict, DependencyUnavailable, NotFound
from ragmono.ports import AnswerRequest, Sampling
from ragmono.resilience import DependencyBreaker, RetryPolicy, retry_idempotent

from .llm_prompt import build_messages

__all__ = ["KNOWN_DIMENSIONS", "OllamaEmbedder", "OllamaGenerator", "is_ollama_failure"]

log = structlog.get_logger("ragmono.ollama")

KNOWN_DIMENSIONS = {
    "all-minilm": 384,
    "nomic-embed-text": 768,
    "mxbai-embed-large": 1024,
    "bge-m3": 1024,
    "embeddinggemma": 768,
}
"""Vector sizes of common Ollama embedding models (any tag); others are asked at startup."""

HEALTH_TIMEOUT_S = 2.0


def is_ollama_failure(exc: BaseException) -> bool:
    """Transport errors, 5xx and errors reported inside a stream count against Ollama."""
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, ollama.ResponseError) and (exc.status_code >= 500 or exc.status_code < 0)


def _rejected(dependency: str, model: str, exc: ollama.ResponseError) -> DependencyUnavailable:
    # Not counted by the breaker (the server answered) but still "unavailable" to the caller,
    # so search and query degrade instead of failing; the detail says what to fix.
    hint = f"; run `ollama pull {model}` or change the model" if exc.status_code == 404 else ""
    return DependencyUnavailable(
        dependency,
        f"ollama rejected the request for model {model!r} "
        f"(HTTP {exc.status_code}): {exc.error}{hint}",
    )


class _OllamaClient:
    """The ollama SDK client plus a plain HTTP client for the cheap ``/api/version`` probe."""

    def __init__(self, url: str, timeout_s: float, name: str, mode: str) -> None:
        self.url = url
        self.sdk = ollama.AsyncClient(host=url, timeout=timeout_s)
        self._probe = httpx.AsyncClient(base_url=url, timeout=HEALTH_TIMEOUT_S)
        self._name = name
        self._mode = mode

    async def health(self, model: str, breaker: DependencyBreaker) -> DependencyHealth:
        started = time.perf_counter()
        extra: dict[str, Any] = {"model": model, "breaker": breaker.state}
        try:
            response = await self._probe.get("/api/version")
            response.raise_for_status()
            extra["version"] = response.json().get("version", "")
            reachable, detail = True, self.url
        except (httpx.HTTPError, ValueError) as exc:
            reachable, detail = False, f"{self.url}: {type(exc).__name__}: {exc}"
        return DependencyHealth(
            name=self._name,
            mode=self._mode,
            reachable=reachable,
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
            # The app degrades (keyword search, extractive answers) without Ollama.
            required=False,
            detail=detail,
            extra=extra,
        )

    async def close(self) -> None:
        await self.sdk.close()  # type: ignore[no-untyped-call]
        await self._probe.aclose()


class OllamaEmbedder:
    """``Embedder`` on Ollama's ``/api/embed``: batched, retried with backoff, breaker-guarded."""

    def __init__(
        self,
        *,
        url: str,
        model: str,
        dimensions: int,
        batch_size: int,
        timeout_s: float,
        breaker: DependencyBreaker,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._client = _OllamaClient(url, timeout_s, "embedder", "ollama")
        self._ref = EmbedderRef(provider="ollama", model=model, dimensions=dimensions)
        self._batch_size = batch_size
        self._breaker = breaker
        self._retry = retry or RetryPolicy()

    @classmethod
    async def open(
        cls,
        *,
        url: str,
        model: str,
        dimensions: int,
        batch_size: int,
        timeout_s: float,
        breaker: DependencyBreaker,
        retry: RetryPolicy | None = None,
        verify: bool = False,
    ) -> OllamaEmbedder:
        """Build the embedder; when ``dimensions`` is 0 and the model is not known, ask Ollama.

        Raises ``DependencyUnavailable`` if the size must be asked and Ollama cannot answer:
        set ``embedder.dimensions`` to start without it. With ``verify`` the model is always
        asked once (its true size wins) and a model Ollama does not have raises ``NotFound``.
        """
        if verify:
            return await cls._verified(
                url=url,
                model=model,
                batch_size=batch_size,
                timeout_s=timeout_s,
                breaker=breaker,
                retry=retry,
            )
        known = dimensions or KNOWN_DIMENSIONS.get(model.split(":", 1)[0], 0)
        embedder = cls(
            url=url,
            model=model,
            dimensions=known,
            batch_size=batch_size,
            timeout_s=timeout_s,
            breaker=breaker,
            retry=retry,
        )
        if not known:
            try:
                probe = await embedder._embed_checked(["dimension probe"], check=False)
            except DependencyUnavailable:
                await embedder.close()
                raise
            embedder._ref = EmbedderRef(provider="ollama", model=model, dimensions=len(probe[0]))
            log.info("ollama_embedder_dimensions", model=model, dimensions=len(probe[0]))
        return embedder

    @classmethod
    async def _verified(
        cls,
        *,
        url: str,
        model: str,
        batch_size: int,
        timeout_s: float,
        breaker: DependencyBreaker,
        retry: RetryPolicy | None,
    ) -> OllamaEmbedder:
        embedder = cls(
            url=url,
            model=model,
            dimensions=0,
            batch_size=batch_size,
            timeout_s=timeout_s,
            breaker=breaker,
            retry=retry,
        )
        try:
            response = await breaker.call(embedder._embed_batch, ["dimension probe"])
        except ollama.ResponseError as exc:  # the server answered: not a breaker failure
            await embedder.close()
            if exc.status_code == 404:
                raise NotFound(
                    f"ollama has no model {model!r}; run `ollama pull {model}` first",
                    field="embedder",
                ) from None
            raise _rejected(breaker.name, model, exc) from exc
        except BaseException:
            await embedder.close()
            raise
        size = len(response.embeddings[0]) if response.embeddings else 0
        embedder._ref = EmbedderRef(provider="ollama", model=model, dimensions=size)
        log.info("ollama_embedder_dimensions", model=model, dimensions=size)
        return embedder

    @property
    def ref(self) -> EmbedderRef:
        """Provider ``ollama``, the model and its vector size."""
        return self._ref

    async def embed_documents(
        self, texts: Sequence[str], *, priority: bool = False
    ) -> list[list[float]]:
        """One unit vector per text, ``batch_size`` texts per request.

        ``priority`` changes nothing: the Ollama server queues requests itself.
        """
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            vectors.extend(await self._embed_checked(texts[start : start + self._batch_size]))
        return vectors

    async def embed_query(self, text: str) -> list[float]:
        """The unit vector of one query."""
        return (await self._embed_checked([text]))[0]

    async def _embed_checked(
        self, batch: Sequence[str], *, check: bool = True
    ) -> list[list[float]]:
        try:
            response = await retry_idempotent(
                self._breaker.call, self._embed_batch, list(batch), policy=self._retry
            )
        except ollama.ResponseError as exc:  # a 4xx: passed the breaker uncounted
            raise _rejected(self._breaker.name, self._ref.model, exc) from exc
        vectors = [_unit([float(x) for x in v]) for v in response.embeddings]
        if len(vectors) != len(batch):
            raise DependencyUnavailable(
                self._breaker.name, f"ollama returned {len(vectors)} vectors for {len(batch)} texts"
            )
        if check and any(len(v) != self._ref.dimensions for v in vectors):
            raise Conflict(
                f"ollama model {self._ref.model!r} returned {len(vectors[0])}-dimension vectors; "
                f"this embedder (and its collections) use {self._ref.dimensions} "
                "(embedder.dimensions)"
            )
        return vectors

    async def _embed_batch(self, batch: list[str]) -> ollama.EmbedResponse:
        return await self._client.sdk.embed(model=self._ref.model, input=batch)

    async def health(self) -> DependencyHealth:
        """``GET /api/version`` reachability and latency, with the breaker state."""
        return await self._client.health(self._ref.model, self._breaker)

    async def close(self) -> None:
        """Close the HTTP clients."""
        await self._client.close()


class OllamaGenerator:
    """The LLM answerer on Ollama's ``/api/chat``, whole or streamed; never retried.

    It writes its own prompt from the structured passages (``ollama_prompt``)."""

    def __init__(
        self,
        *,
        url: str,
        model: str,
        timeout_s: float,
        breaker: DependencyBreaker,
        keep_alive: str = "5m",
        temperature: float = 0.1,
        max_tokens: int = 512,
    ) -> None:
        self._client = _OllamaClient(url, timeout_s, "generator", "ollama")
        self._model = model
        self._breaker = breaker
        self._keep_alive = keep_alive
        self._options = {"temperature": temperature, "num_predict": max_tokens}

    @property
    def name(self) -> str:
        """Always ``ollama``."""
        return "ollama"

    @property
    def model(self) -> str:
        """The chat model answering."""
        return self._model

    def _request(self, request: AnswerRequest, stream: bool) -> dict[str, Any]:
        messages = build_messages(request)
        return {
            "model": self._model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": stream,
            "options": self._options | _ollama_options(request.sampling),
            "keep_alive": self._keep_alive,
        }

    async def generate(self, request: AnswerRequest) -> str:
        """The whole answer in one response, to a prompt built from ``request``."""
        try:
            response = await self._breaker.call(
                self._client.sdk.chat, **self._request(request, stream=False)
            )
        except ollama.ResponseError as exc:
            raise _rejected(self._breaker.name, self._model, exc) from exc
        return str(response.message.content or "")

    async def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        """The answer piece by piece; closing this iterator closes the HTTP response.

        The breaker (and its timeout) guards the call up to the first piece, where a dead or
        overloaded server shows; a failure after that still counts and raises
        ``DependencyUnavailable``.
        """
        try:
            chunks, first = await self._breaker.call(self._open_stream, request)
        except ollama.ResponseError as exc:
            raise _rejected(self._breaker.name, self._model, exc) from exc
        try:
            if first.message.content:
                yield first.message.content
            if first.done:
                return
            try:
                async for part in chunks:
                    if part.message.content:
                        yield part.message.content
            except Exception as exc:
                await self._fail_mid_stream(exc)
        finally:
            await chunks.aclose()

    async def _open_stream(self, request: AnswerRequest) -> tuple[Any, ollama.ChatResponse]:
        chunks = await self._client.sdk.chat(**self._request(request, stream=True))
        try:
            first = await anext(chunks)
        except BaseException:
            await chunks.aclose()
            raise
        return chunks, first

    async def _fail_mid_stream(self, exc: Exception) -> NoReturn:
        if isinstance(exc, ollama.ResponseError) and 0 <= exc.status_code < 500:
            raise _rejected(self._breaker.name, self._model, exc) from exc
        if not self._breaker.is_failure(exc):
            raise exc
        # Route the failure through the breaker so it is counted like any other call's.
        try:
            await self._breaker.call(_reraise, exc)
        except DependencyUnavailable as err:
            raise err from exc
        raise AssertionError("unreachable: _reraise always raises")  # pragma: no cover

    async def health(self) -> DependencyHealth:
        """``GET /api/version`` reachability and latency, with the breaker state."""
        return await self._client.health(self._model, self._breaker)

    async def close(self) -> None:
        """Close the HTTP clients."""
        await self._client.close()


async def _reraise(exc: Exception) -> NoReturn:
    raise exc


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm > 0 else vector


def _ollama_options(sampling: Sampling | None) -> dict[str, float | int]:
    """A request's sampling in Ollama's option names (``max_tokens`` is ``num_predict``)."""
    given = sampling.given() if sampling is not None else {}
    if "max_tokens" in given:
        given["num_predict"] = given.pop("max_tokens")
    return given
