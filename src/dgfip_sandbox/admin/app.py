"""The admin app: consumer administration API and developer portal, on 127.0.0.1:<admin_port>.

Two locks: the TCP peer must be a loopback address (else 403, whatever the path), and every
request carries the admin bearer token (else 401); the portal's pages may carry it in a
``SameSite=Strict`` cookie set from ``/portal?token=…``, for reading only. Every change goes through
:class:`dgfip_sandbox.admin.service.ConsumerAdmin` (actor "api"), which audits it.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from dgfip_sandbox.admin.credential import ensure_admin_token, token_matches
from dgfip_sandbox.admin.errors import AdminForbidden, AdminUnauthorized, InvalidAdminRequest, RouteNotFound
from dgfip_sandbox.admin.service import ConsumerAdmin, NewConsumer
from dgfip_sandbox.api_docs import install_api_docs
from dgfip_sandbox.clock import Clock, SystemClock
from dgfip_sandbox.errors import ApiError, InternalError
from dgfip_sandbox.gateway.quota import QuotaStore
from dgfip_sandbox.health import health_router
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.database import create_engine, create_sessionmaker

COOKIE = "dgfip_sandbox_admin"


@dataclass
class AdminState:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    quota: QuotaStore | None
    token: str

    def service(self) -> ConsumerAdmin:
        return ConsumerAdmin(self.settings, self.sessionmaker, clock=self.clock, quota=self.quota, actor="api")


def is_loopback(address: str | None) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def in_networks(address: str | None, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


class LoopbackOnly:
    """Refuses (403, in the envelope) any request whose TCP peer is neither a loopback address nor in
    ``allowed`` (``admin_allowed_ips``: in a container, the bridge address host clients arrive from)."""

    def __init__(self, app: ASGIApp, clock: Clock, allowed: tuple[str, ...] = ()) -> None:
        self.app = app
        self.clock = clock
        self.allowed = tuple(ipaddress.ip_network(cidr, strict=False) for cidr in allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            peer = (scope.get("client") or (None,))[0]
            if not is_loopback(peer) and not in_networks(peer, self.allowed):
                error = AdminForbidden(
                    f"l'administration n'est ouverte qu'à la machine locale (adresse {peer or 'inconnue'})"
                )
                body = json.dumps(error.envelope(self.clock.now()), ensure_ascii=False).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 403,
                        "headers": [
                            (b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def admin_state(request: Request) -> AdminState:
    return request.app.state.admin


def require_admin(request: Request) -> ConsumerAdmin:
    state = admin_state(request)
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    presented = value.strip() if scheme.lower() == "bearer" else ""
    if not presented and request.method in ("GET", "HEAD"):
        presented = request.cookies.get(COOKIE, "")
    if not presented:
        raise AdminUnauthorized(
            "jeton d'administration absent (en-tête Authorization: Bearer <jeton>, voir var/credentials.json)"
        )
    if not token_matches(presented, state.token):
        raise AdminUnauthorized("jeton d'administration incorrect")
    return state.service()


Admin = Annotated[ConsumerAdmin, Depends(require_admin)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddConsumerBody(Strict):
    name: str = Field(max_length=64)
    organisation: str = Field(max_length=200)
    application: str = Field(default="Application", max_length=200)
    oauth_scopes: list[str] = Field(default_factory=list, max_length=100)
    datapass_scopes: list[str] = Field(default_factory=list, max_length=200)
    allowed_ips: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1/128"], max_length=50)
    quota_per_minute: int = 200
    id_teleservice: str | None = Field(default=None, max_length=100)
    siret: str | None = Field(default=None, max_length=14)
    ficoba_modalities: list[str] = Field(default_factory=list, max_length=50)
    ficoba_motifs: list[str] = Field(default_factory=list, max_length=50)
    sandbox_options: list[str] = Field(default_factory=lambda: ["scenarios"], max_length=10)
    issue_certificate: bool = True


class GrantBody(Strict):
    datapass_scopes: list[str] = Field(default_factory=list, max_length=200)
    oauth_scopes: list[str] = Field(default_factory=list, max_length=100)
    modalities: list[str] = Field(default_factory=list, max_length=50)
    motifs: list[str] = Field(default_factory=list, max_length=50)
    remove: bool = False


class QuotaBody(Strict):
    quota_per_minute: int


class ScenarioBody(Strict):
    scenario: str | None = Field(default=None, max_length=200)


class CertificateBody(Strict):
    revoke_previous: bool = False


class RevokeBody(Strict):
    fingerprint_sha256: str | None = Field(default=None, max_length=100)


api = APIRouter(prefix="/api", tags=["Administration"])


@api.get("/consumers", summary="Les partenaires")
async def list_consumers(admin: Admin) -> dict[str, Any]:
    return {"consumers": await admin.list_consumers()}


@api.post(
    "/consumers", status_code=201, summary="Enregistrer un partenaire (secret et certificat renvoyés une seule fois)"
)
async def add_consumer(admin: Admin, body: AddConsumerBody) -> dict[str, Any]:
    return await admin.add(NewConsumer(**body.model_dump()))


@api.get("/consumers/{name}", summary="Un partenaire, ses certificats et son quota consommé")
async def show_consumer(admin: Admin, name: str) -> dict[str, Any]:
    return await admin.show(name)


@api.post("/consumers/{name}/disable", summary="Désactiver un partenaire")
async def disable_consumer(admin: Admin, name: str) -> dict[str, Any]:
    return await admin.set_active(name, False)


@api.post("/consumers/{name}/enable", summary="Réactiver un partenaire")
async def enable_consumer(admin: Admin, name: str) -> dict[str, Any]:
    return await admin.set_active(name, True)


@api.post(
    "/consumers/{name}/grants", summary="Accorder (ou retirer) scopes DataPass, scopes OAuth, modalités et motifs"
)
async def grant(admin: Admin, name: str, body: GrantBody) -> dict[str, Any]:
    return await admin.grant(
        name,
        datapass_scopes=body.datapass_scopes,
        oauth_scopes=body.oauth_scopes,
        modalities=body.modalities,
        motifs=body.motifs,
        remove=body.remove,
    )


@api.put("/consumers/{name}/quota", summary="Palier de quota (200, 500 ou 750 appels/minute)")
async def set_quota(admin: Admin, name: str, body: QuotaBody) -> dict[str, Any]:
    return await admin.set_quota(name, body.quota_per_minute)


@api.post("/consumers/{name}/quota/reset", summary="Remettre à zéro le compteur de la minute")
async def reset_quota(admin: Admin, name: str) -> dict[str, Any]:
    await admin.reset_quota(name)
    return {"name": name, "reset": True}


@api.put("/consumers/{name}/scenario", summary="Scénario permanent (syntaxe de X-Sandbox-Scenario ; null l'efface)")
async def set_scenario(admin: Admin, name: str, body: ScenarioBody) -> dict[str, Any]:
    return await admin.set_scenario(name, body.scenario)


@api.post("/consumers/{name}/secret", summary="Renouveler le secret client (renvoyé une seule fois)")
async def rotate_secret(admin: Admin, name: str) -> dict[str, Any]:
    return await admin.rotate_secret(name)


@api.post("/consumers/{name}/certificates", status_code=201, summary="Émettre un certificat client (ou le renouveler)")
async def issue_certificate(
    admin: Admin, name: str, body: Annotated[CertificateBody | None, Body()] = None
) -> dict[str, Any]:
    return await admin.issue_certificate(name, revoke_previous=bool(body and body.revoke_previous))


@api.post(
    "/consumers/{name}/certificates/revoke", summary="Révoquer un certificat (ou tous ceux en vigueur) ; la CRL suit"
)
async def revoke_certificate(
    admin: Admin, name: str, body: Annotated[RevokeBody | None, Body()] = None
) -> dict[str, Any]:
    return await admin.revoke_certificate(name, body.fingerprint_sha256 if body else None)


@api.get("/consumers/{name}/journal", summary="Le journal des appels d'un partenaire")
async def consumer_journal(
    admin: Admin,
    name: str,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    since_id: Annotated[int | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    return {"consumer": name, "entries": await admin.journal(name, limit=limit, since_id=since_id)}


@api.get("/events", summary="La trace des opérations d'administration")
async def events(
    admin: Admin, consumer: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    return {"events": await admin.events(consumer=consumer, limit=limit)}


@api.post("/reset", summary="Remettre le bac à sable dans son état initial")
async def reset(admin: Admin) -> dict[str, Any]:
    return await admin.reset()


def _install_error_handlers(app: FastAPI) -> None:
    def respond(request: Request, error: ApiError) -> JSONResponse:
        return JSONResponse(
            error.envelope(admin_state(request).clock.now()), status_code=error.status_code, headers=error.headers
        )

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return respond(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return respond(request, RouteNotFound(f"{request.method} {request.url.path}"))
        error = InvalidAdminRequest(str(exc.detail))
        error.status_code = exc.status_code  # type: ignore[misc]
        error.code = exc.status_code  # type: ignore[misc]
        return respond(request, error)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:5]:
            location = ".".join(str(p) for p in err.get("loc", ()))
            parts.append(f"{location} : {err.get('msg', 'invalide')}")
        return respond(request, InvalidAdminRequest("; ".join(parts)))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        import structlog

        structlog.get_logger("dgfip_sandbox.admin").exception("admin_unhandled_error", path=request.url.path)
        return respond(request, InternalError())


def create_admin_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    quota_store: QuotaStore | None = None,
    gateway_openapi: dict[str, Any] | None = None,
) -> FastAPI:
    """The admin API and portal. Pass the gateway's quota store when both run in one process
    (the portal then shows the quota used now) and its OpenAPI document (else one is built)."""
    clock = clock or SystemClock()
    token = ensure_admin_token(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.sqlalchemy_url, pool_size=2)
        app.state.admin = AdminState(
            settings=settings,
            clock=clock,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            quota=quota_store,
            token=token,
        )
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title="Bac à sable DGFiP — administration",
        version="1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_api_docs(app)
    _install_error_handlers(app)
    app.include_router(health_router(tags=["administration"]))
    app.include_router(api)
    from dgfip_sandbox.admin import portal

    app.include_router(portal.build_router(settings, gateway_openapi))
    app.add_middleware(LoopbackOnly, clock=clock, allowed=tuple(settings.admin_allowed_ips))
    return app
