"""HTTP for reindexing a collection with another embedder, and for its retained old data."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Response, delete, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter
from msgspec import Meta

from ragmono.modules.ingest import JobAccepted

from .service import ReindexService

__all__ = ["ReindexController", "ReindexIn"]

CollectionPath = Annotated[
    str,
    PathParameter(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", description="Collection name.", title="name"
    ),
]
StoragePath = Annotated[
    str,
    PathParameter(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,62}(\.[a-z0-9]{1,32})?$",
        description="A retained physical collection, as listed in the collection's `retained`.",
        title="storage",
    ),
]


class ReindexIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    embedder: Annotated[
        str,
        Meta(
            min_length=3,
            max_length=200,
            pattern=r"^[A-Za-z0-9_.-]+/\S+$",
            description="The embedder to rebuild with, as `provider/model`.",
            examples=["ollama/nomic-embed-text", "local/all-MiniLM-L6-v2"],
        ),
    ]


class ReindexController(Controller):
    """Rebuild a collection with another embedder without downtime."""

    path = "/collections/{name:str}"
    tags = ["collections"]

    @post(
        "/reindex",
        summary="Rebuild with another embedder in the background, then switch (a job)",
        status_code=202,
        opt={"scope": "ingest"},
    )
    async def reindex(
        self,
        data: JSONBody[ReindexIn],
        reindex: NamedDependency[ReindexService],
        name: CollectionPath,
    ) -> Response[JobAccepted]:
        accepted = await reindex.start(name, data.embedder)
        return Response(accepted, status_code=202, headers={"Location": accepted.location})

    @delete(
        "/retained/{storage:str}",
        summary="Delete the old data a reindex kept (before its retention ends)",
        opt={"scope": "admin"},
    )
    async def drop_retained(
        self,
        reindex: NamedDependency[ReindexService],
        name: CollectionPath,
        storage: StoragePath,
    ) -> None:
        await reindex.drop_retained(name, storage)
