"""Cancel stops a job inside a large document, within 2 s, for good (issue #18, item 6).

The real app with the real local embedder ingests one long document as a background job.
Once its first chunks are stored, a cancel must end the job (state ``cancelled``) within
2 s, with no chunk written after that; the half-written new document leaves nothing behind,
and after a restart the job is still cancelled and nothing more is written.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.conftest import SettingsFactory, app_client

DOCS = "/api/v1/collections/docs/documents"
CANCEL_WITHIN_S = 2.0


def _long_document(sentences: int) -> dict[str, Any]:
    text = " ".join(
        f"Sentence {i} is about topic {i % 97}, item {i * 7 % 1013} and place {i % 31}."
        for i in range(sentences)
    )
    return {"documents": [{"id": "long", "text": text}]}


async def _job(http: Any, location: str) -> dict[str, Any]:
    job: dict[str, Any] = (await http.get(location)).json()
    return job


async def _points(http: Any) -> int:
    return int((await http.get("/api/v1/collections/docs")).json()["stats"]["points"])


async def test_cancel_stops_a_large_document_within_2_s_and_stays_cancelled(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(rate_limit__enabled="false")  # default batches: 128 chunks
    async with app_client(settings) as http:
        assert (await http.post("/api/v1/collections", json={"name": "docs"})).status_code == 201
        accepted = await http.post(DOCS, json=_long_document(12_000))  # ~800 chunks, minutes
        assert accepted.status_code == 202, accepted.text
        location = accepted.headers["location"]
        async with asyncio.timeout(60):
            while True:  # until the first batch of chunks is stored
                if (await _job(http, location))["progress"]["chunks_done"]:
                    break
                await asyncio.sleep(0.1)
        asked = time.monotonic()
        cancel = await http.post(f"{location}/cancel")
        assert cancel.status_code == 202, cancel.text
        job = await _job(http, location)
        while job["state"] == "running" and time.monotonic() - asked < 10:
            await asyncio.sleep(0.05)
            job = await _job(http, location)
        took = time.monotonic() - asked
        assert job["state"] == "cancelled", job
        assert took <= CANCEL_WITHIN_S, f"cancelled after {took:.2f}s"
        assert job["progress"]["documents_done"] == 0
        settled = await _points(http)
        await asyncio.sleep(1.0)
        assert await _points(http) == settled == 0  # the unfinished new document is removed
        assert (await http.get(DOCS)).json()["items"] == []
    async with app_client(settings) as http:
        await asyncio.sleep(1.0)  # a resumed job would be writing by now
        again = await _job(http, location)
        assert again["state"] == "cancelled", again
        assert await _points(http) == 0
