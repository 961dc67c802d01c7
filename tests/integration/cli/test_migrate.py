"""``ragmono migrate`` on a real embedded data directory made by an older ragmono.

Sync tests: the command runs its own event loop (asyncio.run), as it does from a shell.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec
import qdrant_edge as qe
from click.testing import CliRunner

from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from ragmono.adapters.qdrant.embedded.shards import INDEXED_FIELDS
from ragmono.cli import main
from tests.conftest import SettingsFactory, app_client
from tests.support.vector_data import points, spec

REPO = Path(__file__).resolve().parents[3]


async def _older_data_dir(data_dir: Path) -> None:
    """A collection without payload indexes and a ledger that records no migration."""
    store = EmbeddedVectorStore(data_dir / "vectors")
    await store.create_collection(spec("docs"))
    await store.upsert("docs", await points())
    await store.close()  # the worker flushed and closed the shard: edit it directly now
    shard = qe.EdgeShard.load(str(data_dir / "vectors" / "collections" / "docs"))
    try:
        for field in INDEXED_FIELDS:
            shard.update(qe.UpdateOperation.delete_field_index(field))
        shard.flush()
    finally:
        shard.close()


def _index_fields(data_dir: Path) -> set[str]:
    shard = qe.EdgeShard.load(str(data_dir / "vectors" / "collections" / "docs"))
    try:
        return set(shard.info().payload_schema)
    finally:
        shard.close()


def _ledger(data_dir: Path) -> list[str]:
    raw = msgspec.json.decode((data_dir / "vectors" / "catalog.json").read_bytes())
    return list(raw.get("migrations", []))


def _invoke(data_dir: Path, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(main, ["migrate", "--data-dir", str(data_dir), *args])
    return result.exit_code, result.stdout, result.stderr


def test_migrate_upgrades_an_older_data_dir_once(data_dir: Path) -> None:
    asyncio.run(_older_data_dir(data_dir))
    assert _index_fields(data_dir) == set()
    repo_migrations = str(REPO / "migrations")

    code, out, _ = _invoke(data_dir, "--dir", repo_migrations, "--status")
    assert code == 0
    assert "pending  0001_payload_indexes" in out
    assert "pending  0002_access_index" in out

    code, out, _ = _invoke(data_dir, "--dir", repo_migrations)
    assert code == 0, out
    assert "applied  0001_payload_indexes" in out
    assert _index_fields(data_dir) == set(INDEXED_FIELDS)
    assert _ledger(data_dir) == ["0001_payload_indexes", "0002_access_index"]

    code, out, _ = _invoke(data_dir, "--dir", repo_migrations)
    assert code == 0
    assert "nothing to apply" in out
    assert _ledger(data_dir) == ["0001_payload_indexes", "0002_access_index"]

    code, out, _ = _invoke(data_dir, "--dir", repo_migrations, "--status")
    assert "applied  0001_payload_indexes" in out


def _write(directory: Path, name: str, body: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / f"{name}.py").write_text(
        f'ID = "{name}"\nDESCRIPTION = "{name} step"\n\n\nasync def up(store):\n{body}\n'
    )


def test_a_failing_migration_stops_and_leaves_the_ledger_honest(
    data_dir: Path, tmp_path: Path
) -> None:
    asyncio.run(_older_data_dir(data_dir))
    steps = tmp_path / "steps"
    _write(steps, "0001_first", "    await store.ensure_payload_indexes('docs')")
    _write(steps, "0002_broken", "    raise RuntimeError('disk says no')")
    marker = tmp_path / "third-ran"
    _write(steps, "0003_third", f"    open({str(marker)!r}, 'w').close()")

    code, _, err = _invoke(data_dir, "--dir", str(steps))
    assert code == 1
    assert "migration 0002_broken failed: RuntimeError: disk says no" in err
    assert _ledger(data_dir) == ["0001_first"]
    assert not marker.exists()

    code, out, _ = _invoke(data_dir, "--dir", str(steps), "--status")
    assert out.splitlines() == [
        "applied  0001_first  0001_first step",
        "pending  0002_broken  0002_broken step",
        "pending  0003_third  0003_third step",
    ]


def test_a_malformed_migration_file_is_named(data_dir: Path, tmp_path: Path) -> None:
    steps = tmp_path / "steps"
    steps.mkdir()
    (steps / "0001_bad.py").write_text('ID = "0002_other"\nDESCRIPTION = "x"\n')
    code, _, err = _invoke(data_dir, "--dir", str(steps))
    assert code == 2
    assert "0001_bad.py: ID must be '0001_bad'" in err


async def test_apply_on_start_applies_pending_migrations_before_serving(
    make_settings: SettingsFactory, data_dir: Path, tmp_path: Path
) -> None:
    steps = tmp_path / "steps"
    marker = tmp_path / "ran"
    _write(steps, "0001_mark", f"    open({str(marker)!r}, 'w').close()")
    settings = make_settings(migrations__dir=str(steps), migrations__apply_on_start="true")
    async with app_client(settings) as http:
        assert (await http.get("/health")).status_code == 200
        assert marker.exists()
    assert _ledger(data_dir) == ["0001_mark"]
