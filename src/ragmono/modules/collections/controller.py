"""HTTP for /api/v1/collections: translate bodies, call one service method, shape the reply."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from .schemas import (
    ChunkingIn,
    CollectionCreate,
    CollectionList,
    CollectionName,
    CollectionOut,
    CollectionPatch,
)
from .service import ChunkingChange, CollectionService

NamePath = Parameter(
    pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", description="Collection name.", title="name"
)


def _chunking(value: ChunkingIn | None) -> ChunkingChange | None:
    if value is None:
        return None
    return ChunkingChange(chunk_size=value.chunk_size, chunk_overlap=value.chunk_overlap)


class CollectionController(Controller):
    """Create, list, describe, change and drop collections."""

    path = "/collections"
    tags = ["collections"]

    @post("/", status_code=201, summary="Create a collection", opt={"scope": "ingest"})
    async def create(
        self, data: JSONBody[CollectionCreate], collections: NamedDependency[CollectionService]
    ) -> CollectionOut:
        spec = await collections.create(
            data.name,
            description=data.description,
            dimensions=data.dimensions,
            distance=data.distance,
            chunking=_chunking(data.chunking),
        )
        return CollectionOut.build(spec, None)

    @get("/", summary="List collections with stats", opt={"scope": "search"})
    async def list_all(self, collections: NamedDependency[CollectionService]) -> CollectionList:
        return CollectionList(
            items=[
                CollectionOut.build(item.spec, item.stats, damage=item.damage)
                for item in await collections.list_with_status()
            ]
        )

    @get("/{name:str}", summary="Describe a collection", opt={"scope": "search"})
    async def get_one(
        self, collections: NamedDependency[CollectionService], name: CollectionName = NamePath
    ) -> CollectionOut:
        spec, stats = await collections.get_with_stats(name)
        return CollectionOut.build(spec, stats)

    @patch("/{name:str}", summary="Change description or chunking", opt={"scope": "ingest"})
    async def update(
        self,
        data: JSONBody[CollectionPatch],
        collections: NamedDependency[CollectionService],
        name: CollectionName = NamePath,
    ) -> CollectionOut:
        spec = await collections.update(
            name, description=data.description, chunking=_chunking(data.chunking)
        )
        return CollectionOut.build(spec, None)

    @delete(
        "/{name:str}", summary="Drop a collection and all of its documents", opt={"scope": "admin"}
    )
    async def remove(
        self, collections: NamedDependency[CollectionService], name: CollectionName = NamePath
    ) -> None:
        await collections.delete(name)
