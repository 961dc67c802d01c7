"""Validation of the seed's collection bodies (its zod rules) and the bodies it answers with."""

from __future__ import annotations

import re
from typing import Any, Final

from .backend import SeedCollection
from .envelope import SeedError
from .registry import SeedAttributes
from .schemas import CollectionBody, CollectionStatsBody, FileEntry

__all__ = ["SEED_MODELS", "CollectionRequest", "body_of", "parse_request"]

SEED_MODELS: Final = frozenset({"nomic-embed-text", "mxbai-embed-large", "embeddinggemma"})
"""The seed's embedding-model enum. Accepted and recorded nowhere: a collection is always
embedded by ragmono's configured embedder, which the answer names (README, Migrating)."""
_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
"""The seed's rule (1-50 of a-z, 0-9, '-', '_') and ragmono's (a letter or digit first)."""
_FILE_TYPE: Final = re.compile(r"^[A-Za-z0-9]+$")


class CollectionRequest:
    """A create or update body after the seed's checks; None means "not given"."""

    def __init__(self, raw: dict[str, Any], *, create: bool) -> None:
        self.description = _text(raw, "description", 1, 200, required=create)
        self.directory = _directory(raw, required=create)
        self.embedding_model = _text(raw, "embeddingModel", 1, 200, required=create)
        self.chunk_size = _int(raw, "chunkSize", 128, 2048)
        self.chunk_overlap = _int(raw, "chunkOverlap", 0, 512)
        self.file_types = _file_types(raw, required=create)
        self.recursive = _bool(raw, "recursive")
        self.enabled = _bool(raw, "enabled")
        self.auto_update = _bool(raw, "autoUpdate")

    def attributes(self, current: SeedAttributes) -> SeedAttributes:
        """``current`` with the values this request gives."""
        return SeedAttributes(
            directory=current.directory if self.directory is None else self.directory,
            file_types=current.file_types if self.file_types is None else self.file_types,
            recursive=current.recursive if self.recursive is None else self.recursive,
            enabled=current.enabled if self.enabled is None else self.enabled,
            auto_update=current.auto_update if self.auto_update is None else self.auto_update,
        )

    def check_model(self, actual: str) -> None:
        """The model named must be the one that embeds, or one of the seed's names."""
        named = self.embedding_model
        if named is not None and named != actual and named not in SEED_MODELS:
            raise _invalid(
                "embeddingModel",
                f"unknown embedding model {named!r}; this server embeds with {actual!r}",
            )


def parse_request(raw: object, *, create: bool) -> CollectionRequest:
    """The checked request; 400 ``VALIDATION_ERROR`` naming the field otherwise."""
    if not isinstance(raw, dict):
        raise SeedError(400, "VALIDATION_ERROR", "the body must be a JSON object")
    if create:
        name = raw.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise _invalid(
                "name", "must be 1-50 of a-z, 0-9, '-' and '_', starting with a-z or 0-9"
            )
    return CollectionRequest(raw, create=create)


def body_of(
    spec: SeedCollection, seed: SeedAttributes, *, files: list[FileEntry] | None = None
) -> CollectionBody:
    """rag-services' Collection; ``stats`` (when ``files`` are given) from ragmono's catalog
    and the collection's stored documents."""
    stats = None
    if files is not None and spec.points is not None:
        size = sum(f.size_bytes for f in files)
        stats = CollectionStatsBody(
            vectors_count=spec.points,
            points_count=spec.points,
            segments_count=1,
            status="green",
            total_files=len(files),
            indexed_files=sum(f.status == "indexed" for f in files),
            pending_files=sum(f.status == "pending" for f in files),
            orphan_chunks=sum(f.chunk_count for f in files if f.status == "orphan"),
            chunk_count=spec.points,
            directory_size_bytes=size,
            directory_size_mb=round(size / 1_048_576, 2),
        )
    return CollectionBody(
        name=spec.name,
        description=spec.description,
        directory=seed.directory,
        embedding_model=spec.embedding_model,
        chunk_size=spec.chunk_size,
        chunk_overlap=spec.chunk_overlap,
        file_types=seed.file_types,
        recursive=seed.recursive,
        enabled=seed.enabled,
        auto_update=seed.auto_update,
        stats=stats,
    )


def _invalid(field: str, message: str) -> SeedError:
    return SeedError(
        400, "VALIDATION_ERROR", f"{field}: {message}", [{"path": [field], "message": message}]
    )


def _text(raw: dict[str, Any], key: str, low: int, high: int, *, required: bool) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise _invalid(key, "required")
        return None
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise _invalid(key, f"must be a string of {low}-{high} characters")
    return value


def _directory(raw: dict[str, Any], *, required: bool) -> str | None:
    value = _text(raw, "directory", 1, 4096, required=required)
    if value is not None and (not value.startswith("/") or ".." in value.split("/")):
        raise _invalid("directory", "must be an absolute path without '..'")
    return value


def _int(raw: dict[str, Any], key: str, low: int, high: int) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _invalid(key, f"must be an integer from {low} to {high}")
    return value


def _bool(raw: dict[str, Any], key: str) -> bool | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, bool):
        raise _invalid(key, "must be true or false")
    return value


def _file_types(raw: dict[str, Any], *, required: bool) -> list[str] | None:
    value = raw.get("fileTypes")
    if value is None:
        if required:
            raise _invalid("fileTypes", "required")
        return None
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= 10
        or not all(isinstance(v, str) and _FILE_TYPE.match(v) for v in value)
    ):
        raise _invalid("fileTypes", "must be 1-10 alphanumeric extensions")
    return list(value)
