"""The app configured with ``provider = "openai"`` for its embedder and generator, on the
OpenAI double: answers, then the double dead, slow, failing and dropping its stream. Every
answer stays a 200 (degraded, extractive, keyword search), on /api/v1/query and on /v1."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from ragmono.app import create_app
from ragmono.settings import Settings
from tests.support.asgi import asgi_client
from tests.support.corpus import HANDBOOK, documents_body
from tests.support.openai_server import CHAT_MODEL, EMBED_MODEL, OpenAIDouble

FRIDGE = {"collection": "handbook", "query": "When is the fridge emptied?", "top_k": 3}
CHAT = {
    "model": "rag/handbook",
    "messages": [{"role": "user", "content": "When is the fridge emptied?"}],
    "top_k": 3,
}


@pytest.fixture
async def api(
    make_settings: Callable[..., Settings], openai_server: OpenAIDouble
) -> AsyncIterator[Any]:
    """The app wired from settings to the double, with the handbook ingested through it."""
    settings = make_settings(
        EMBEDDER__PROVIDER="openai",
        EMBEDDER__MODEL=EMBED_MODEL,
        EMBEDDER__DIMENSIONS="384",
        GENERATOR__PROVIDER="openai",
        GENERATOR__MODEL=CHAT_MODEL,
        OPENAI__BASE_URL=openai_server.base_url,
        OPENAI__TIMEOUT_S="2",
        CACHE__TTL_S="0",  # every question reaches the generator
    )
    async with asgi_client(create_app(settings)) as http:
        assert (await http.post("/api/v1/collections", json={"name": "handbook"})).is_success
        ingested = await http.post(
            "/api/v1/collections/handbook/documents", json=documents_body(HANDBOOK)
        )
        assert ingested.status_code == 200, ingested.text
        yield http


def sse_data(text: str) -> list[str]:
    return [line[6:] for line in text.splitlines() if line.startswith("data: ")]


async def answers(api: Any) -> list[dict[str, Any]]:
    """The same question four ways: query whole and streamed, chat whole and streamed."""
    whole = await api.post("/api/v1/query", json=FRIDGE)
    streamed = await api.post("/api/v1/query", json={**FRIDGE, "stream": True})
    chat = await api.post("/v1/chat/completions", json=CHAT)
    chunks = await api.post("/v1/chat/completions", json={**CHAT, "stream": True})
    for response in (whole, streamed, chat, chunks):
        assert response.status_code == 200, response.text
    done = json.loads(sse_data(streamed.text)[-1])
    events = sse_data(chunks.text)
    assert events[-1] == "[DONE]"
    last = json.loads(events[-2])
    text = "".join(json.loads(e)["choices"][0]["delta"].get("content", "") for e in events[:-1])
    return [
        {**whole.json(), "text": whole.json()["answer"]},
        {**done, "text": "".join(json.loads(d).get("text", "") for d in sse_data(streamed.text))},
        {**chat.json()["ragmono"], "text": chat.json()["choices"][0]["message"]["content"]},
        {**last["ragmono"], "text": text},
    ]


async def test_the_upstream_answers_with_citations(api: Any, openai_server: OpenAIDouble) -> None:
    for answer in await answers(api):
        assert answer["degraded"] is False
        assert answer["generator"] == "openai"
        assert answer["text"] == "Kitchen rules. [1]"
    assert openai_server.calls["/v1/chat/completions"] == 4


@pytest.mark.parametrize("fault", ["dead", "slow", "500", "dropped_stream"])
async def test_a_failing_upstream_gives_degraded_answers_never_5xx(
    api: Any, openai_server: OpenAIDouble, fault: str
) -> None:
    if fault == "dead":
        openai_server.stop()
    elif fault == "slow":
        openai_server.latency_s = 3.0  # over the 2 s timeout
    elif fault == "500":
        openai_server.error_status = 500
    else:
        openai_server.drop_mid_response = True
    for answer in await answers(api):
        assert answer["degraded"] is True
        assert "generator_unavailable" in answer["degraded_reason"]
        assert answer["generator"] == "extractive"
        assert "Thursdays" in answer["text"]
    if fault in ("dead", "slow", "500"):  # the embedder is down too: keyword search
        assert "embedder_unavailable" in answer["degraded_reason"]
        assert answer["mode"] == "keyword"


async def test_a_chats_sampling_reaches_the_upstream_model(
    api: Any, openai_server: OpenAIDouble
) -> None:
    """temperature, top_p and max_tokens from /v1 go to the model, whole and streamed; a
    chat that sets none gets the configured values."""
    sampling = {"temperature": 0.7, "top_p": 0.5, "max_tokens": 64}
    for stream in (False, True):
        reply = await api.post("/v1/chat/completions", json={**CHAT, **sampling, "stream": stream})
        assert reply.status_code == 200, reply.text
        sent = openai_server.last_request
        assert {k: sent[k] for k in sampling} == sampling
    reply = await api.post("/v1/chat/completions", json=CHAT)
    assert reply.status_code == 200, reply.text
    sent = openai_server.last_request
    assert (sent["temperature"], sent["top_p"], sent["max_tokens"]) == (0.1, 1.0, 512)
