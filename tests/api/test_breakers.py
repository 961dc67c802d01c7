"""Breaker state over HTTP: /ready, the admin API, and one log line per transition."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ragmono.errors import DependencyUnavailable
from ragmono.lifespan import Adapters, open_adapters
from ragmono.settings import Settings
from tests.conftest import SettingsFactory, app_client
from tests.support.ollama_server import CHAT_MODEL, EMBED_MODEL, OllamaDouble


@pytest.fixture
def ollama_settings(make_settings: SettingsFactory, ollama_server: OllamaDouble) -> Settings:
    return make_settings(
        ollama__url=ollama_server.url,
        embedder__provider="ollama",
        embedder__model=EMBED_MODEL,
        generator__provider="ollama",
        generator__model=CHAT_MODEL,
        breakers__fail_max="2",
        breakers__ollama_embed__reset_timeout_s="600",
    )


@pytest.fixture
async def adapters(ollama_settings: Settings) -> AsyncIterator[Adapters]:
    async with open_adapters(ollama_settings) as opened:
        yield opened


async def trip_embedder(adapters: Adapters) -> None:
    for _ in range(2):
        with pytest.raises(DependencyUnavailable):
            await adapters.embedder.embed_query("anything")


async def test_ready_lists_each_breaker_and_its_state(
    ollama_settings: Settings, adapters: Adapters, ollama_server: OllamaDouble
) -> None:
    ollama_server.stop()
    await trip_embedder(adapters)
    async with app_client(ollama_settings, adapters) as http:
        response = await http.get("/ready")
    assert response.status_code == 200, "the app degrades without Ollama: still ready"
    body = response.json()
    breakers = {b["name"]: b for b in body["breakers"]}
    assert set(breakers) == {"ollama_embed", "ollama_generate"}
    embed = breakers["ollama_embed"]
    assert (embed["state"], embed["failures"]) == ("open", 2)
    assert embed["opened_at"] > 1_700_000_000
    assert 590 < embed["retry_after_s"] <= 600
    assert breakers["ollama_generate"] == {
        "name": "ollama_generate",
        "state": "closed",
        "failures": 0,
        "opened_at": None,
        "retry_after_s": None,
    }
    deps = {d["name"]: d for d in body["dependencies"]}
    assert deps["embedder"]["reachable"] is False
    assert deps["embedder"]["extra"]["breaker"] == "open"
    assert deps["generator"]["mode"] == "ollama"


async def test_admin_lists_and_resets_a_breaker(
    ollama_settings: Settings, adapters: Adapters, ollama_server: OllamaDouble
) -> None:
    ollama_server.stop()
    await trip_embedder(adapters)
    ollama_server.start()
    with pytest.raises(DependencyUnavailable):
        await adapters.embedder.embed_query("still open")
    assert ollama_server.total_calls == 0

    async with app_client(ollama_settings, adapters) as http:
        listed = (await http.get("/api/v1/admin/breakers")).json()["items"]
        assert [(b["name"], b["state"]) for b in listed] == [
            ("ollama_embed", "open"),
            ("ollama_generate", "closed"),
        ]
        reset = await http.post("/api/v1/admin/breakers/ollama_embed/reset")
        assert reset.status_code == 200
        assert reset.json()["state"] == "closed"
        assert reset.json()["failures"] == 0

    assert len(await adapters.embedder.embed_query("works again")) == 384
    assert ollama_server.calls["/api/embed"] == 1


async def test_resetting_an_unknown_breaker_is_404(
    ollama_settings: Settings, adapters: Adapters
) -> None:
    async with app_client(ollama_settings, adapters) as http:
        response = await http.post("/api/v1/admin/breakers/nope/reset")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "nope" in response.json()["detail"]


async def test_each_transition_is_logged_once(
    adapters: Adapters, ollama_server: OllamaDouble, capsys: Any
) -> None:
    capsys.readouterr()
    ollama_server.stop()
    await trip_embedder(adapters)
    for _ in range(5):  # fast failures while open: no further transition
        with pytest.raises(DependencyUnavailable):
            await adapters.embedder.embed_query("x")
    adapters.breakers.reset("ollama_embed")
    adapters.breakers.reset("ollama_embed")
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    changes = [
        (e["breaker"], e["old"], e["new"], e["level"])
        for e in events
        if e["event"] == "breaker_state_changed"
    ]
    assert changes == [
        ("ollama_embed", "closed", "open", "warning"),
        ("ollama_embed", "open", "closed", "info"),
    ]


async def test_listener_sees_transitions_for_metrics(
    adapters: Adapters, ollama_server: OllamaDouble
) -> None:
    seen: list[tuple[str, str, str]] = []
    adapters.breakers.add_listener(lambda name, old, new: seen.append((name, old, new)))
    ollama_server.stop()
    await trip_embedder(adapters)
    assert seen == [("ollama_embed", "closed", "open")]


async def test_node_breaker_names_with_colons_can_be_reset(
    ollama_settings: Settings, adapters: Adapters
) -> None:
    node = adapters.breakers.get("qdrant:10.0.0.7:6333")

    async def refused() -> None:
        raise ConnectionRefusedError("refused")

    for _ in range(2):
        with pytest.raises(DependencyUnavailable):
            await node.call(refused)
    assert node.snapshot().state == "open"
    async with app_client(ollama_settings, adapters) as http:
        response = await http.post("/api/v1/admin/breakers/qdrant:10.0.0.7:6333/reset")
    assert response.status_code == 200
    assert node.snapshot().state == "closed"
