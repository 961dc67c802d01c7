"""The embedded store holds writes during a backup's copy and lets them through afterwards."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ragmono.adapters.qdrant.embedded import EmbeddedVectorStore
from tests.support.vector_data import points, spec


async def test_writes_wait_for_the_pause_and_are_not_dropped(tmp_path: Path) -> None:
    store = EmbeddedVectorStore(tmp_path / "vectors")
    try:
        await store.create_collection(spec("docs"))
        batch = await points()
        async with store.paused_writes() as root:
            assert (root / "catalog.json").is_file()
            write = asyncio.create_task(store.upsert("docs", batch))
            await asyncio.sleep(0.2)
            assert not write.done()
            assert await store.count("docs") == 0  # reads still answer during the pause
        await asyncio.wait_for(write, 5)
        assert await store.count("docs") == len(batch)
    finally:
        await store.close()
