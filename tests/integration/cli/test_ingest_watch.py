"""``ragmono ingest DIR -c NAME --watch``: in this process until Ctrl-C, or through a server."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from tests.support.watching import sources, wait_for, watched_server, write

RAGMONO = str(Path(sys.executable).parent / "ragmono")


def _points(data_dir: Path, collection: str) -> int:
    async def count() -> int:
        store = EmbeddedVectorStore(data_dir / "vectors")
        try:
            return await store.count(collection)
        finally:
            await store.close()

    return asyncio.run(count())


def test_in_process_watch_follows_the_folder_until_interrupted(tmp_path: Path) -> None:
    folder, data = tmp_path / "notes", tmp_path / "data"
    write(folder / "a.md", "The alpha note.")
    log = (tmp_path / "watch.log").open("wb")
    command = [RAGMONO, "ingest", str(folder), "-c", "notes", "--create", "--watch"]
    env = {
        **os.environ,
        "RAGMONO_STORAGE__DATA_DIR": str(data),
        "RAGMONO_INGEST__WATCH_DEBOUNCE_S": "0.3",
        "RAGMONO_LOGGING__FORMAT": "json",
    }
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        text = lambda: (tmp_path / "watch.log").read_text()  # noqa: E731
        wait_for(lambda: "watch_job_submitted" in text(), 60)
        write(folder / "sub" / "b.md", "The beta note.")
        wait_for(lambda: text().count("ingest_job_finished") >= 2, 30)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0, (tmp_path / "watch.log").read_text()
        log.close()
    assert "watching " in (tmp_path / "watch.log").read_text()
    assert _points(data, "notes") == 2


def test_watch_through_a_server_registers_it(tmp_path: Path) -> None:
    root, data = tmp_path / "root", tmp_path / "data"
    data.mkdir()
    write(root / "docs" / "a.md", "The gamma note.")
    server = watched_server(data, root, debounce_s=0.3).start()
    try:
        args = ["ingest", str(root / "docs"), "-c", "docs", "--create", "--watch"]
        done = subprocess.run(
            [RAGMONO, *args, "--url", server.url], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert "the server watches" in done.stdout
        with httpx.Client(base_url=server.url, timeout=30) as http:
            wait_for(lambda: sources(http, "docs") == ["docs/a.md"], 30)
            write(root / "docs" / "b.md", "The delta note.")
            wait_for(lambda: sources(http, "docs") == ["docs/a.md", "docs/b.md"], 10)
        outside = subprocess.run(
            [RAGMONO, "ingest", str(tmp_path), "-c", "docs", "--watch", "--url", server.url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert outside.returncode == 4
        assert "403" in outside.stderr
        assert "outside the allowed roots" in outside.stderr
    finally:
        server.stop()
