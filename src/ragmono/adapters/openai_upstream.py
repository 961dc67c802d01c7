"""OpenAI-compatible upstreams: ``OpenAIEmbedder`` (``/embeddings``) and ``OpenAIGenerator``
(``/chat/completions``, whole or streamed) on any server speaking OpenAI's API (vLLM,
llama.cpp's server, LM Studio, OpenAI itself).

Built on the official ``openai`` SDK (its wire format, SSE parsing and error types), with the
SDK's own retries off: each adapter owns its breaker (``openai_embed``, ``openai_generate``)
and timeout, exactly like the Ollama adapters. Connection errors, timeouts and 5xx count as
failures and surface as ``DependencyUnavailable``; a 4xx (unknown model, bad key) is the
server answering, so it is not counted and says what to fix, but still lets answers degrade.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, NoReturn

import httpx
import openai
import structlog

from ragmono.domain import DependencyHealth, EmbedderRef
from ragmono.errors import Conflict, DependencyUnavailable
from ragmono.ports import AnswerRequest, ChatMessage, Sampling
from ragmono.resilience import DependencyBreaker, RetryPolicy, retry_idempotent

from .llm_prompt import build_messages

__all__ = ["OpenAIEmbedder", "OpenAIGenerator", "is_openai_failure", "open_client"]

log = structlog.get_logger("ragmono.openai_upstream")

HEALTH_TIMEOUT_S = 2.0


def is_openai_failure(exc: BaseException) -> bool:
    """Transport errors, timeouts and 5xx count against the upstream."""
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


def open_client(base_url: str, api_key: str, timeout_s: float) -> openai.AsyncOpenAI:
    """An SDK client without its own retries (the breaker and our retry policy decide)."""
    # The SDK insists on a key; servers without auth ignore whatever is sent.
    client = openai.AsyncOpenAI(
        base_url=base_url, api_key=api_key or "none", timeout=timeout_s, max_retries=0
    )
    # The SDK imports each resource on first touch (seconds on a busy CPU): do it now, not
    # inside the first call's timeout.
    _ = (client.embeddings, client.chat.completions, client.models)
    return client


def _rejected(dependency: str, model: str, exc: openai.APIStatusError) -> DependencyUnavailable:
    hint = "; check the model name (GET /v1/models)" if exc.status_code == 404 else ""
    if exc.status_code in (401, 403):
        hint = "; check openai.api_key"
    return DependencyUnavailable(
        dependency,
        f"the OpenAI-compatible server rejected the request for model {model!r} "
        f"(HTTP {exc.status_code}): {exc.message}{hint}",
    )


async def _health(
    client: openai.AsyncOpenAI, name: str, model: str, breaker: DependencyBreaker
) -> DependencyHealth:
    started = time.perf_counter()
    extra: dict[str, Any] = {"model": model, "breaker": breaker.state}
    url = str(client.base_url)
    try:
        await client.with_options(timeout=HEALTH_TIMEOUT_S).models.list()
        reachable, detail = True, url
    except openai.APIStatusError as exc:  # it answered: reachable, though it may refuse us
        reachable, detail = exc.status_code < 500, f"{url}: HTTP {exc.status_code}"
    except (openai.OpenAIError, httpx.HTTPError) as exc:
        reachable, detail = False, f"{url}: {type(exc).__name__}: {exc}"
    return DependencyHealth(
        name=name,
        mode="openai",
        reachable=reachable,
        latency_ms=round((time.perf_counter() - started) * 1000, 3),
        required=False,  # search degrades to keyword, answers to extractive
        detail=detail,
        extra=extra,
    )


class OpenAIEmbedder:
    """``Embedder`` on ``POST /embeddings``: batched, retried with backoff, breaker-guarded."""

    def __init__(
        self,
        *,
        client: openai.AsyncOpenAI,
        model: str,
        dimensions: int,
        batch_size: int,
        breaker: DependencyBreaker,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._client = client
        self._ref = EmbedderRef(provider="openai", model=model, dimensions=dimensions)
        self._batch_size = batch_size
        self._breaker = breaker
        self._retry = retry or RetryPolicy()

    @classmethod
    async def open(
        cls,
        *,
        client: openai.AsyncOpenAI,
        model: str,
        dimensions: int,
        batch_size: int,
        breaker: DependencyBreaker,
    ) -> OpenAIEmbedder:
        """Build the embedder; with ``dimensions`` 0 the size is learned by one probe.

        Raises ``DependencyUnavailable`` when it must be asked and cannot be: set
        ``embedder.dimensions`` to start while the server is down.
        """
        embedder = cls(
            client=client,
            model=model,
            dimensions=dimensions,
            batch_size=batch_size,
            breaker=breaker,
        )
        if not dimensions:
            probe = await embedder._embed_checked(["dimension probe"], check=False)
            embedder._ref = EmbedderRef(provider="openai", model=model, dimensions=len(probe[0]))
            log.info("openai_embedder_dimensions", model=model, dimensions=len(probe[0]))
        return embedder

    @property
    def ref(self) -> EmbedderRef:
        """Provider ``openai``, the model and its vector size."""
        return self._ref

    async def embed_documents(
        self, texts: Sequence[str], *, priority: bool = False
    ) -> list[list[float]]:
        """One unit vector per text, `batch_size` texts a request; one lane, so no `priority`."""
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
            vectors: list[list[float]] = await retry_idempotent(
                self._breaker.call, self._embed_batch, list(batch), policy=self._retry
            )
        except openai.APIStatusError as exc:  # a 4xx: passed the breaker uncounted
            raise _rejected(self._breaker.name, self._ref.model, exc) from exc
        if len(vectors) != len(batch):
            raise DependencyUnavailable(
                self._breaker.name, f"the server returned {len(vectors)} vectors for {len(batch)}"
            )
        if check and any(len(v) != self._ref.dimensions for v in vectors):
            raise Conflict(
                f"model {self._ref.model!r} returned {len(vectors[0])}-dimension vectors; this "
                f"embedder (and its collections) use {self._ref.dimensions} (embedder.dimensions)"
            )
        return vectors

    async def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        response = await self._client.embeddings.create(
            model=self._ref.model, input=batch, encoding_format="float"
        )
        ordered = sorted(response.data, key=lambda item: item.index)
        return [_unit([float(x) for x in item.embedding]) for item in ordered]

    async def health(self) -> DependencyHealth:
        """``GET /models`` reachability and latency, with the breaker state."""
        return await _health(self._client, "embedder", self._ref.model, self._breaker)

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.close()


class OpenAIGenerator:
    """``Generator`` on ``POST /chat/completions``, whole or streamed; never retried."""

    def __init__(
        self,
        *,
        client: openai.AsyncOpenAI,
        model: str,
        breaker: DependencyBreaker,
        temperature: float = 0.1,
        top_p: float = 1.0,
        max_tokens: int = 512,
    ) -> None:
        self._client = client
        self._model = model
        self._breaker = breaker
        self._options: dict[str, Any] = {
            "temperature": temperature,
            "top_p": top_p,
            "max_tokens": max_tokens,
        }

    @property
    def name(self) -> str:
        """Always ``openai``."""
        return "openai"

    @property
    def model(self) -> str:
        """The chat model answering."""
        return self._model

    def _request(
        self, messages: Sequence[ChatMessage], stream: bool, sampling: Sampling | None
    ) -> dict[str, Any]:
        return {
            "model": self._model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": stream,
            **self._options,
            **(sampling.given() if sampling is not None else {}),
        }

    async def generate(self, request: AnswerRequest) -> str:
        """The whole answer in one response, from the prompt built on the passages."""
        messages = build_messages(request)
        try:
            response = await self._breaker.call(
                self._client.chat.completions.create,
                **self._request(messages, stream=False, sampling=request.sampling),
            )
        except openai.APIStatusError as exc:
            raise _rejected(self._breaker.name, self._model, exc) from exc
        if not response.choices:
            raise DependencyUnavailable(self._breaker.name, "the server returned no choice")
        return str(response.choices[0].message.content or "")

    async def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        """The answer piece by piece; closing this iterator closes the HTTP response.

        The breaker (and its timeout) guards the call up to the first chunk, where a dead or
        overloaded server shows; a failure after that still counts and raises
        ``DependencyUnavailable``.
        """
        try:
            chunks, first = await self._breaker.call(
                self._open_stream, build_messages(request), request.sampling
            )
        except openai.APIStatusError as exc:
            raise _rejected(self._breaker.name, self._model, exc) from exc
        try:
            text = _text(first)
            if text:
                yield text
            try:
                async for chunk in chunks:
                    text = _text(chunk)
                    if text:
                        yield text
            except Exception as exc:
                await self._fail_mid_stream(exc)
        finally:
            await chunks.close()

    async def _open_stream(
        self, messages: Sequence[ChatMessage], sampling: Sampling | None
    ) -> tuple[Any, Any]:
        chunks = await self._client.chat.completions.create(
            **self._request(messages, stream=True, sampling=sampling)
        )
        try:
            first = await chunks.__anext__()
        except StopAsyncIteration:
            await chunks.close()
            raise DependencyUnavailable(
                self._breaker.name, "the server ended the stream before any chunk"
            ) from None
        except BaseException:
            await chunks.close()
            raise
        return chunks, first

    async def _fail_mid_stream(self, exc: Exception) -> NoReturn:
        if isinstance(exc, openai.APIStatusError) and exc.status_code < 500:
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
        """``GET /models`` reachability and latency, with the breaker state."""
        return await _health(self._client, "generator", self._model, self._breaker)

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.close()


def _text(chunk: Any) -> str:
    if not chunk.choices:
        return ""
    return str(chunk.choices[0].delta.content or "")


async def _reraise(exc: Exception) -> NoReturn:
    raise exc


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm > 0 else vector
