"""Twins and builders for ingest tests: a gated embedder, a flaky one, a store that crashes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ragmono.adapters.embedders import EmbedderRegistry
from ragmono.adapters.jobs_memory import MemoryIdempotencyStore, MemoryJobStore
from ragmono.adapters.memory import HashingEmbedder, MemoryVectorStore, SimpleSparseEncoder
from ragmono.adapters.tokenizer import load_chunking_tokenizer
from ragmono.domain import ChunkingConfig, ChunkPoint, CollectionSpec, Filter
from ragmono.errors import DependencyUnavailable
from ragmono.modules.ingest import (
    Chunker,
    DocumentWriter,
    IngestJobs,
    IngestLimits,
    IngestService,
    JobFiles,
    JobRunner,
    ParseLimits,
)
from ragmono.ports import Embedder, JobQueue, JobStore, Telemetry, VectorStore

_CHUNKER = Chunker(load_chunking_tokenizer)


class GatedEmbedder(HashingEmbedder):
    """Embeds ``open_calls`` batches, then waits (without blocking its loop) for ``gate``.

    Thread-safe events, because the app under an AsyncTestClient runs on its own loop in
    another thread: tests wait for ``blocked`` with :meth:`wait_blocked` and ``gate.set()``.
    """

    def __init__(self, dimensions: int = 64, *, open_calls: int = 0) -> None:
        super().__init__(dimensions)
        self.open_calls = open_calls
        self.calls = 0
        self.gate = threading.Event()
        self.blocked = threading.Event()

    async def embed_documents(
        self, texts: Sequence[str], *, priority: bool = False
    ) -> list[list[float]]:
        """Wait for the gate once the open calls are used up."""
        self.calls += 1
        if self.calls > self.open_calls:
            self.blocked.set()
            # A thread-safe gate polled from the loop: an asyncio.Event cannot be set from
            # the test's thread while the app runs on another loop.
            while not self.gate.is_set():  # noqa: ASYNC110
                await asyncio.sleep(0.005)
        return await super().embed_documents(texts)

    async def wait_blocked(self, timeout_s: float = 10) -> None:
        """Return once a call is waiting at the gate."""
        if not await asyncio.to_thread(self.blocked.wait, timeout_s):
            raise TimeoutError("the embedder was never called past its open calls")


class FlakyEmbedder(HashingEmbedder):
    """Fails the first ``failures`` calls as an unreachable dependency would."""

    def __init__(self, dimensions: int = 64, *, failures: int) -> None:
        super().__init__(dimensions)
        self.failures = failures

    async def embed_documents(
        self, texts: Sequence[str], *, priority: bool = False
    ) -> list[list[float]]:
        """Raise DependencyUnavailable until the failures are used up."""
        if self.failures > 0:
            self.failures -= 1
            raise DependencyUnavailable("embedder", "model server is down", retry_after_s=0.01)
        return await super().embed_documents(texts)


class CrashingStore(MemoryVectorStore):
    """Raises on the ``crash_on``-th upsert or on the next delete, like a process dying."""

    def __init__(self) -> None:
        super().__init__()
        self.upserts = 0
        self.crash_on_upsert: int | None = None
        self.crash_on_delete = False

    async def upsert(self, collection: str, points: Sequence[ChunkPoint]) -> None:
        """Count, maybe crash, else store."""
        self.upserts += 1
        if self.crash_on_upsert is not None and self.upserts >= self.crash_on_upsert:
            raise RuntimeError("simulated crash during upsert")
        await super().upsert(collection, points)

    async def delete(self, collection: str, flt: Filter) -> None:
        """Maybe crash, else delete."""
        if self.crash_on_delete:
            raise RuntimeError("simulated crash during delete")
        await super().delete(collection, flt)


@dataclass
class Rig:
    """A service wired to twins, plus its parts for assertions."""

    service: IngestService
    runner: JobRunner
    writer: DocumentWriter
    store: VectorStore
    embedder: Embedder
    job_store: JobStore
    jobs_dir: Path


def make_rig(
    tmp_path: Path,
    *,
    store: VectorStore | None = None,
    embedder: Embedder | None = None,
    job_store: JobStore | None = None,
    threshold: int = 1 << 20,
    batch_chunks: int = 4,
    roots: Sequence[str] = (),
    retry_delays_s: Sequence[float] = (0.01, 0.01),
    telemetry: Telemetry | None = None,
    queue: JobQueue | None = None,
) -> Rig:
    """An IngestService on memory twins with its jobs under ``tmp_path/jobs`` (or ``queue``,
    a shared job queue, for document jobs)."""
    store = store or MemoryVectorStore()
    embedder = embedder or HashingEmbedder(64)
    job_store = job_store or MemoryJobStore()
    writer = DocumentWriter(
        store,
        EmbedderRegistry(embedder, {}),
        SimpleSparseEncoder(),
        _CHUNKER,
        batch_chunks=batch_chunks,
        telemetry=telemetry,
    )
    parse = ParseLimits()
    runner = JobRunner(
        job_store,
        JobFiles(tmp_path / "jobs"),
        IngestJobs(writer, parse, allowed_roots=roots, max_file_bytes=1 << 20),
        retry_delays_s=retry_delays_s,
        telemetry=telemetry,
        queue=queue,
        keep_every_s=0.2,
    )
    limits = IngestLimits(async_threshold_bytes=threshold, allowed_roots=tuple(roots), parse=parse)
    service = IngestService(writer, runner, MemoryIdempotencyStore(), limits)
    return Rig(service, runner, writer, store, embedder, job_store, tmp_path / "jobs")


async def make_collection(
    store: VectorStore, embedder: Embedder, name: str = "docs", chunk_size: int = 32
) -> CollectionSpec:
    """A collection filled by ``embedder`` with small chunks (short texts give several)."""
    spec = CollectionSpec(
        name=name,
        embedder=embedder.ref,
        chunking=ChunkingConfig(chunk_size=chunk_size, chunk_overlap=0),
    )
    await store.create_collection(spec)
    return spec


def words(n: int, seed: str = "w") -> str:
    """``n`` distinct sentences: text whose chunk count grows with ``n``."""
    return " ".join(f"{seed} sentence number {i} is here." for i in range(n))
