"""GET /api/v1/models: the configured models first, then what else is available."""

from __future__ import annotations

from typing import Any

from tests.conftest import SettingsFactory, app_client
from tests.support.ollama_server import CHAT_MODEL, EMBED_MODEL, OllamaDouble


async def test_defaults_list_the_local_embedder_and_the_extractive_answerer(client: Any) -> None:
    body = (await client.get("/api/v1/models")).json()
    assert body["embedders"] == [
        {
            "provider": "local",
            "model": "all-MiniLM-L6-v2",
            "dimensions": 384,
            "configured": True,
            "available": True,
            "detail": "",
        }
    ]
    assert [(g["provider"], g["configured"]) for g in body["generators"]] == [("extractive", True)]
    assert body["ollama"] is None


async def test_with_ollama_its_models_are_listed_with_dimensions(
    make_settings: SettingsFactory, ollama_server: OllamaDouble
) -> None:
    settings = make_settings(
        generator__provider="ollama", generator__model=CHAT_MODEL, ollama__url=ollama_server.url
    )
    async with app_client(settings) as api:
        up = (await api.get("/api/v1/models")).json()
        ollama_server.stop()
        down = (await api.get("/api/v1/models")).json()
    assert up["ollama"] == {"url": ollama_server.url, "reachable": True, "detail": ""}
    generators = [
        (g["provider"], g["model"], g["configured"], g["available"]) for g in up["generators"]
    ]
    assert generators == [("ollama", CHAT_MODEL, True, True), ("extractive", "", False, True)]
    embedders = [(e["provider"], e["model"], e["dimensions"]) for e in up["embedders"]]
    assert embedders == [("local", "all-MiniLM-L6-v2", 384), ("ollama", EMBED_MODEL, 384)]
    assert ollama_server.calls["/api/tags"] == 1
    assert down["ollama"]["reachable"] is False
    assert "cannot list models" in down["ollama"]["detail"]
    assert down["generators"][0]["available"] is False
    assert [e["provider"] for e in down["embedders"]] == ["local"]
