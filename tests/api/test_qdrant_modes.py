"""The app in server and cluster vector-store modes, built from settings like a deployment."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import SettingsFactory, app_client
from tests.support.qdrant_twin import QdrantTwin, TwinBackend, closed_port_url
from tests.support.waiting import eventually

pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect:UserWarning")


@pytest.fixture
def twins() -> Iterator[list[QdrantTwin]]:
    backend = TwinBackend()
    made = [QdrantTwin(backend), QdrantTwin(backend)]
    yield made
    for twin in made:
        twin.close()


async def test_cluster_mode_serves_collections_and_shows_every_node(
    make_settings: SettingsFactory, twins: list[QdrantTwin]
) -> None:
    dead = closed_port_url()
    settings = make_settings(
        vector_store__mode="cluster",
        vector_store__urls=json.dumps([twins[0].url, twins[1].url, dead]),
        vector_store__health_interval_s="0.1",
        vector_store__timeout_s="1",
    )
    async with app_client(settings) as http:
        created = await http.post("/api/v1/collections", json={"name": "docs"})
        assert created.status_code == 201, created.text
        listed = await http.get("/api/v1/collections")
        assert [c["name"] for c in listed.json()["items"]] == ["docs"]
        physical = listed.json()["items"][0]["storage"]  # behind the alias "docs"
        assert twins[0].backend.created[physical]["shard_number"] == 6

        ready = await http.get("/ready")
        assert ready.status_code == 200
        qdrant = next(d for d in ready.json()["dependencies"] if d["name"] == "qdrant")
        assert qdrant["mode"] == "cluster"
        shown = {n["url"]: n for n in qdrant["extra"]["nodes"]}
        assert shown[twins[0].url]["up"] is True
        assert shown[twins[0].url]["latency_ms"] is not None
        assert shown[dead]["up"] is False
        breakers = {b["name"] for b in ready.json()["breakers"]}
        dead_node, live_node = dead.split("//")[1], twins[0].url.split("//")[1]
        assert {f"qdrant:{dead_node}", f"qdrant:{live_node}"} <= breakers

        metrics = (await http.get("/metrics")).text
        assert f'ragmono_qdrant_node_up{{node="{dead_node}"}} 0.0' in metrics
        assert f'ragmono_qdrant_node_up{{node="{live_node}"}} 1.0' in metrics
        timed = f'dependency="qdrant:{live_node}",le="+Inf",operation="create_collection"'
        assert timed in metrics

        for twin in twins:
            twin.set_mode("unavailable")

        async def not_ready() -> bool:
            return (await http.get("/ready")).status_code == 503

        assert await eventually(not_ready)
        down = await http.get("/api/v1/collections")
        assert down.status_code == 503
        assert down.headers["content-type"].startswith("application/problem+json")


async def test_server_mode_reports_an_old_qdrant_on_ready(
    make_settings: SettingsFactory, twins: list[QdrantTwin], capsys: Any
) -> None:
    twins[0].version = "1.12.0"
    settings = make_settings(vector_store__mode="server", vector_store__url=twins[0].url)
    async with app_client(settings) as http:
        ready = await http.get("/ready")
        assert ready.status_code == 503
        qdrant = next(d for d in ready.json()["dependencies"] if d["name"] == "qdrant")
        assert qdrant["mode"] == "server"
        assert "older than 1.16.0" in qdrant["detail"]
        listed = await http.get("/api/v1/collections")
        assert listed.status_code == 503
        assert "1.12.0" in listed.json()["detail"]
    assert '"event": "qdrant_version_incompatible"' in capsys.readouterr().err


async def test_documents_ingest_list_and_delete_in_cluster_mode(
    make_settings: SettingsFactory, twins: list[QdrantTwin]
) -> None:
    settings = make_settings(
        vector_store__mode="cluster",
        vector_store__urls=json.dumps([t.url for t in twins]),
        vector_store__health_interval_s="0.1",
    )
    docs = "/api/v1/collections/docs/documents"
    texts = {
        "lighthouse": "The lighthouse keeper climbed the spiral stairs to light the lamp.",
        "revenue": "Quarterly revenue grew because cloud subscriptions sold well.",
    }
    body = {"documents": [{"id": k, "text": v, "source": f"{k}.txt"} for k, v in texts.items()]}
    async with app_client(settings) as http:
        assert (await http.post("/api/v1/collections", json={"name": "docs"})).status_code == 201
        first = await http.post(docs, json=body)
        assert [r["status"] for r in first.json()["results"]] == ["created", "created"]
        again = await http.post(docs, json=body)
        assert [r["status"] for r in again.json()["results"]] == ["unchanged", "unchanged"]
        listed = (await http.get(docs)).json()["items"]
        assert sorted(d["id"] for d in listed) == ["lighthouse", "revenue"]
        stats = (await http.get("/api/v1/collections/docs")).json()["stats"]
        assert stats["points"] == 2
        assert (await http.delete(f"{docs}/revenue")).status_code == 204
        assert [d["id"] for d in (await http.get(docs)).json()["items"]] == ["lighthouse"]
    assert all(t.data_calls() > 0 for t in twins)  # both nodes served the app
