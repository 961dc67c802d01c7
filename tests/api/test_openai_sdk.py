"""The official ``openai`` SDK (sync and async) against a live ``ragmono serve`` on /v1."""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import openai
import pytest

from ragmono.adapters.onnx_embedder import OnnxEmbedder
from tests.support.auth import JWT_SECRET, SERVICE_TOKEN, claims, hs256
from tests.support.corpus import HANDBOOK, RETENTION, documents_body
from tests.support.live_server import LiveServer

SEARCH_ONLY = "search-only-token-0123456789abcdefghijklmn"
ENV = {
    "RAGMONO_PROFILE": "prod",
    "RAGMONO_AUTH__SERVICE_TOKENS": f"{SERVICE_TOKEN},{SEARCH_ONLY}:search",
    "RAGMONO_AUTH__JWT_SECRET": JWT_SECRET,
    "RAGMONO_AUTH__ISSUER": "https://issuer.test",
    "RAGMONO_AUTH__AUDIENCE": "ragmono",
    "RAGMONO_RATE_LIMIT__DEFAULT": "1000000/minute",
}
QUESTION = "How long does the password reset link stay valid?"
PASSWORD_TEXT = HANDBOOK[1].chunks[0]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``ragmono serve`` with collection ``handbook`` ingested over its API."""
    live = LiveServer(tmp_path_factory.mktemp("openai"), ENV).start()
    try:
        headers = {"X-Service-Token": SERVICE_TOKEN}
        created = httpx.post(
            f"{live.url}/api/v1/collections", json={"name": "handbook"}, headers=headers
        )
        assert created.status_code == 201, created.text
        ingested = httpx.post(
            f"{live.url}/api/v1/collections/handbook/documents",
            json=documents_body([*HANDBOOK, RETENTION]),
            headers=headers,
            timeout=120,
        )
        assert ingested.status_code == 200, ingested.text
        yield live
    finally:
        live.stop()


def sdk(server: LiveServer, key: str = SERVICE_TOKEN) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0)


@pytest.fixture
def client(server: LiveServer) -> Iterator[openai.OpenAI]:
    with sdk(server) as opened:
        yield opened


@pytest.fixture
async def async_client(server: LiveServer) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(
        base_url=f"{server.url}/v1", api_key=SERVICE_TOKEN, max_retries=0
    ) as opened:
        yield opened


def ask(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def cited(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\[(\d+)\]", text)]


def test_models_list_one_model_per_collection(client: openai.OpenAI) -> None:
    models = client.models.list().data
    assert [m.id for m in models] == ["rag/handbook"]
    assert models[0].owned_by == "ragmono"
    assert (models[0].model_extra or {})["generator"] == "extractive"
    assert client.models.retrieve("rag/handbook").id == "rag/handbook"


def test_a_chat_completion_cites_the_passage_that_holds_the_fact(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="rag/handbook", messages=ask(QUESTION))
    content = completion.choices[0].message.content or ""
    assert "30 minutes" in content
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "rag/handbook"
    extra = completion.model_extra or {}
    (n,) = set(cited(content))
    source = extra["sources"][n - 1]
    assert (source["n"], source["document_id"]) == (n, "password")
    assert "30 minutes" in source["text"]
    assert extra["citations"] == [n]
    assert extra["ragmono"]["degraded"] is False
    assert completion.usage is not None
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )


def test_streamed_chunks_add_up_to_the_answer_and_end_with_the_sources(
    client: openai.OpenAI,
) -> None:
    question = "How many days of paid annual leave does an employee get?"
    whole = client.chat.completions.create(model="rag/handbook", messages=ask(question))
    chunks = list(
        client.chat.completions.create(
            model="rag/handbook",
            messages=ask(question),
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert "25 days" in text
    with_choices = [c for c in chunks if c.choices]
    assert with_choices[0].choices[0].delta.role == "assistant"
    last = with_choices[-1]
    assert last.choices[0].finish_reason == "stop"
    assert (last.model_extra or {})["sources"] == (whole.model_extra or {})["sources"]
    assert (last.model_extra or {})["citations"] == cited(text)[:1]
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens > 0


async def test_the_async_client_streams_and_answers_the_same(
    async_client: openai.AsyncOpenAI,
) -> None:
    question = "When is the fridge emptied?"
    whole = await async_client.chat.completions.create(model="rag/handbook", messages=ask(question))
    stream = await async_client.chat.completions.create(
        model="rag/handbook", messages=ask(question), stream=True
    )
    pieces: list[str] = []
    finished: Any = None
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        if chunk.choices and chunk.choices[0].finish_reason:
            finished = chunk
    assert "".join(pieces) == whole.choices[0].message.content
    assert "Thursdays" in "".join(pieces)
    sources = finished.model_extra["sources"]
    assert sources[cited("".join(pieces))[0] - 1]["document_id"] == "kitchen"
    models = await async_client.models.list()
    assert [m.id async for m in models] == ["rag/handbook"]


def test_a_follow_up_is_answered_with_the_previous_question(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="rag/handbook",
        messages=[
            {"role": "user", "content": QUESTION},
            {"role": "assistant", "content": "It stays valid for 30 minutes [1]."},
            {"role": "user", "content": "And what happens after five failed sign-in attempts?"},
        ],
    )
    extra = completion.model_extra or {}
    assert extra["ragmono"]["question"].startswith(QUESTION)
    assert "locked for one hour" in (completion.choices[0].message.content or "")


def test_embeddings_equal_the_vectors_the_collection_stores(
    client: openai.OpenAI, server: LiveServer, local_embedder: OnnxEmbedder
) -> None:
    import asyncio

    floats = client.embeddings.create(
        model="rag/handbook", input=[PASSWORD_TEXT, "espresso"], encoding_format="float"
    )
    packed = client.embeddings.create(model="rag/handbook", input=PASSWORD_TEXT)  # base64
    assert [d.index for d in floats.data] == [0, 1]
    vector = floats.data[0].embedding
    assert len(vector) == 384
    assert packed.data[0].embedding == pytest.approx(vector, abs=1e-6)
    expected = asyncio.run(local_embedder.embed_documents([PASSWORD_TEXT]))[0]
    assert vector == pytest.approx(expected, abs=1e-5)
    # The stored vector: a dense search for the chunk's own text scores cos = 1 against it.
    found = httpx.post(
        f"{server.url}/api/v1/search",
        json={"query": PASSWORD_TEXT, "collection": "handbook", "mode": "dense", "top_k": 1},
        headers={"X-Service-Token": SERVICE_TOKEN},
    ).json()["results"][0]
    assert found["document_id"] == "password"
    assert math.isclose(found["score"], 1.0, abs_tol=1e-4)
    assert floats.usage.prompt_tokens > 0


def test_embeddings_refuse_other_dimensions_and_too_many_inputs(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as wrong_size:
        client.embeddings.create(model="rag/handbook", input="x", dimensions=256)
    assert wrong_size.value.body["param"] == "dimensions"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as too_many:
        client.embeddings.create(model="rag/handbook", input=["x"] * 2049)
    assert too_many.value.body["param"] == "input"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as too_long:
        client.embeddings.create(model="rag/handbook", input="word " * 9000)
    assert "tokens" in too_long.value.body["message"]  # type: ignore[index]


def test_an_unknown_model_is_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as chat:
        client.chat.completions.create(model="gpt-4o", messages=ask(QUESTION))
    assert chat.value.body["code"] == "model_not_found"  # type: ignore[index]
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="rag/nothing", messages=ask(QUESTION), stream=True)
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="text-embedding-3-small", input="x")


def test_a_missing_or_wrong_token_is_an_authentication_error(server: LiveServer) -> None:
    with sdk(server, "not-a-token") as wrong:
        with pytest.raises(openai.AuthenticationError):
            wrong.models.list()
        # The SDK refuses to start without a key; omitting its header sends none at all.
        with pytest.raises(openai.AuthenticationError) as refused:
            wrong.chat.completions.create(
                model="rag/handbook",
                messages=ask(QUESTION),
                extra_headers={"Authorization": openai.omit},
            )
    assert "credentials required" in refused.value.body["message"]  # type: ignore[index]
    bare = httpx.post(f"{server.url}/v1/chat/completions", json={"model": "rag/handbook"})
    assert bare.status_code == 401
    assert bare.json()["error"]["type"] == "authentication_error"


def test_scopes_apply_as_on_the_api(server: LiveServer) -> None:
    with sdk(server, SEARCH_ONLY) as search_only:
        with pytest.raises(openai.PermissionDeniedError):
            search_only.chat.completions.create(model="rag/handbook", messages=ask(QUESTION))
        assert search_only.embeddings.create(model="rag/handbook", input="x").data
    with sdk(server, hs256(claims(["query"]))) as querying:
        answer = querying.chat.completions.create(model="rag/handbook", messages=ask(QUESTION))
    assert "30 minutes" in (answer.choices[0].message.content or "")


def test_bad_requests_are_400_naming_the_param(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as no_question:
        client.chat.completions.create(
            model="rag/handbook", messages=[{"role": "assistant", "content": "hello"}]
        )
    assert no_question.value.body["param"] == "messages"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as hot:
        client.chat.completions.create(
            model="rag/handbook", messages=ask(QUESTION), temperature=3.5
        )
    assert hot.value.body["param"] == "temperature"  # type: ignore[index]
