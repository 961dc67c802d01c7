"""Fault injection over real HTTP: the Ollama double fails, slows, drops and refuses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ragmono.adapters.ollama import OllamaEmbedder, OllamaGenerator, is_ollama_failure
from ragmono.errors import Conflict, DependencyUnavailable
from ragmono.ports import ChatMessage
from ragmono.resilience import BreakerConfig, BreakerRegistry, RetryPolicy
from tests.support.clock import ManualClock
from tests.support.ollama_server import CHAT_MODEL, EMBED_MODEL, OllamaDouble

PROMPT = [ChatMessage(role="user", content="[1] Water boils at 100 degrees.\n\nWhen?")]
FAST_RETRY = RetryPolicy(attempts=3, base_delay_s=0.001, max_delay_s=0.002)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def registry(clock: ManualClock) -> BreakerRegistry:
    return BreakerRegistry(BreakerConfig(fail_max=3, reset_timeout_s=30), clock=clock)


@pytest.fixture
async def embedder(
    ollama_server: OllamaDouble, registry: BreakerRegistry
) -> AsyncIterator[OllamaEmbedder]:
    emb = OllamaEmbedder(
        url=ollama_server.url,
        model=EMBED_MODEL,
        dimensions=384,
        batch_size=16,
        timeout_s=5,
        breaker=registry.get("ollama_embed", is_failure=is_ollama_failure),
        retry=FAST_RETRY,
    )
    yield emb
    await emb.close()


@pytest.fixture
async def generator(
    ollama_server: OllamaDouble, registry: BreakerRegistry
) -> AsyncIterator[OllamaGenerator]:
    gen = OllamaGenerator(
        url=ollama_server.url,
        model=CHAT_MODEL,
        timeout_s=5,
        breaker=registry.get("ollama_generate", is_failure=is_ollama_failure),
    )
    yield gen
    await gen.close()


async def test_5xx_opens_the_breaker_after_fail_max_then_fails_fast(
    ollama_server: OllamaDouble, generator: OllamaGenerator, registry: BreakerRegistry
) -> None:
    ollama_server.error_status = 500
    for _ in range(3):
        with pytest.raises(DependencyUnavailable, match="injected failure"):
            await generator.generate(PROMPT)
    snap = registry.get("ollama_generate").snapshot()
    assert (snap.state, snap.failures, snap.retry_after_s) == ("open", 3, 30.0)
    assert ollama_server.calls["/api/chat"] == 3, "generation is never retried"

    ollama_server.error_status = None
    for _ in range(5):
        with pytest.raises(DependencyUnavailable) as info:
            await generator.generate(PROMPT)
        assert info.value.retry_after_s == 30.0
    with pytest.raises(DependencyUnavailable):
        await anext(generator.stream(PROMPT))
    assert ollama_server.total_calls == 3, "no request may reach Ollama while open"


async def test_half_open_sends_exactly_one_trial_then_recovers(
    ollama_server: OllamaDouble,
    generator: OllamaGenerator,
    registry: BreakerRegistry,
    clock: ManualClock,
) -> None:
    ollama_server.stop()
    for _ in range(3):
        with pytest.raises(DependencyUnavailable):
            await generator.generate(PROMPT)
    assert registry.get("ollama_generate").snapshot().state == "open"
    ollama_server.start()
    ollama_server.latency_s = 0.2
    clock.advance(30)

    results = await asyncio.gather(
        *(generator.generate(PROMPT) for _ in range(10)), return_exceptions=True
    )
    assert ollama_server.calls["/api/chat"] == 1, "exactly one trial call in half-open"
    assert results.count("Water boils at 100 degrees. [1]") == 1
    assert sum(isinstance(r, DependencyUnavailable) for r in results) == 9
    assert registry.get("ollama_generate").snapshot().state == "closed"
    assert await generator.generate(PROMPT) == "Water boils at 100 degrees. [1]"


async def test_embedding_retries_a_transient_5xx(
    ollama_server: OllamaDouble, embedder: OllamaEmbedder, registry: BreakerRegistry
) -> None:
    ollama_server.error_status, ollama_server.error_count = 500, 2
    vector = await embedder.embed_query("boiling point")
    assert len(vector) == 384
    assert ollama_server.calls["/api/embed"] == 3
    assert registry.get("ollama_embed").snapshot().failures == 0


async def test_refused_embedding_opens_the_breaker_within_one_call(
    ollama_server: OllamaDouble, embedder: OllamaEmbedder, registry: BreakerRegistry
) -> None:
    ollama_server.stop()
    with pytest.raises(DependencyUnavailable):
        await embedder.embed_query("boiling point")
    assert registry.get("ollama_embed").snapshot().state == "open"
    ollama_server.start()
    with pytest.raises(DependencyUnavailable):
        await embedder.embed_documents(["a", "b"])
    assert ollama_server.total_calls == 0


async def test_slow_ollama_times_out_and_counts_as_failure(
    ollama_server: OllamaDouble, registry: BreakerRegistry
) -> None:
    ollama_server.latency_s = 1.0
    gen = OllamaGenerator(
        url=ollama_server.url,
        model=CHAT_MODEL,
        timeout_s=0.1,
        breaker=registry.get("ollama_generate", is_failure=is_ollama_failure),
    )
    try:
        with pytest.raises(DependencyUnavailable):
            await gen.generate(PROMPT)
        with pytest.raises(DependencyUnavailable):
            await anext(gen.stream(PROMPT))
    finally:
        await gen.close()
    assert registry.get("ollama_generate").snapshot().failures == 2


async def test_breaker_timeout_bounds_the_call(
    ollama_server: OllamaDouble, registry: BreakerRegistry
) -> None:
    ollama_server.latency_s = 1.0
    breaker = registry.get("ollama_generate", is_failure=is_ollama_failure, default_timeout_s=0.1)
    gen = OllamaGenerator(url=ollama_server.url, model=CHAT_MODEL, timeout_s=30, breaker=breaker)
    try:
        with pytest.raises(DependencyUnavailable, match="timed out"):
            await gen.generate(PROMPT)
    finally:
        await gen.close()
    assert breaker.snapshot().failures == 1


async def test_dropped_connection_mid_stream_is_dependency_unavailable(
    ollama_server: OllamaDouble, generator: OllamaGenerator, registry: BreakerRegistry
) -> None:
    ollama_server.drop_mid_response = True
    received: list[str] = []

    async def consume() -> None:
        async for piece in generator.stream(PROMPT):
            received.append(piece)

    with pytest.raises(DependencyUnavailable):
        await consume()
    assert received == ["Water", " boils"]
    assert registry.get("ollama_generate").snapshot().failures == 1


async def test_dropped_connection_mid_body_is_dependency_unavailable(
    ollama_server: OllamaDouble, generator: OllamaGenerator, embedder: OllamaEmbedder
) -> None:
    ollama_server.drop_mid_response = True
    with pytest.raises(DependencyUnavailable):
        await generator.generate(PROMPT)
    with pytest.raises(DependencyUnavailable):
        await embedder.embed_query("boiling")


async def test_health_reports_unreachable_when_ollama_is_down(
    ollama_server: OllamaDouble, embedder: OllamaEmbedder
) -> None:
    ollama_server.stop()
    health = await embedder.health()
    assert not health.reachable
    assert "ConnectError" in health.detail


async def test_vectors_of_the_wrong_size_are_refused(
    ollama_server: OllamaDouble, registry: BreakerRegistry
) -> None:
    emb = OllamaEmbedder(
        url=ollama_server.url,
        model=EMBED_MODEL,
        dimensions=128,
        batch_size=8,
        timeout_s=5,
        breaker=registry.get("ollama_embed", is_failure=is_ollama_failure),
    )
    try:
        with pytest.raises(Conflict, match=r"384-dimension vectors.*use 128"):
            await emb.embed_documents(["a text"])
    finally:
        await emb.close()
    assert registry.get("ollama_embed").snapshot().failures == 0


async def test_unknown_model_size_is_asked_once_at_open(
    ollama_server: OllamaDouble, registry: BreakerRegistry
) -> None:
    ollama_server.models["house-embedder:v2"] = "embed"
    ollama_server.embed_dims = 96
    emb = await OllamaEmbedder.open(
        url=ollama_server.url,
        model="house-embedder:v2",
        dimensions=0,
        batch_size=8,
        timeout_s=5,
        breaker=registry.get("ollama_embed", is_failure=is_ollama_failure),
    )
    try:
        assert emb.ref.dimensions == 96
        assert ollama_server.calls["/api/embed"] == 1
        assert len(await emb.embed_query("hello")) == 96
    finally:
        await emb.close()
