"""One damaged collection does not take the others down (issue #18, item 4).

A collection whose shard files cannot be read is listed with ``status: "damaged"`` and the
reason, the others are listed and served, ``/ready`` names it, and the 503 a request to it
gets names the collection but no server path (the log has the path).
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SettingsFactory, app_client

SEARCH = "/api/v1/search"


async def _two_collections(make_settings: SettingsFactory) -> None:
    async with app_client(make_settings()) as http:
        for name in ("good", "bad"):
            assert (await http.post("/api/v1/collections", json={"name": name})).status_code == 201
            stored = await http.post(
                f"/api/v1/collections/{name}/documents",
                json={"documents": [{"id": "d1", "text": f"kept text of {name}"}]},
            )
            assert stored.status_code == 200, stored.text


async def test_a_damaged_collection_is_listed_as_damaged_and_the_others_serve(
    make_settings: SettingsFactory, data_dir: Path
) -> None:
    await _two_collections(make_settings)
    shard = data_dir / "vectors" / "collections" / "bad"
    (shard / "edge_config.json").write_text("{garbage")
    async with app_client(make_settings()) as http:
        listed = await http.get("/api/v1/collections")
        assert listed.status_code == 200, listed.text
        items = {item["name"]: item for item in listed.json()["items"]}
        assert items["good"]["status"] == "ok"
        assert items["good"]["stats"]["points"] == 1
        assert items["bad"]["status"] == "damaged"
        assert "edge_config.json" in items["bad"]["damage"]
        assert str(data_dir) not in listed.text

        found = await http.post(SEARCH, json={"collection": "good", "query": "kept text"})
        assert found.status_code == 200, found.text
        assert found.json()["results"]

        for refused in (
            await http.get("/api/v1/collections/bad"),
            await http.post(SEARCH, json={"collection": "bad", "query": "kept text"}),
        ):
            assert refused.status_code == 503, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert "'bad'" in refused.json()["detail"]
            assert str(data_dir) not in refused.text
            assert "/tmp" not in refused.text

        ready = await http.get("/ready")
        qdrant = next(d for d in ready.json()["dependencies"] if d["name"] == "qdrant")
        assert ready.status_code == 200  # the others serve: taking all out would lose them too
        damaged = qdrant["extra"]["damaged_collections"]
        assert list(damaged) == ["bad"]
        assert "edge_config.json" in damaged["bad"]
        assert str(data_dir) not in damaged["bad"]
        assert "damaged collections" in qdrant["detail"]


async def test_a_repaired_collection_serves_again_without_a_restart(
    make_settings: SettingsFactory, data_dir: Path
) -> None:
    await _two_collections(make_settings)
    config = data_dir / "vectors" / "collections" / "bad" / "edge_config.json"
    saved = config.read_bytes()
    config.write_text("{garbage")
    async with app_client(make_settings()) as http:
        assert (await http.get("/api/v1/collections/bad")).status_code == 503
        config.write_bytes(saved)  # the operator puts the file back from a backup
        again = await http.get("/api/v1/collections/bad")
        assert again.status_code == 200, again.text
        ready = await http.get("/ready")
        qdrant = next(d for d in ready.json()["dependencies"] if d["name"] == "qdrant")
        assert qdrant["extra"]["damaged_collections"] == {}
