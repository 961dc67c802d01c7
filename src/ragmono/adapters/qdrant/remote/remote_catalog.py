"""The catalog kept inside Qdrant, so every ragmono replica sees the same collections.

One small collection, ``_ragmono_catalog``, holds one point per collection (its
:class:`CollectionSpec`, msgspec-encoded) and one per applied migration. Point ids are uuid5 of
the entry's name, so writes are idempotent and safe to retry on another node. Its only vector
is a 1-d placeholder: every Qdrant version accepts it, unlike a vectorless collection.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol, TypeVar

import msgspec
from qdrant_client import AsyncQdrantClient, models

from ragmono.domain import CollectionSpec
from ragmono.errors import Conflict

__all__ = ["CATALOG_COLLECTION", "RemoteCatalog", "Runner"]

T = TypeVar("T")
CATALOG_COLLECTION = "_ragmono_catalog"
_NAMESPACE = uuid.UUID("6f1c1b1e-5a0c-4f57-9d1e-7b0a3c6a2d41")
_PLACEHOLDER = "_"
_PAGE = 256


class Runner(Protocol):
    """How the catalog reaches Qdrant: the owning store's call path (breakers, failover)."""

    async def run(
        self,
        fn: Callable[[AsyncQdrantClient], Awaitable[T]],
        *,
        collection: str | None = None,
        idempotent: bool = True,
        operation: str = "call",
    ) -> T:
        """Run ``fn`` against a Qdrant client; domain errors out."""
        ...


def _point_id(kind: str, name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{name}"))


def _kind_filter(kind: str) -> models.Filter:
    return models.Filter(
        must=[models.FieldCondition(key="kind", match=models.MatchValue(value=kind))]
    )


class RemoteCatalog:
    """Collection specs and the migration ledger in the ``_ragmono_catalog`` collection."""

    def __init__(
        self,
        runner: Runner,
        *,
        create_args: dict[str, Any] | None = None,
        read_args: dict[str, Any] | None = None,
        write_args: dict[str, Any] | None = None,
    ) -> None:
        self._runner = runner
        self._create_args = create_args or {}
        self._read_args = read_args or {}
        self._write_args = write_args or {}
        self._ready = False

    async def ensure(self) -> None:
        """Create the catalog collection once; another replica creating it too is fine."""
        if self._ready:
            return

        async def create(client: AsyncQdrantClient) -> None:
            if await client.collection_exists(CATALOG_COLLECTION):
                return
            await client.create_collection(
                CATALOG_COLLECTION,
                vectors_config={
                    _PLACEHOLDER: models.VectorParams(size=1, distance=models.Distance.DOT)
                },
                **self._create_args,
            )

        # Safe to retry: a repeat that finds it created answers Conflict, which is success here.
        with contextlib.suppress(Conflict):  # or another replica created it meanwhile
            await self._runner.run(create, collection=CATALOG_COLLECTION, operation="catalog")
        self._ready = True

    async def get(self, name: str) -> CollectionSpec | None:
        """The spec of ``name`` or None."""
        payload = await self._retrieve(_point_id("collection", name))
        return _decode(payload) if payload is not None else None

    async def _retrieve(self, pid: str) -> dict[str, Any] | None:
        await self.ensure()
        records = await self._runner.run(
            lambda c: c.retrieve(
                CATALOG_COLLECTION, [pid], with_payload=True, with_vectors=False, **self._read_args
            ),
            collection=CATALOG_COLLECTION,
            operation="catalog",
        )
        return (records[0].payload or {}) if records else None

    async def all(self) -> list[CollectionSpec]:
        """Every spec, sorted by name."""
        specs = [_decode(p) for p in await self._scroll("collection")]
        return sorted(specs, key=lambda s: s.name)

    async def put(self, spec: CollectionSpec) -> None:
        """Insert or replace a spec."""
        payload = {"kind": "collection", "name": spec.name, "spec": _encode(spec)}
        await self._upsert(_point_id("collection", spec.name), payload)

    async def remove(self, name: str) -> None:
        """Forget a spec (no error when absent)."""
        await self.ensure()
        selector = models.PointIdsList(points=[_point_id("collection", name)])
        await self._runner.run(
            lambda c: c.delete(
                CATALOG_COLLECTION, points_selector=selector, wait=True, **self._write_args
            ),
            collection=CATALOG_COLLECTION,
            operation="catalog",
        )

    async def applied_migrations(self) -> list[str]:
        """Ids of the migrations applied to this Qdrant, in the order they were applied."""
        entries = await self._scroll("migration")
        entries.sort(key=lambda p: (p.get("applied_at", 0.0), p.get("name", "")))
        return [str(p["name"]) for p in entries]

    async def record_migration(self, migration_id: str) -> None:
        """Add a migration id to the ledger; recording it again keeps the first entry."""
        pid = _point_id("migration", migration_id)
        if await self._retrieve(pid) is not None:
            return
        payload = {"kind": "migration", "name": migration_id, "applied_at": time.time()}
        await self._upsert(pid, payload)

    async def _upsert(self, pid: str, payload: dict[str, Any]) -> None:
        await self.ensure()
        point = models.PointStruct(id=pid, vector={_PLACEHOLDER: [1.0]}, payload=payload)
        await self._runner.run(
            lambda c: c.upsert(CATALOG_COLLECTION, [point], wait=True, **self._write_args),
            collection=CATALOG_COLLECTION,
            operation="catalog",
        )

    async def _scroll(self, kind: str) -> list[dict[str, Any]]:
        await self.ensure()
        payloads: list[dict[str, Any]] = []
        offset: Any = None
        while True:
            page = partial(_scroll_page, kind=kind, offset=offset, read_args=self._read_args)
            records, offset = await self._runner.run(
                page, collection=CATALOG_COLLECTION, operation="catalog"
            )
            payloads.extend(r.payload or {} for r in records)
            if offset is None:
                return payloads


async def _scroll_page(
    client: AsyncQdrantClient, *, kind: str, offset: Any, read_args: dict[str, Any]
) -> tuple[list[models.Record], Any]:
    return await client.scroll(
        CATALOG_COLLECTION,
        scroll_filter=_kind_filter(kind),
        limit=_PAGE,
        offset=offset,
        with_payload=True,
        with_vectors=False,
        **read_args,
    )


def _encode(spec: CollectionSpec) -> str:
    return msgspec.json.encode(spec).decode()


def _decode(payload: dict[str, Any] | None) -> CollectionSpec:
    return msgspec.json.decode((payload or {})["spec"], type=CollectionSpec)
