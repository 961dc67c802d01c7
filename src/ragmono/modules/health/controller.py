"""GET /health (liveness) and GET /ready (readiness), outside /api/v1 and outside auth."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from .service import HealthService, Readiness


class Liveness(msgspec.Struct, frozen=True):
    status: str


_ALIVE = Liveness(status="ok")


class HealthController(Controller):
    """Probes for orchestrators and load balancers."""

    tags = ["health"]

    @get("/health", summary="Liveness: the process answers", cache=False)
    async def health(self) -> Liveness:
        return _ALIVE

    @get(
        "/ready",
        summary="Readiness: every required dependency is reachable",
        cache=False,
        responses={
            503: ResponseSpec(
                data_container=Readiness,
                generate_examples=False,
                description="Not ready: a required dependency is unreachable (same body).",
            )
        },
    )
    async def ready(self, health: NamedDependency[HealthService]) -> Response[Readiness]:
        state = await health.readiness()
        return Response(state, status_code=200 if state.ready else 503)
