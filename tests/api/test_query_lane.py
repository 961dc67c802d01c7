"""Query lane on or off (``embedder.query_lane``): the same searches rank the same chunks.

The lane only moves where a query is embedded (its own ONNX session and thread); two real
apps on the same corpus, one per setting, must answer every query with the same chunks in the
same order and the same scores (up to float rounding of a one-thread session). Dense mode: it
is the part the lane touches. (Hybrid also fuses keyword ranks, whose ties on this corpus come
out in a different order from one ingest to the next, with or without the lane.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ragmono.app import create_app
from tests.conftest import SettingsFactory
from tests.support.asgi import asgi_client
from tests.support.corpus import HANDBOOK, RETENTION, documents_body

QUERIES = [
    "how many vacation days do I get",
    "forgot my password, account locked",
    "who approves travel expenses",
    "how long are records kept",
    "can I work from home on Fridays",
    "ZX-4471-B shipping",
]


async def _rankings(make_settings: SettingsFactory, data: Path, lane: str) -> list[Any]:
    settings = make_settings(
        storage__data_dir=str(data), backup__dir=str(data / "b"), embedder__query_lane=lane
    )
    async with asgi_client(create_app(settings)) as http:
        assert (await http.post("/api/v1/collections", json={"name": "handbook"})).is_success
        ingested = await http.post(
            "/api/v1/collections/handbook/documents", json=documents_body([*HANDBOOK, RETENTION])
        )
        assert ingested.status_code == 200, ingested.text
        out = []
        for query in QUERIES:
            body = {"query": query, "collection": "handbook", "mode": "dense", "top_k": 8}
            res = await http.post("/api/v1/search", json=body)
            assert res.status_code == 200, res.text
            out.append(
                [(r["document_id"], r["chunk_index"], r["score"]) for r in res.json()["results"]]
            )
        return out


async def test_rankings_are_the_same_with_and_without_the_query_lane(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    for name in ("shared", "lane"):
        (tmp_path / name).mkdir()
    shared = await _rankings(make_settings, tmp_path / "shared", "false")
    lane = await _rankings(make_settings, tmp_path / "lane", "true")
    assert all(shared), "every query finds something"
    for before, after in zip(shared, lane, strict=True):
        assert [hit[:2] for hit in after] == [hit[:2] for hit in before]
        assert [hit[2] for hit in after] == pytest.approx([hit[2] for hit in before], abs=1e-4)
