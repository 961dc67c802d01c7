"""The embedded store holds writes during a backup's copy and lets them through afterwards."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
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


async def test_replace_data_swaps_in_a_copy_and_keeps_serving(tmp_path: Path) -> None:
    store = EmbeddedVectorStore(tmp_path / "vectors")
    try:
        await store.create_collection(spec("docs"))
        batch = await points()
        await store.upsert("docs", batch[:2])
        staged = tmp_path / "vectors" / ".staged"
        async with store.paused_writes() as root:
            staged.mkdir()
            shutil.copytree(root / "collections", staged / "collections")
            shutil.copy2(root / "catalog.json", staged / "catalog.json")
        await store.create_collection(spec("later"))
        await store.upsert("docs", batch)
        assert await store.count("docs") == len(batch)

        await store.replace_data(staged)

        assert not staged.exists()
        assert [c.name for c in await store.list_collections()] == ["docs"]
        assert await store.count("docs") == 2
        await store.upsert("docs", batch)  # writes go on after the swap
        assert await store.count("docs") == len(batch)
    finally:
        await store.close()


async def test_replace_data_refuses_a_staging_dir_without_collections(tmp_path: Path) -> None:
    store = EmbeddedVectorStore(tmp_path / "vectors")
    try:
        await store.create_collection(spec("docs"))
        await store.upsert("docs", await points())
        with pytest.raises(ValueError, match="no collections"):
            await store.replace_data(tmp_path / "missing")
        assert await store.count("docs") == len(await points())
        await store.upsert("docs", await points())  # writes resumed after the refusal
    finally:
        await store.close()
