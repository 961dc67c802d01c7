"""/api/v1/query answered by Ollama (the double, or a real one): answers, outages, hang-ups."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator

import pytest

from ragmono.adapters.bm25 import Bm25Encoder
from ragmono.adapters.ollama import OllamaGenerator, is_ollama_failure
from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from ragmono.app import create_app
from ragmono.lifespan import Adapters
from ragmono.resilience import BreakerConfig, BreakerRegistry
from ragmono.settings import Settings
from tests.conftest import OllamaTarget
from tests.support.asgi import AsgiLifespan, asgi_client, post_then_hang_up
from tests.support.embedders import MemoEmbedder
from tests.support.ollama_server import OllamaDouble

QUERY = "/api/v1/query"
FRIDGE = {"collection": "handbook", "query": "When is the fridge emptied?", "top_k": 3}


@pytest.fixture
async def ollama_adapters(
    handbook_store: EmbeddedVectorStore, cached_embedder: MemoEmbedder, ollama_target: OllamaTarget
) -> AsyncIterator[Adapters]:
    """The handbook with an Ollama generator behind its ``ollama_generate`` breaker."""
    breakers = BreakerRegistry(BreakerConfig(fail_max=2, reset_timeout_s=60))
    generator = OllamaGenerator(
        url=ollama_target.url,
        model=ollama_target.chat_model,
        timeout_s=10,
        breaker=breakers.get("ollama_generate", is_failure=is_ollama_failure),
    )
    yield Adapters(
        vector_store=handbook_store,
        embedder=cached_embedder,
        sparse_encoder=Bm25Encoder(),
        generator=generator,
        breakers=breakers,
    )
    await generator.close()


async def test_ollama_answers_with_citations_to_given_passages(
    settings: Settings, ollama_adapters: Adapters, ollama_target: OllamaTarget
) -> None:
    async with asgi_client(create_app(settings, adapters=ollama_adapters)) as api:
        response = await api.post(QUERY, json=FRIDGE)
    body = response.json()
    assert response.status_code == 200
    assert (body["generator"], body["model"]) == ("ollama", ollama_target.chat_model)
    assert body["degraded"] is False
    cited = [int(n) for n in re.findall(r"\[(\d+)\]", body["answer"])]
    assert set(cited) == set(body["citations"]) <= {s["n"] for s in body["sources"]}
    if ollama_target.double is not None:  # the double quotes passage 1's first sentence
        assert body["answer"] == "Kitchen rules. [1]"
        assert body["sources"][0]["document_id"] == "kitchen"
        sent = ollama_target.double.last_request["messages"]
        assert sent[1]["content"].startswith("[1] Kitchen rules.")


async def test_ollama_down_answers_extractively_and_the_breaker_opens(
    settings: Settings, ollama_adapters: Adapters, ollama_server: OllamaDouble
) -> None:
    ollama_server.stop()
    async with asgi_client(create_app(settings, adapters=ollama_adapters)) as api:
        bodies = [
            (await api.post(QUERY, json={**FRIDGE, "query": q})).json()
            for q in ("When is the fridge emptied?", "fridge emptied when?", "fridge day?")
        ]
        ready = (await api.get("/ready")).json()
    for body in bodies:
        assert body["generator"] == "extractive"
        assert body["degraded_reason"] == "generator_unavailable"
        assert "Thursdays" in body["answer"]
    assert ollama_server.total_calls == 0
    breaker = next(b for b in ready["breakers"] if b["name"] == "ollama_generate")
    assert breaker["state"] == "open"  # fail_max=2: the third question never tried Ollama


async def test_ollama_streams_tokens_then_sources_then_done(
    settings: Settings, ollama_adapters: Adapters, ollama_server: OllamaDouble
) -> None:
    async with asgi_client(create_app(settings, adapters=ollama_adapters)) as api:
        response = await api.post(QUERY, json={**FRIDGE, "stream": True})
    blocks = [b for b in re.split(r"\r?\n\r?\n", response.text.strip()) if b]
    names = [re.search(r"event: (\w+)", b).group(1) for b in blocks]  # type: ignore[union-attr]
    assert names == ["token"] * (len(names) - 2) + ["sources", "done"]
    tokens = [json.loads(b.split("data: ", 1)[1])["text"] for b in blocks[:-2]]
    assert "".join(tokens) == "Kitchen rules. [1]"
    assert ollama_server.calls["/api/chat"] == 1


async def test_a_client_hang_up_cancels_the_ollama_stream(
    settings: Settings, ollama_adapters: Adapters, ollama_server: OllamaDouble
) -> None:
    ollama_server.token_delay_s = 0.5  # three words take over a second unless cut short
    app = create_app(settings, adapters=ollama_adapters)
    body = json.dumps({**FRIDGE, "stream": True}).encode()
    async with AsgiLifespan(app):
        streamed = await asyncio.wait_for(
            post_then_hang_up(app, QUERY, body, after=b"event: token"), timeout=2
        )
        assert await ollama_server.wait_until(lambda: ollama_server.last_stream_cancelled)
    assert b"event: token" in streamed
    assert b"event: done" not in streamed
