"""Startup checks: is this Qdrant new enough, does each collection match its catalog spec?

A mismatch is never silent: it is logged, shown by /ready, and the collection answers
NotFound or Conflict instead of returning garbage.
"""

from __future__ import annotations

import re
from typing import Literal

import msgspec
from qdrant_client import models

from ragmono.domain import CollectionSpec

from .convert import DENSE, DISTANCES

__all__ = [
    "MIN_QDRANT_VERSION",
    "CollectionProblem",
    "find_problem",
    "parse_version",
    "version_problem",
]

MIN_QDRANT_VERSION = (1, 16, 0)
"""Oldest Qdrant server accepted: 1.16 added ``{"rrf": {"k": ...}}`` (parametrized RRF), which
hybrid search needs to rank and score exactly like the embedded engine (1.10 brought the Query
API and the IDF modifier, not ``k``)."""


class CollectionProblem(msgspec.Struct, frozen=True, kw_only=True):
    """A catalog entry that does not match what Qdrant holds (found by the startup check).

    ``missing``: no such collection in Qdrant (NotFound on use); ``mismatch``: its dense size
    or distance differs from the spec (Conflict on every use). A collection built with another
    embedder than the default is no problem: it is searched with the embedder its spec records.
    """

    kind: Literal["missing", "mismatch"]
    detail: str


def parse_version(text: str) -> tuple[int, int, int] | None:
    """``"1.16.3"`` or ``"v1.17.0-dev"`` as a tuple; None when unreadable."""
    found = re.match(r"v?(\d+)\.(\d+)(?:\.(\d+))?", text.strip())
    if found is None:
        return None
    major, minor, patch = found.groups()
    return int(major), int(minor), int(patch or 0)


def version_problem(version: str) -> str | None:
    """Why Qdrant ``version`` cannot serve ragmono, or None when it can."""
    parsed = parse_version(version)
    minimum = ".".join(map(str, MIN_QDRANT_VERSION))
    if parsed is None:
        return f"Qdrant reports an unreadable version {version!r}"
    if parsed < MIN_QDRANT_VERSION:
        return f"Qdrant {version} is older than {minimum} (parametrized RRF needed)"
    return None


def find_problem(spec: CollectionSpec, info: models.CollectionInfo) -> CollectionProblem | None:
    """What is wrong with collection ``spec.name`` as Qdrant describes it, or None."""
    vectors = info.config.params.vectors
    dense = vectors.get(DENSE) if isinstance(vectors, dict) else None
    want_size, want_distance = spec.embedder.dimensions, DISTANCES[spec.distance]
    if dense is None or dense.size != want_size or dense.distance != want_distance:
        found = f"{dense.size} d {dense.distance.value}" if dense else "no 'dense' vector"
        detail = (
            f"collection {spec.name!r} holds {found} in Qdrant but its spec says "
            f"{want_size} d {want_distance.value}"
        )
        return CollectionProblem(kind="mismatch", detail=detail)
    return None
