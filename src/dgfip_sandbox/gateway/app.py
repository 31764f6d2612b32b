"""The gateway app factory: the APIM pipeline, the token endpoint and the sandbox routes, with the
APIs it is given (the composition root, ``dgfip_sandbox.assembly``, passes each business API's
``MountedApi``: its routers, scopes and injectable errors)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response

from dgfip_sandbox.api_docs import install_api_docs
from dgfip_sandbox.clock import Clock, SystemClock
from dgfip_sandbox.franceconnect.checktoken_client import ChecktokenClient
from dgfip_sandbox.gateway import journal_endpoint, token_endpoint
from dgfip_sandbox.gateway.audit_middleware import AuditMiddleware
from dgfip_sandbox.gateway.error_handlers import install_error_handlers
from dgfip_sandbox.gateway.http_methods import HeadAsGet
from dgfip_sandbox.gateway.journal import JournalPolicy
from dgfip_sandbox.gateway.metrics import GatewayMetrics
from dgfip_sandbox.gateway.mounted_api import MountedApi
from dgfip_sandbox.gateway.pipeline import Caller, GatewayRoute, protected
from dgfip_sandbox.gateway.quota import MemoryQuotaStore, QuotaStore
from dgfip_sandbox.gateway.scenario_errors import ScenarioErrors
from dgfip_sandbox.gateway.state import GatewayState, TrustMaterial
from dgfip_sandbox.gateway.tokens import TokenService, load_or_create_signing_key
from dgfip_sandbox.gateway.trusted_proxies import TrustedProxies
from dgfip_sandbox.health import health_router
from dgfip_sandbox.logs import configure_logging
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store import audit as audit_store
from dgfip_sandbox.store.audit import AuditWriter
from dgfip_sandbox.store.changes import open_change_counter
from dgfip_sandbox.store.database import create_engine, create_sessionmaker


def signing_key_path(settings: Settings) -> Path:
    return settings.var_dir / "keys" / "gateway-signing-key.jwk.json"


def create_gateway_app(
    settings: Settings,
    *,
    apis: Sequence[MountedApi] = (),
    clock: Clock | None = None,
    quota_store: QuotaStore | None = None,
    sleeper: Callable[[float], Awaitable[None]] | None = None,
    fc_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """``fc_transport``: an httpx transport for the checktoken client (tests reach FranceConnect in-process)."""
    clock = clock or SystemClock()
    configure_logging(settings.log_level, settings.log_format)
    metrics = GatewayMetrics()
    scenario_errors = ScenarioErrors.of(apis)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.sqlalchemy_url, pool_size=settings.database_pool_size)
        sessionmaker = create_sessionmaker(engine)
        writer = AuditWriter(sessionmaker)
        state = GatewayState(
            settings=settings,
            clock=clock,
            engine=engine,
            sessionmaker=sessionmaker,
            trust_material=TrustMaterial(settings),
            tokens=TokenService(
                load_or_create_signing_key(signing_key_path(settings)),
                issuer=settings.gateway_token_issuer,
                ttl_seconds=settings.token_ttl_seconds,
            ),
            quota=quota_store or MemoryQuotaStore(),
            audit=writer,
            trusted_proxies=TrustedProxies(settings.trusted_proxies),
            checktoken=ChecktokenClient(settings, transport=fc_transport),
            apis=tuple(apis),
            scenario_errors=scenario_errors,
            metrics=metrics,
            journal_contract=lambda: JournalPolicy.from_contract(
                app.openapi(), [schema for api in apis for schema in api.request_schemas]
            ),
            changes=open_change_counter(engine.url),
        )
        if sleeper is not None:
            state.sleep = sleeper
        app.state.sandbox = state
        await writer.start()
        try:
            yield
        finally:
            await state.checktoken.aclose()
            await writer.stop()
            await state.changes.close()
            await state.quota.close()
            await engine.dispose()

    app = FastAPI(
        title="Bac à sable DGFiP — passerelle APIM",
        version="1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # a trailing slash is another path: 404, never a redirect
    )
    install_api_docs(app)
    install_error_handlers(app)
    app.add_middleware(HeadAsGet)  # inside the audit layer: the audit records HEAD
    app.add_middleware(AuditMiddleware, state_getter=lambda: app.state.sandbox)

    app.include_router(health_router(tags=["APIM"]))

    @app.get("/metrics", tags=["APIM"], summary="Métriques Prometheus (à ne pas exposer hors du réseau d'exploitation)")
    async def prometheus_metrics() -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    @app.get("/.well-known/jwks.json", tags=["APIM"], summary="Clés publiques des jetons d'accès")
    async def jwks() -> JSONResponse:
        return JSONResponse(app.state.sandbox.tokens.jwks())

    app.include_router(token_endpoint.router)

    sandbox = APIRouter(route_class=GatewayRoute)

    @sandbox.get("/sandbox/audit", tags=["Bac à sable"], summary="Les traces d'audit du partenaire appelant")
    @protected(api="sandbox")
    async def my_audit_records(caller: Caller, limit: int = 100) -> dict[str, Any]:
        async with app.state.sandbox.sessionmaker() as session:
            records = await audit_store.list_for_consumer(session, caller.consumer.id, limit=min(max(limit, 1), 1000))
        return {"consumer": caller.consumer.name, "records": [audit_store.record_as_dict(r) for r in records]}

    app.include_router(sandbox)
    app.include_router(journal_endpoint.router)

    for api in apis:
        for router in api.routers:
            app.include_router(router)
    return app
