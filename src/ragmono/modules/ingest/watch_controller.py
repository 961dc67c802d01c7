"""HTTP for watched folders: add, list and remove a collection's watches (``admin`` scope)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter
from msgspec import Meta

from .schemas import _Body
from .watch_folder import FolderWatch
from .watches import WatchService

__all__ = ["WatchController", "WatchIn", "WatchList", "WatchOut"]

Glob = Annotated[str, Meta(min_length=1, max_length=512)]


class WatchIn(_Body, frozen=True):
    path: Annotated[str, Meta(min_length=1, max_length=4096)]
    """A folder, absolute or relative to an allowed root, inside ``ingest.allowed_roots``."""
    patterns: Annotated[list[Glob], Meta(max_length=100)] = msgspec.field(default_factory=list)
    """Globs a file's path relative to the folder must match (empty: every supported file)."""
    ignore: Annotated[list[Glob], Meta(max_length=100)] = msgspec.field(default_factory=list)
    """Globs of paths relative to the folder never ingested."""


class WatchOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    collection: str
    path: str
    """As given; ``directory`` is where it resolved."""
    directory: str
    patterns: list[str]
    ignore: list[str]
    origin: str
    """``settings`` ([[ingest.watch]], not removable here) or ``api``."""
    running: bool
    """Whether this replica follows the folder (it holds the watch's lease)."""
    pending: int
    """Changed paths not yet searchable."""
    last_job_id: str | None
    """The latest sync job this watch submitted (see /api/v1/jobs)."""

    @classmethod
    def build(cls, watch: FolderWatch) -> WatchOut:
        """The watch as the API shows it."""
        spec = watch.spec
        return cls(
            id=spec.id,
            collection=spec.collection,
            path=spec.path,
            directory=spec.directory,
            patterns=list(spec.patterns),
            ignore=list(spec.ignore),
            origin=spec.origin,
            running=watch.running,
            pending=watch.pending,
            last_job_id=watch.last_job_id,
        )


class WatchList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[WatchOut]


CollectionPath = Annotated[
    str,
    PathParameter(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", description="Collection name.", title="name"
    ),
]
WatchPath = Annotated[str, PathParameter(pattern=r"^[0-9a-f]{16}$", description="Watch id.")]


class WatchController(Controller):
    """A collection's watched folders: changes are ingested as they happen."""

    path = "/collections/{name:str}/watches"
    tags = ["watches"]
    opt = {"scope": "admin"}  # a watch reads server folders for as long as it lives

    @post("/", summary="Watch a server folder (synced now, then followed)", status_code=201)
    async def add(
        self, data: JSONBody[WatchIn], watches: NamedDependency[WatchService], name: CollectionPath
    ) -> WatchOut:
        watch = await watches.add(name, data.path, patterns=data.patterns, ignore=data.ignore)
        return WatchOut.build(watch)

    @get("/", summary="The collection's watched folders")
    async def list_watches(
        self, watches: NamedDependency[WatchService], name: CollectionPath
    ) -> WatchList:
        return WatchList(items=[WatchOut.build(w) for w in watches.list(name)])

    @delete("/{watch_id:str}", summary="Stop watching a folder (its documents stay)")
    async def remove(
        self, watches: NamedDependency[WatchService], name: CollectionPath, watch_id: WatchPath
    ) -> None:
        await watches.remove(name, watch_id)
