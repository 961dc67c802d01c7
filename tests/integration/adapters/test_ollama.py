"""The Ollama adapters' contract, over real HTTP: against the double, and a real Ollama if set."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import AsyncIterator

import pytest

from ragmono.adapters.ollama import OllamaEmbedder, OllamaGenerator, is_ollama_failure
from ragmono.errors import DependencyUnavailable
from ragmono.ports import AnswerRequest, Passage, Sampling
from ragmono.resilience import BreakerConfig, BreakerRegistry
from tests.conftest import OllamaTarget
from tests.support.ollama_server import OllamaDouble

PROMPT = AnswerRequest(
    question="How tall is the Eiffel Tower?",
    passages=[
        Passage(
            n=1,
            id="a",
            text="The Eiffel Tower is 330 metres tall. It was finished in 1889.",
            source="paris.md",
        ),
        Passage(n=2, id="b", text="Paris is the capital of France.", source="france.md"),
    ],
)


@pytest.fixture
def registry() -> BreakerRegistry:
    return BreakerRegistry(BreakerConfig(fail_max=3, reset_timeout_s=30))


@pytest.fixture
async def embedder(
    ollama_target: OllamaTarget, registry: BreakerRegistry
) -> AsyncIterator[OllamaEmbedder]:
    emb = await OllamaEmbedder.open(
        url=ollama_target.url,
        model=ollama_target.embed_model,
        dimensions=0,
        batch_size=2,
        timeout_s=60,
        breaker=registry.get("ollama_embed", is_failure=is_ollama_failure),
    )
    yield emb
    await emb.close()


@pytest.fixture
async def generator(
    ollama_target: OllamaTarget, registry: BreakerRegistry
) -> AsyncIterator[OllamaGenerator]:
    gen = OllamaGenerator(
        url=ollama_target.url,
        model=ollama_target.chat_model,
        timeout_s=120,
        breaker=registry.get("ollama_generate", is_failure=is_ollama_failure),
        temperature=0.0,
        max_tokens=64,
    )
    yield gen
    await gen.close()


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


async def test_embeddings_are_unit_vectors_of_the_model_size(
    embedder: OllamaEmbedder, ollama_target: OllamaTarget
) -> None:
    texts = ["the cat sat on the mat", "a cat sat on a mat", "quarterly tax filing deadline"]
    vectors = await embedder.embed_documents([*texts, texts[0], "x"])
    assert len(vectors) == 5
    assert embedder.ref.provider == "ollama"
    assert embedder.ref.dimensions > 0
    for vec in vectors:
        assert len(vec) == embedder.ref.dimensions
        assert math.isclose(math.sqrt(sum(x * x for x in vec)), 1.0, rel_tol=1e-4)
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2])
    assert cosine(vectors[0], vectors[3]) == pytest.approx(1.0, abs=1e-4)
    if ollama_target.double is not None:
        assert ollama_target.double.calls["/api/embed"] == 3, "batch_size=2 -> three requests"


async def test_query_embedding_matches_the_document_embedding(embedder: OllamaEmbedder) -> None:
    [doc] = await embedder.embed_documents(["how tall is the eiffel tower"])
    query = await embedder.embed_query("how tall is the eiffel tower")
    assert cosine(doc, query) == pytest.approx(1.0, abs=1e-3)


async def test_unknown_model_is_a_clear_error_not_a_breaker_failure(
    ollama_target: OllamaTarget, registry: BreakerRegistry
) -> None:
    breaker = registry.get("ollama_embed", is_failure=is_ollama_failure)
    emb = OllamaEmbedder(
        url=ollama_target.url,
        model="no-such-model-ragmono",
        dimensions=8,
        batch_size=8,
        timeout_s=30,
        breaker=breaker,
    )
    try:
        for _ in range(4):
            with pytest.raises(DependencyUnavailable, match="ollama pull no-such-model-ragmono"):
                await emb.embed_query("hello")
    finally:
        await emb.close()
    assert breaker.snapshot().state == "closed"
    assert breaker.snapshot().failures == 0
    if ollama_target.double is not None:
        assert ollama_target.double.calls["/api/embed"] == 4, "a 4xx is never retried"


async def test_generate_answers_from_the_passages(
    generator: OllamaGenerator, ollama_target: OllamaTarget
) -> None:
    answer = await generator.generate(PROMPT)
    assert answer.strip()
    assert (generator.name, generator.model) == ("ollama", ollama_target.chat_model)
    if ollama_target.double is not None:
        assert answer == "The Eiffel Tower is 330 metres tall. [1]"
        sent = ollama_target.double.last_request
        assert sent["stream"] is False
        assert sent["options"] == {"temperature": 0.0, "num_predict": 64}
        assert sent["keep_alive"] == "5m"
        system, user = sent["messages"]
        assert system["role"] == "system"
        assert "[1]" in system["content"]
        assert user["content"].startswith("[1] The Eiffel Tower is 330 metres tall.")
        assert "(from paris.md)\n\n[2] Paris is the capital of France." in user["content"]
        assert user["content"].endswith("Question: How tall is the Eiffel Tower?")


async def test_stream_yields_the_answer_in_pieces(
    generator: OllamaGenerator, ollama_target: OllamaTarget
) -> None:
    pieces = [piece async for piece in generator.stream(PROMPT)]
    assert len(pieces) > 1
    assert "".join(pieces).strip()
    if ollama_target.double is not None:
        assert "".join(pieces) == await generator.generate(PROMPT)
        assert pieces[0] == "The"


async def test_a_requests_sampling_overrides_the_configured_options(
    generator: OllamaGenerator, ollama_target: OllamaTarget
) -> None:
    """A chat's temperature, top_p and max_tokens reach Ollama (max_tokens as num_predict)."""
    asked = dataclasses.replace(PROMPT, sampling=Sampling(temperature=0.5, top_p=0.9, max_tokens=3))
    pieces = [piece async for piece in generator.stream(asked)]
    assert 1 <= len(pieces) <= 3
    if ollama_target.double is not None:
        sent = ollama_target.double.last_request
        assert sent["options"] == {"temperature": 0.5, "top_p": 0.9, "num_predict": 3}


async def test_max_tokens_bounds_the_answer(
    ollama_target: OllamaTarget, registry: BreakerRegistry
) -> None:
    gen = OllamaGenerator(
        url=ollama_target.url,
        model=ollama_target.chat_model,
        timeout_s=120,
        breaker=registry.get("ollama_generate", is_failure=is_ollama_failure),
        max_tokens=3,
    )
    try:
        pieces = [piece async for piece in gen.stream(PROMPT)]
    finally:
        await gen.close()
    assert 1 <= len(pieces) <= 3


async def test_health_reports_version_and_latency(
    embedder: OllamaEmbedder, generator: OllamaGenerator
) -> None:
    for health in (await embedder.health(), await generator.health()):
        assert health.reachable
        assert health.mode == "ollama"
        assert health.required is False
        assert health.latency_ms is not None
        assert health.extra["version"]
        assert health.extra["breaker"] == "closed"


async def test_closing_the_stream_cancels_the_http_call(
    ollama_server: OllamaDouble, registry: BreakerRegistry
) -> None:
    ollama_server.token_delay_s = 0.05
    gen = OllamaGenerator(
        url=ollama_server.url,
        model="llama3.2:1b",
        timeout_s=10,
        breaker=registry.get("ollama_generate", is_failure=is_ollama_failure),
    )
    try:
        stream = gen.stream(PROMPT)
        assert await anext(stream) == "The"
        await stream.aclose()  # type: ignore[attr-defined]
        assert await ollama_server.wait_until(lambda: ollama_server.last_stream_cancelled)
    finally:
        await gen.close()
