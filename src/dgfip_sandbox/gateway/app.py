"""The gateway app factory: the APIM pipeline, the token endpoint and the sandbox routes, with the
APIs it is given (the composition root, ``dgfip_sandbox.assembly``, passes each business API's
``MountedApi``: its routers, scopes and injectable errors)."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from dgfip_sandbox.api_docs import install_api_docs
from dgfip_sandbox.clock import Clock, SystemClock
from dgfip_sandbox.franceconnect.checktoken_client import ChecktokenClient
from dgfip_sandbox.gateway import journal_endpoint, token_endpoint
from dgfip_sandbox.gateway.api_contract import ApiContract
from dgfip_sandbox.gateway.audit_middleware import AuditMiddleware
from dgfip_sandbox.gateway.error_handlers import install_error_handlers
from dgfip_sandbox.gateway.http_methods import HeadAsGet
from dgfip_sandbox.gateway.journal import JournalPolicy
from dgfip_sandbox.gateway.metrics import GatewayMetrics
from dgfip_sandbox.gateway.mounted_api import MountedApi
from dgfip_sandbox.gateway.openapi import build_documents
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

_DEFAULT_LIFESPAN = type(APIRouter().lifespan_context)
# No OpenTelemetry in the sandbox: FastAPI's native bridge (its `telemetry` option, where it has one) would look for a
# configured provider at every request. The gateway's metrics are its own (gateway/metrics.py).
NO_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


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
    metrics: GatewayMetrics | None = None,
) -> FastAPI:
    """``apis``: the business APIs (routers, scopes, errors, and the ``contract`` of their OpenAPI document).
    ``fc_transport``: an httpx transport for the checktoken client (tests reach FranceConnect in-process)."""
    clock = clock or SystemClock()
    configure_logging(settings.log_level, settings.log_format)
    # Served by the admin listener (admin/metrics.py), never on this public port.
    metrics = metrics or GatewayMetrics()
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
        description=(
            "La passerelle APIM du bac à sable DGFiP : jeton OAuth2 (client credentials, mTLS), API Impôt "
            "particulier, API FICOBA et les routes propres au bac à sable (x-sandbox)."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # the documents (and /docs) are served by _serve_documents, built by gateway/openapi.py
        redirect_slashes=False,  # a trailing slash is another path: 404, never a redirect
        **NO_TELEMETRY,
    )
    install_api_docs(app)
    app.state.metrics = metrics
    install_error_handlers(app)
    app.add_middleware(HeadAsGet)  # inside the audit layer: the audit records HEAD
    app.add_middleware(AuditMiddleware, state_getter=lambda: app.state.sandbox)

    app.include_router(health_router(tags=["APIM"], summary="État de la passerelle (sans authentification)"))

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

    include_routes(app, sandbox)
    include_routes(app, journal_endpoint.router)

    for api in apis:
        for router in api.routers:
            include_routes(app, router)
    _serve_documents(app, [api.contract for api in apis if api.contract is not None])
    return app


def include_routes(app: FastAPI, router: APIRouter) -> None:
    """``router``'s routes added to the app's own list, in order (the same route objects, so the same
    paths, operations and OpenAPI document): the app's router matches them directly, where an included
    router is matched twice per request through its inclusion context. A router that asks more of its
    inclusion (dependencies, events, a lifespan, a body limit, other kinds of routes) is included."""
    plain = (
        not router.dependencies
        and not router.on_startup
        and not router.on_shutdown
        and router.max_body_size is None
        and type(router.lifespan_context) is _DEFAULT_LIFESPAN
        and all(type(route) is GatewayRoute for route in router.routes)
    )
    if not plain:
        app.include_router(router)
        return
    app.router.routes.extend(router.routes)


def _serve_documents(app: FastAPI, contracts: Sequence[ApiContract]) -> None:
    """``/openapi.json`` (the whole gateway) and ``<prefix>/openapi.json`` (one API), unauthenticated."""
    documents: dict[str, dict[str, Any]] = {}

    def get_documents() -> dict[str, dict[str, Any]]:
        if not documents:
            documents.update(build_documents(app, contracts))
        return documents

    def openapi() -> dict[str, Any]:
        return get_documents()["/openapi.json"]

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to replace the document
    app.state.openapi_documents = get_documents

    for url in ["/openapi.json", *(contract.url for contract in contracts)]:

        async def serve(url: str = url) -> JSONResponse:
            return JSONResponse(get_documents()[url])

        app.add_api_route(url, serve, methods=["GET"], include_in_schema=False)

    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=app.title)

    app.add_api_route("/docs", swagger_ui, methods=["GET"], include_in_schema=False)
