"""Building and switching physical collections behind Qdrant aliases (server and cluster).

Every collection ragmono creates is a physical Qdrant collection ``<name>.<id>`` plus the alias
``<name>``; every call by API name goes through the alias. A reindex builds another physical
collection and moves the alias in one ``update_collection_aliases`` call (delete + create,
atomic in Qdrant), so every replica switches at the same moment.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import structlog
from qdrant_client import AsyncQdrantClient, models

from ragmono.domain import CollectionSpec
from ragmono.errors import Conflict, NotFound

from .convert import INDEXED_FIELDS, collection_vectors
from .remote_catalog import RemoteCatalog

__all__ = ["StorageSwitching", "keyword_index"]

log = structlog.get_logger(__name__)
T = TypeVar("T")


class StorageSwitching:
    """The physical-collection half of :class:`~.remote.RemoteVectorStore` (a mixin)."""

    catalog: RemoteCatalog

    async def run(
        self,
        fn: Callable[[AsyncQdrantClient], Awaitable[T]],
        *,
        collection: str | None = None,
        idempotent: bool = True,
        operation: str = "call",
    ) -> T:
        """Provided by the store."""
        raise NotImplementedError

    def _placement(self, spec: CollectionSpec) -> tuple[CollectionSpec, dict[str, Any]]:
        return spec, {}

    async def _create_physical(self, spec: CollectionSpec, storage: str) -> CollectionSpec:
        """Create ``storage`` with its payload indexes; the spec as placed (sharding)."""
        spec, placement = self._placement(spec)
        dense, sparse = collection_vectors(spec)
        await self.run(
            lambda c: c.create_collection(
                storage, vectors_config=dense, sparse_vectors_config=sparse, **placement
            ),
            collection=storage,
            idempotent=False,
            operation="create_collection",
        )
        try:
            for field in INDEXED_FIELDS:
                await self.run(
                    partial(keyword_index, name=storage, field=field),
                    operation="create_collection",
                )
        except Exception:
            await self._drop_quietly(storage)
            raise
        return spec

    async def _point_alias(self, alias: str, storage: str, *, replace: bool) -> None:
        """Point ``alias`` at ``storage`` in one alias update (atomic in Qdrant)."""
        actions: list[models.AliasOperations] = []
        if replace:
            actions.append(
                models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=alias))
            )
        actions.append(
            models.CreateAliasOperation(
                create_alias=models.CreateAlias(collection_name=storage, alias_name=alias)
            )
        )
        await self.run(
            lambda c: c.update_collection_aliases(change_aliases_operations=actions),
            collection=alias,
            operation="switch_alias",
        )

    # -- reindex: build beside, switch the alias ----------------------------------------------

    def check_switchable(self, spec: CollectionSpec) -> None:
        """Collections made before aliases (Qdrant collection named like the API) cannot move.

        An alias cannot take a name a Qdrant collection holds, so moving such a name means
        dropping its collection first: a gap in service this refuses to cause.
        """
        if not spec.storage:
            raise Conflict(
                f"collection {spec.name!r} predates Qdrant aliases: its Qdrant collection is "
                f"itself named {spec.name!r}, so the name cannot be switched without dropping "
                "it first (searches would fail meanwhile); create a new collection with the "
                "embedder you want and ingest again instead",
                field="name",
            )

    async def create_storage(self, spec: CollectionSpec, storage: str) -> None:
        """A fresh physical collection ``storage`` (a leftover one of that name is dropped)."""
        await self._check_free(storage)
        await self._drop_quietly(storage)
        await self._create_physical(spec, storage)

    async def drop_storage(self, storage: str) -> None:
        """Drop a physical collection no catalog entry serves; missing is fine."""
        await self._check_free(storage)
        await self._drop_quietly(storage)

    async def switch_storage(self, spec: CollectionSpec) -> None:
        """Move the alias ``spec.name`` to ``spec.storage`` (atomic), then record the spec.

        Between the two writes (milliseconds) another replica may still read the old spec;
        its searches use the physical name they read, so they stay consistent.
        """
        current = await self.catalog.get(spec.name)
        if current is None:
            raise NotFound(f"collection {spec.name!r} does not exist", field="collection")
        if current.physical == spec.physical:
            await self.catalog.put(spec)
            return
        self.check_switchable(current)
        await self._point_alias(spec.name, spec.physical, replace=True)
        try:
            await self.catalog.put(spec)
        except BaseException:  # the alias must follow the catalog: put it back
            with contextlib.suppress(Exception):
                await self._point_alias(spec.name, current.physical, replace=True)
            raise

    async def restore_aliases(self) -> None:
        """Point each catalog entry's alias at its physical collection (after a restore of
        snapshots, which carry collections but not aliases)."""
        for spec in await self.catalog.all():
            if spec.storage:
                await self._point_alias(spec.name, spec.storage, replace=True)

    async def _check_free(self, storage: str) -> None:
        if "." not in storage:
            raise ValueError(f"{storage!r} is not a physical collection name")
        for spec in await self.catalog.all():
            if spec.physical == storage:
                raise Conflict(f"{storage!r} serves collection {spec.name!r}", field="storage")

    async def _drop_quietly(self, name: str) -> None:
        try:
            await self.run(
                lambda c: c.delete_collection(name), collection=name, operation="delete_collection"
            )
        except Exception as exc:  # the original error matters more
            log.warning("qdrant_cleanup_failed", collection=name, error=str(exc))


async def keyword_index(client: AsyncQdrantClient, *, name: str, field: str) -> None:
    """Create a keyword payload index (an existing one counts as done)."""
    await client.create_payload_index(
        name, field, field_schema=models.PayloadSchemaType.KEYWORD, wait=True
    )
