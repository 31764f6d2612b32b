"""``GET /metrics`` on the admin listener (127.0.0.1, loopback peers only): the gateway's Prometheus
metrics name every consumer with its call counts, so they are never served on the public gateway
port. The admin app serves them beside its API; a replica started with ``--no-admin`` serves this
one route alone on the same listener (``metrics_app``)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import Response

from dgfip_sandbox.admin.access import LoopbackOnly
from dgfip_sandbox.clock import Clock
from dgfip_sandbox.gateway.metrics import GatewayMetrics


def metrics_router(metrics: GatewayMetrics | None) -> APIRouter:
    """``metrics``: the gateway's (same process); None renders what the multiprocess directory holds."""
    router = APIRouter(include_in_schema=False)

    @router.get("/metrics")
    async def prometheus_metrics() -> Response:
        body, content_type = (metrics or GatewayMetrics()).render()
        return Response(body, media_type=content_type)

    return router


def metrics_app(metrics: GatewayMetrics | None, *, clock: Clock) -> FastAPI:
    """The admin listener of a replica without the admin app: ``/metrics`` only, loopback only."""
    app = FastAPI(title="Bac à sable DGFiP — métriques", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(metrics_router(metrics))
    app.add_middleware(LoopbackOnly, clock=clock)
    return app
