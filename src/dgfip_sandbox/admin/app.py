"""The admin app: consumer administration API and developer portal, on 127.0.0.1:<admin_port>.

Two locks (admin/access.py): the TCP peer must be a loopback address (else 403, whatever the path), and every
request carries the admin bearer token (else 401); the portal's pages may carry it in a
``SameSite=Strict`` cookie set from ``/portal?token=…``, for reading only. Every change goes through
:class:`dgfip_sandbox.admin.service.ConsumerAdmin` (actor "api"), which audits it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request

from dgfip_sandbox.admin import franceconnect_api, portal, testdata
from dgfip_sandbox.admin.access import LoopbackOnly, require_admin
from dgfip_sandbox.admin.credential import ensure_admin_token
from dgfip_sandbox.admin.errors import HttpRefusal, InvalidAdminRequest, RouteNotFound
from dgfip_sandbox.admin.metrics import metrics_router
from dgfip_sandbox.admin.service import ConsumerAdmin, NewConsumer
from dgfip_sandbox.admin.state import AdminState, admin_state
from dgfip_sandbox.api_docs import install_api_docs
from dgfip_sandbox.clock import Clock, SystemClock
from dgfip_sandbox.envelope import install_envelope
from dgfip_sandbox.errors import ApiError
from dgfip_sandbox.gateway.metrics import GatewayMetrics
from dgfip_sandbox.gateway.quota import QuotaStore
from dgfip_sandbox.gateway.scenario_errors import ScenarioErrors
from dgfip_sandbox.health import health_router
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.database import create_engine, create_sessionmaker

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
    # None: the tier of every API; "impot_particulier" or "ficoba": that API's tier (DataPass's tiers for it).
    api: str | None = None


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


@api.put(
    "/consumers/{name}/quota", summary="Palier de quota (200, 500 ou 750 appels/minute ; par API, les paliers DataPass)"
)
async def set_quota(admin: Admin, name: str, body: QuotaBody) -> dict[str, Any]:
    return await admin.set_quota(name, body.quota_per_minute, body.api)


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


def _now(request: Request) -> datetime:
    return admin_state(request).clock.now()


def _http_error(request: Request, exc: StarletteHTTPException) -> ApiError:
    if exc.status_code == 404:
        return RouteNotFound(f"{request.method} {request.url.path}")
    return HttpRefusal(exc.status_code, str(exc.detail))


def create_admin_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    quota_store: QuotaStore | None = None,
    gateway_openapi: dict[str, Any] | None = None,
    scenario_errors: ScenarioErrors | None = None,
    metrics: GatewayMetrics | None = None,
) -> FastAPI:
    """The admin API and portal. Pass the gateway's quota store when both run in one process
    (the portal then shows the quota used now), its OpenAPI document (else one is built) and the
    codes its scenarios may inject (else only the gateway's own 500 and 503)."""
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
            scenario_errors=scenario_errors or ScenarioErrors(),
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
    install_envelope(
        app,
        now=_now,
        http_error=_http_error,
        invalid_request=InvalidAdminRequest,
        unexpected_logger="dgfip_sandbox.admin",
    )
    app.include_router(health_router(tags=["administration"]))
    app.include_router(api)
    app.include_router(franceconnect_api.build_router(require_admin))
    app.include_router(testdata.router)
    app.include_router(portal.build_router(settings, gateway_openapi))
    # The gateway's metrics, never on its public port (admin/metrics.py): loopback peers, no token.
    app.include_router(metrics_router(metrics))
    app.add_middleware(LoopbackOnly, clock=clock, allowed=tuple(settings.admin_allowed_ips))
    return app
