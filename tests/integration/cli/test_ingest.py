"""``ragmono ingest``: in-process on the data directory, or uploading to a running server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from ragmono.cli import main
from ragmono.cli.ingest_remote import ingest_remote
from ragmono.logging import configure_logging
from ragmono.settings import LoggingSettings
from tests.conftest import SettingsFactory, app_client
from tests.support.cli import run_cli


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The command configures logging on the CliRunner's stderr; point it back afterwards."""
    yield
    configure_logging(LoggingSettings(level="info", format="json"), cache_loggers=False)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    (root / "sub").mkdir(parents=True)
    (root / "a.md").write_text("# Alpha\n\nThe alpha note.")
    (root / "sub" / "b.txt").write_text("The beta note.")
    (root / "c.png").write_bytes(b"\x89PNG")
    (root / "bad.txt").write_bytes(b"\x00\x01binary")
    return root


def _points(data_dir: Path) -> int:
    async def count() -> int:
        store = EmbeddedVectorStore(data_dir / "vectors")
        try:
            return await store.count("notes")
        finally:
            await store.close()

    return asyncio.run(count())


def test_in_process_ingest_with_progress_and_rerun(folder: Path, data_dir: Path) -> None:
    args = ["ingest", str(folder), "--collection", "notes", "--create", "--data-dir", str(data_dir)]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 1, first.output  # one file failed
    assert "created 2, updated 0, unchanged 0, failed 1, skipped 1" in first.output
    assert "failed: bad.txt: binary content" in first.output
    assert "skipped: c.png (unsupported type: .png)" in first.output
    assert "ingesting into notes" in first.output
    assert _points(data_dir) == 2

    (folder / "bad.txt").unlink()
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    assert "created 0, updated 0, unchanged 2, failed 0" in again.output


def test_missing_collection_needs_create(folder: Path, data_dir: Path) -> None:
    args = ["ingest", str(folder), "--collection", "nope", "--data-dir", str(data_dir)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 4  # refused (README, exit codes)
    assert "does not exist (pass --create)" in result.output


def test_a_running_server_holds_the_data_directory(folder: Path, data_dir: Path) -> None:
    server = EmbeddedVectorStore(data_dir / "vectors")  # what a running server holds
    try:
        args = ["ingest", str(folder), "-c", "notes", "--create", "--data-dir", str(data_dir)]
        result = CliRunner().invoke(main, args)
    finally:
        asyncio.run(server.close())
    assert result.exit_code == 5  # a dependency failed: the data directory is held
    assert "stop the server first, or pass --url" in result.output


async def test_url_mode_uploads_to_the_server_and_waits_for_jobs(
    folder: Path, make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(ingest__async_threshold_bytes="10")  # every upload is a job
    async with app_client(settings) as http:
        failed = await ingest_remote(http, folder, "notes", create=True)  # type: ignore[arg-type]
        listed = (await http.get("/api/v1/collections/notes/documents")).json()["items"]
    assert failed == 1
    assert sorted(d["source"] for d in listed) == ["a.md", "sub/b.txt"]
    out = capsys.readouterr()
    assert "created 2, updated 0, unchanged 0, failed 1, skipped 1" in out.out
    assert "bad.txt: binary content" in out.err


def test_skipped_files_are_named_twenty_then_a_count_and_verbose_names_all(
    tmp_path: Path, data_dir: Path
) -> None:
    root = tmp_path / "mixed"
    root.mkdir()
    (root / "keep.md").write_text("# Keep\n\nKept.")
    for i in range(25):
        (root / f"img{i:02}.png").write_bytes(b"\x89PNG")
    (root / "Makefile").write_text("all:")
    args = ["ingest", str(root), "-c", "mixed", "--create", "--data-dir", str(data_dir)]

    short = run_cli(*args, cwd=tmp_path)
    assert short.returncode == 0, short.stderr
    assert "skipped 26 (unsupported type)" in short.stdout
    named = [line for line in short.stdout.splitlines() if line.startswith("skipped: ")]
    assert named[0] == "skipped: Makefile (unsupported type: no extension)"
    assert named[1] == "skipped: img00.png (unsupported type: .png)"
    assert len(named) == 20
    assert "... and 6 more skipped (--verbose lists all)" in short.stdout

    every = run_cli(*args, "--verbose", cwd=tmp_path)
    assert every.returncode == 0, every.stderr
    named = [line for line in every.stdout.splitlines() if line.startswith("skipped: ")]
    assert len(named) == 26
    assert "skipped: img24.png (unsupported type: .png)" in named
    assert "more skipped" not in every.stdout


def _labels(data_dir: Path) -> set[tuple[str, ...]]:
    async def read() -> set[tuple[str, ...]]:
        store = EmbeddedVectorStore(data_dir / "vectors")
        try:
            page, _ = await store.scroll("notes", None, 100)
            return {tuple(p.chunk.access) for p in page}
        finally:
            await store.close()

    return asyncio.run(read())


def test_access_labels_go_on_every_file_and_bad_ones_are_refused(
    folder: Path, data_dir: Path
) -> None:
    (folder / "bad.txt").unlink()
    args = ["ingest", str(folder), "-c", "notes", "--create", "--data-dir", str(data_dir)]
    refused = CliRunner().invoke(main, [*args, "--access", "group:hr,finance"])
    assert refused.exit_code == 2, refused.output
    assert "--access" in refused.output
    done = CliRunner().invoke(main, [*args, "--access", "group:hr, user:bo"])
    assert done.exit_code == 0, done.output
    assert _labels(data_dir) == {("group:hr", "user:bo")}
    # The same files with other labels: relabelled in place, nothing embedded again.
    again = CliRunner().invoke(main, [*args, "--access", "group:ops"])
    assert "created 0, updated 2, unchanged 0" in again.output
    assert _labels(data_dir) == {("group:ops",)}
