"""Answer-unit vectors made at ingest, stored with the chunk, read back by the answerer.

The extractive answerer scores a passage's sentences by meaning; embedding them at query
time cost about 5 ms a sentence of CPU (12 a question: 70-150 ms). The local embedder already
runs the model over every chunk at ingest, so it pools the chunk's token states over each
answer unit's characters as well (late chunking: Günther et al., 2024) and the vectors travel
in the chunk's payload. On a disjoint SQuAD dev sample and on the manuals set they answered
as well as sentences embedded alone (``benchmarks/answers_dev.py``).

Stored as one string: a key, then the vectors quantised to int8 (unit vectors: x127) in
base64, about 0.5 KiB a sentence. The key hashes the embedder and the unit texts, so vectors
from another embedder (after a reindex) or another segmentation (after an upgrade) are never
used: the answerer then embeds the units itself, as before.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .extractive_units import units

__all__ = ["decode", "encode", "unit_spans"]

_SEPARATOR = ":"


def unit_spans(text: str) -> tuple[list[str], list[tuple[int, int]]] | None:
    """``text``'s answer units and their character spans, in order; None when a unit is not
    verbatim in the text (the segmenter joined pieces), so it cannot be pooled."""
    texts: list[str] = []
    spans: list[tuple[int, int]] = []
    position = 0
    for unit in units(text):
        start = text.find(unit.text, position)
        if start < 0:
            return None
        position = start + len(unit.text)
        texts.append(unit.text)
        spans.append((start, position))
    return texts, spans


def _key(label: str, unit_texts: Sequence[str]) -> str:
    material = "\x1f".join([label, *unit_texts]).encode()
    return hashlib.blake2b(material, digest_size=8).hexdigest()


def encode(label: str, unit_texts: Sequence[str], vectors: npt.NDArray[np.float32]) -> str:
    """The payload string for the units' vectors (one row each) made by embedder ``label``."""
    quantised = np.clip(np.rint(vectors * 127.0), -127, 127).astype(np.int8)
    body = base64.b64encode(quantised.tobytes()).decode("ascii")
    return f"{_key(label, unit_texts)}{_SEPARATOR}{body}"


def decode(
    stored: str, label: str, unit_texts: Sequence[str], dimensions: int
) -> list[npt.NDArray[np.float32]] | None:
    """One unit-length vector per unit, if ``stored`` was made for these units by ``label``."""
    key, _, body = stored.partition(_SEPARATOR)
    if not body or key != _key(label, unit_texts):
        return None
    try:
        raw = np.frombuffer(base64.b64decode(body, validate=True), dtype=np.int8)
    except ValueError:
        return None
    if raw.size != dimensions * len(unit_texts):
        return None
    matrix = raw.reshape(-1, dimensions).astype(np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return list(matrix / np.where(norms > 0, norms, 1.0))
