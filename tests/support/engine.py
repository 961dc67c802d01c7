"""The embedded engine under test: deterministic chunk points, and the real app served by granian.

``app()`` is a granian factory (``tests.support.engine:app``): the real app on the embedded
store, plus ``/test/*`` routes that write and search through the vector-store port the way the
ingest and search services do, so tests can drive the engine inside the server process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from litestar import Litestar, get, post

from ragmono.adapters.bm25 import Bm25Encoder
from ragmono.adapters.memory import HashingEmbedder
from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from ragmono.app import create_app
from ragmono.asgi import freeze_startup_objects
from ragmono.domain import Chunk, ChunkPoint, SparseVector, VectorQuery
from ragmono.lifespan import Adapters
from ragmono.logging import configure_logging
from ragmono.settings import load_settings
from tests.support.ports import free_port, wait_for_port

DIM = 32
ROOT = Path(__file__).resolve().parents[2]


def point_id(i: int) -> str:
    """The id of the i-th test point."""
    return str(uuid.uuid5(uuid.NAMESPACE_OID, str(i)))


def unit_vectors(n: int, seed: int = 1) -> np.ndarray:
    """``n`` random unit vectors of DIM floats, the same for the same seed."""
    vectors = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def points(vectors: np.ndarray, start: int, stop: int) -> list[ChunkPoint]:
    """Points ``start``..``stop`` (10 chunks per document ``doc-<i // 10>``)."""
    return [
        ChunkPoint(
            id=point_id(i),
            dense=vectors[i].tolist(),
            sparse=SparseVector(indices=[i % 97 + 1], values=[1.0]),
            chunk=Chunk(
                document_id=f"doc-{i // 10}",
                source=f"doc-{i // 10}.md",
                chunk_index=i % 10,
                chunk_total=10,
                content_hash=f"{i:08x}",
                text=f"chunk {i}",
            ),
        )
        for i in range(start, stop)
    ]


def app() -> Litestar:
    """The app with an embedded store that indexes above ``ENGINE_TEST_THRESHOLD_KB``."""
    settings = load_settings(None, os.environ)
    configure_logging(settings.logging)
    store = EmbeddedVectorStore(
        settings.data_path / "vectors",
        optimize_delay_s=0,
        indexing_threshold_kb=int(os.environ.get("ENGINE_TEST_THRESHOLD_KB", "64")),
        log_level=settings.logging.level,
    )
    vectors = unit_vectors(int(os.environ.get("ENGINE_TEST_POINTS", "3000")))

    @post("/test/upsert")
    async def upsert(data: dict[str, int]) -> dict[str, int]:
        await store.upsert("docs", points(vectors, data["start"], data["stop"]))
        return {"written": data["stop"] - data["start"]}

    @post("/test/optimize")
    async def optimize() -> dict[str, bool]:
        await store.optimize("docs")
        return {"scheduled": True}

    @get("/test/search/{k:int}")
    async def search(k: int) -> dict[str, Any]:
        hits = await store.search(
            "docs", VectorQuery(mode="dense", limit=3, dense=vectors[k].tolist())
        )
        return {"correct": bool(hits) and hits[0].id == point_id(k)}

    adapters = Adapters(
        vector_store=store, embedder=HashingEmbedder(DIM), sparse_encoder=Bm25Encoder()
    )
    served = create_app(settings, adapters=adapters)
    for handler in (upsert, optimize, search):
        served.register(handler)
    served.on_startup.append(freeze_startup_objects)  # as ragmono.asgi:app does
    served.on_shutdown.append(store.close)
    return served


class EngineAppServer:
    """``app()`` served by granian on a free loopback port, in its own process."""

    def __init__(self, data_dir: Path, *, points: int) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "RAGMONO_STORAGE__DATA_DIR": str(data_dir),
            "RAGMONO_LOGGING__FORMAT": "json",
            "RAGMONO_LOGGING__LEVEL": "warning",
            "ENGINE_TEST_POINTS": str(points),
        }
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start granian and wait until it accepts connections."""
        cmd = [sys.executable, "-m", "granian", "--interface", "asgi", "--factory"]
        cmd += ["--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"]
        cmd += ["--log-level", "warning", "tests.support.engine:app"]
        self._proc = subprocess.Popen(cmd, env=self._env, cwd=ROOT)
        wait_for_port(self.port, timeout_s=30)

    def stop(self) -> None:
        """SIGTERM (graceful: the lifespan closes the store and its worker), then wait."""
        if self._proc is None:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc = None
