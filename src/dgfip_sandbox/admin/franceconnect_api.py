"""The admin API's FranceConnect routes: service providers, the consumer ↔ FS link, test identities.

Same locks as every admin route (loopback peer, admin bearer token): the router is built with the
app's admin dependency. Every operation is :class:`dgfip_sandbox.admin.franceconnect.FranceConnectAdmin`
(actor "api"), which validates and audits it.
"""

# No "from __future__ import annotations": the routes built in build_router need their annotations
# evaluated where they are defined (the Admin dependency is a local of build_router).
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from dgfip_sandbox.admin.franceconnect import FranceConnectAdmin, NewIdentity, NewServiceProvider


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddServiceProviderBody(_Strict):
    name: str = Field(max_length=64)
    redirect_uris: list[str] = Field(min_length=1, max_length=20)
    post_logout_redirect_uris: list[str] = Field(default_factory=list, max_length=20)
    title: str | None = Field(default=None, max_length=200)
    alg: str = Field(default="ES256", max_length=10)
    auth: str = Field(default="client_secret_post", max_length=40)
    jwks_uri: str | None = Field(default=None, max_length=2000)
    scopes: list[str] = Field(default_factory=lambda: ["openid", "identite_pivot"], max_length=100)
    private: bool = False


class LinkBody(_Strict):
    fs: str = Field(max_length=64)


class AddIdentityBody(_Strict):
    login: str = Field(max_length=60)
    spi: str | None = Field(default=None, max_length=13)
    given_name: str | None = Field(default=None, max_length=200)
    family_name: str | None = Field(default=None, max_length=100)
    birthdate: str | None = Field(default=None, max_length=10)
    gender: str | None = Field(default=None, max_length=6)
    birthplace: str | None = Field(default=None, max_length=5)
    birthcountry: str | None = Field(default=None, max_length=5)
    email: str | None = Field(default=None, max_length=200)
    preferred_username: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=300)


def build_router(require_admin: Callable[..., Any]) -> APIRouter:
    """The routes, behind ``require_admin`` (the app's authentication dependency)."""

    def service(request: Request, _admin: Annotated[Any, Depends(require_admin)]) -> FranceConnectAdmin:
        state = request.app.state.admin
        return FranceConnectAdmin(state.settings, state.sessionmaker, clock=state.clock, actor="api")

    Admin = Annotated[FranceConnectAdmin, Depends(service)]
    router = APIRouter(prefix="/api", tags=["Administration FranceConnect"])

    @router.get("/franceconnect/service-providers", summary="Les fournisseurs de service FranceConnect")
    async def list_service_providers(admin: Admin) -> dict[str, Any]:
        return {"service_providers": await admin.list_fs()}

    @router.post(
        "/franceconnect/service-providers",
        status_code=201,
        summary="Enregistrer un fournisseur de service (secret renvoyé une seule fois)",
    )
    async def add_service_provider(admin: Admin, body: AddServiceProviderBody) -> dict[str, Any]:
        return await admin.add_fs(NewServiceProvider(**body.model_dump()))

    @router.get("/franceconnect/service-providers/{name}", summary="Un fournisseur de service")
    async def show_service_provider(admin: Admin, name: str) -> dict[str, Any]:
        return await admin.show_fs(name)

    @router.delete("/franceconnect/service-providers/{name}", summary="Retirer un fournisseur de service")
    async def remove_service_provider(admin: Admin, name: str) -> dict[str, Any]:
        return await admin.remove_fs(name)

    @router.put(
        "/consumers/{name}/service-provider",
        summary="Lier un partenaire à un fournisseur de service : ses routes FranceConnect acceptent ses jetons",
    )
    async def link_service_provider(admin: Admin, name: str, body: LinkBody) -> dict[str, Any]:
        return await admin.link_fs(name, body.fs)

    @router.get("/franceconnect/identities", summary="Les identités de test du fournisseur d'identité")
    async def list_identities(admin: Admin) -> dict[str, Any]:
        return {"identities": await admin.list_identities()}

    @router.post("/franceconnect/identities", status_code=201, summary="Ajouter une identité de test")
    async def add_identity(admin: Admin, body: AddIdentityBody) -> dict[str, Any]:
        return await admin.add_identity(NewIdentity(**body.model_dump()))

    @router.delete("/franceconnect/identities/{login}", summary="Retirer une identité de test")
    async def remove_identity(admin: Admin, login: str) -> dict[str, Any]:
        return await admin.remove_identity(login)

    return router
