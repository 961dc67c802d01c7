"""The OpenAI-compatible adapters over real HTTP: the contract (the double, and a real server
when ``RAGMONO_TEST_OPENAI_URL`` is set), then faults the double injects: dead, slow, 5xx,
a stream dropped midway, an unknown model."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator

import pytest

from ragmono.adapters.openai_upstream import (
    OpenAIEmbedder,
    OpenAIGenerator,
    is_openai_failure,
    open_client,
)
from ragmono.errors import DependencyUnavailable
from ragmono.ports import AnswerRequest, Passage
from ragmono.resilience import BreakerConfig, BreakerRegistry, RetryPolicy
from tests.conftest import OpenAITarget
from tests.support.clock import ManualClock
from tests.support.openai_server import CHAT_MODEL, EMBED_MODEL, OpenAIDouble

PROMPT = AnswerRequest(
    question="When does water boil?",
    passages=[Passage(n=1, id="a", text="Water boils at 100 degrees.", source="water.md")],
)
FAST_RETRY = RetryPolicy(attempts=3, base_delay_s=0.001, max_delay_s=0.002)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def registry(clock: ManualClock) -> BreakerRegistry:
    return BreakerRegistry(BreakerConfig(fail_max=3, reset_timeout_s=30), clock=clock)


def make_generator(
    base_url: str, registry: BreakerRegistry, *, timeout_s: float = 5, model: str = CHAT_MODEL
) -> OpenAIGenerator:
    return OpenAIGenerator(
        client=open_client(base_url, "", timeout_s),
        model=model,
        breaker=registry.get("openai_generate", is_failure=is_openai_failure),
        max_tokens=64,
    )


@pytest.fixture
async def generator(
    openai_server: OpenAIDouble, registry: BreakerRegistry
) -> AsyncIterator[OpenAIGenerator]:
    gen = make_generator(openai_server.base_url, registry)
    yield gen
    await gen.close()


@pytest.fixture
async def embedder(
    openai_server: OpenAIDouble, registry: BreakerRegistry
) -> AsyncIterator[OpenAIEmbedder]:
    emb = OpenAIEmbedder(
        client=open_client(openai_server.base_url, "", 5),
        model=EMBED_MODEL,
        dimensions=384,
        batch_size=2,
        breaker=registry.get("openai_embed", is_failure=is_openai_failure),
        retry=FAST_RETRY,
    )
    yield emb
    await emb.close()


# -- contract: the double, or a real OpenAI-compatible server ----------------------------------


async def test_embeddings_are_unit_vectors_of_the_learned_size(
    openai_target: OpenAITarget, registry: BreakerRegistry
) -> None:
    emb = await OpenAIEmbedder.open(
        client=open_client(openai_target.base_url, openai_target.api_key, 30),
        model=openai_target.embed_model,
        dimensions=0,
        batch_size=2,
        breaker=registry.get("openai_embed", is_failure=is_openai_failure),
    )
    try:
        vectors = await emb.embed_documents(["boiling water", "frozen lake", "steam"])
        assert len(vectors) == 3
        assert {len(v) for v in vectors} == {emb.ref.dimensions}
        assert all(math.isclose(math.fsum(x * x for x in v), 1.0, abs_tol=1e-4) for v in vectors)
        assert await emb.embed_query("steam") == pytest.approx(vectors[2], abs=1e-4)
        assert (await emb.health()).reachable
    finally:
        await emb.close()


async def test_a_whole_answer_and_a_streamed_one(
    openai_target: OpenAITarget, registry: BreakerRegistry
) -> None:
    gen = OpenAIGenerator(
        client=open_client(openai_target.base_url, openai_target.api_key, 60),
        model=openai_target.chat_model,
        breaker=registry.get("openai_generate", is_failure=is_openai_failure),
        temperature=0,
        max_tokens=64,
    )
    try:
        whole = await gen.generate(PROMPT)
        pieces = [p async for p in gen.stream(PROMPT)]
        assert "100" in whole
        assert len(pieces) > 1
        assert "100" in "".join(pieces)
        if openai_target.double is not None:
            assert whole == "".join(pieces) == "Water boils at 100 degrees. [1]"
            assert openai_target.double.last_request["max_tokens"] == 64
    finally:
        await gen.close()


# -- faults --------------------------------------------------------------------------------


async def test_5xx_opens_the_breaker_after_fail_max_then_fails_fast(
    openai_server: OpenAIDouble, generator: OpenAIGenerator, registry: BreakerRegistry
) -> None:
    openai_server.error_status = 500
    for _ in range(3):
        with pytest.raises(DependencyUnavailable):
            await generator.generate(PROMPT)
    snap = registry.get("openai_generate").snapshot()
    assert (snap.state, snap.failures) == ("open", 3)
    assert openai_server.calls["/v1/chat/completions"] == 3, "never retried (SDK retries off)"
    openai_server.error_status = None
    with pytest.raises(DependencyUnavailable):
        await anext(generator.stream(PROMPT))
    assert openai_server.total_calls == 3, "no request may reach the server while open"


async def test_half_open_sends_one_trial_then_recovers(
    openai_server: OpenAIDouble,
    generator: OpenAIGenerator,
    registry: BreakerRegistry,
    clock: ManualClock,
) -> None:
    openai_server.stop()
    for _ in range(3):
        with pytest.raises(DependencyUnavailable):
            await generator.generate(PROMPT)
    assert registry.get("openai_generate").snapshot().state == "open"
    openai_server.start()
    openai_server.latency_s = 0.2
    clock.advance(30)
    results = await asyncio.gather(
        *(generator.generate(PROMPT) for _ in range(5)), return_exceptions=True
    )
    assert openai_server.calls["/v1/chat/completions"] == 1
    assert results.count("Water boils at 100 degrees. [1]") == 1
    assert registry.get("openai_generate").snapshot().state == "closed"


async def test_embedding_retries_a_transient_5xx(
    openai_server: OpenAIDouble, embedder: OpenAIEmbedder, registry: BreakerRegistry
) -> None:
    openai_server.error_status, openai_server.error_count = 500, 2
    assert len(await embedder.embed_query("boiling point")) == 384
    assert openai_server.calls["/v1/embeddings"] == 3
    assert registry.get("openai_embed").snapshot().failures == 0


async def test_a_dead_server_is_unavailable_and_unhealthy(
    openai_server: OpenAIDouble, embedder: OpenAIEmbedder
) -> None:
    openai_server.stop()
    with pytest.raises(DependencyUnavailable):
        await embedder.embed_documents(["a", "b", "c"])
    health = await embedder.health()
    assert not health.reachable
    assert "Connection" in health.detail


async def test_a_slow_server_times_out_and_counts(
    openai_server: OpenAIDouble, registry: BreakerRegistry
) -> None:
    openai_server.latency_s = 1.0
    gen = make_generator(openai_server.base_url, registry, timeout_s=0.1)
    try:
        with pytest.raises(DependencyUnavailable):
            await gen.generate(PROMPT)
        with pytest.raises(DependencyUnavailable):
            await anext(gen.stream(PROMPT))
    finally:
        await gen.close()
    assert registry.get("openai_generate").snapshot().failures == 2


async def test_a_stream_dropped_midway_is_unavailable_after_what_arrived(
    openai_server: OpenAIDouble, generator: OpenAIGenerator, registry: BreakerRegistry
) -> None:
    openai_server.drop_mid_response = True
    received: list[str] = []

    async def consume() -> None:
        async for piece in generator.stream(PROMPT):
            received.append(piece)

    with pytest.raises(DependencyUnavailable):
        await consume()
    assert received == ["Water", " boils"]
    assert registry.get("openai_generate").snapshot().failures == 1


async def test_an_unknown_model_is_unavailable_without_counting(
    openai_server: OpenAIDouble, registry: BreakerRegistry
) -> None:
    gen = make_generator(openai_server.base_url, registry, model="no-such-model")
    try:
        for _ in range(4):
            with pytest.raises(DependencyUnavailable, match=r"HTTP 404.*check the model name"):
                await gen.generate(PROMPT)
    finally:
        await gen.close()
    assert registry.get("openai_generate").snapshot().state == "closed"
