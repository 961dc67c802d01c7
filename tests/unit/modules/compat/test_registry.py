"""The seed-only collection attributes survive a restart and never leave a half-written file."""

from __future__ import annotations

from pathlib import Path

from ragmono.modules.compat import SeedAttributes, SeedRegistry


async def test_attributes_are_read_back_by_a_new_registry(tmp_path: Path) -> None:
    path = tmp_path / "compat" / "seed_collections.json"
    first = SeedRegistry(path)
    wanted = SeedAttributes(directory="/data/docs", file_types=["md"], auto_update=True)
    await first.put("documentation", wanted)
    await first.put("other", SeedAttributes(directory="/data/other"))
    again = SeedRegistry(path)  # as after a restart
    assert again.get("documentation") == wanted
    await again.drop("other")
    assert SeedRegistry(path).get("other") == SeedAttributes()
    assert [p.name for p in path.parent.iterdir()] == ["seed_collections.json"]


def test_a_collection_made_elsewhere_has_the_seed_defaults(tmp_path: Path) -> None:
    attributes = SeedRegistry(tmp_path / "missing.json").get("made-through-api-v1")
    assert attributes == SeedAttributes(directory="", file_types=[], recursive=True)
    assert attributes.enabled is True
    assert attributes.auto_update is False
