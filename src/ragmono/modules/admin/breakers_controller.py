"""HTTP for /api/v1/admin/breakers: read and reset the dependency circuit breakers."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from ragmono.domain import BreakerSnapshot

from .breakers_service import BreakerService


class BreakerList(msgspec.Struct, frozen=True):
    """Every circuit breaker of this process."""

    items: list[BreakerSnapshot]


class BreakerController(Controller):
    """List breakers and force one closed after fixing its dependency."""

    path = "/admin/breakers"
    tags = ["admin"]
    opt = {"scope": "admin"}  # every route here needs the admin scope (see README, Auth)

    @get("/", summary="Every circuit breaker's state", cache=False)
    async def list_all(self, breakers: NamedDependency[BreakerService]) -> BreakerList:
        return BreakerList(items=breakers.list())

    @post("/{name:str}/reset", status_code=200, summary="Force a circuit breaker closed")
    async def reset(
        self, name: FromPath[str], breakers: NamedDependency[BreakerService]
    ) -> BreakerSnapshot:
        return breakers.reset(name)
