"""API Impôt particulier, FranceConnect routes: the SPI routes' twins without ``/spi/{spi}``.

Same pipeline, OAuth scope, media type and DataPass filtering as the SPI routes; the SPI comes from
the FranceConnect token (``X-FranceConnect-OAuth``) through ``franceconnect.resolve``, and the fields
from the intersection of the user's consent and the consumer's DataPass scopes. The routes are
declared from the SPI routes' table (router.RESOURCES).
"""

# No "from __future__ import annotations" here: the handlers built in _handler need their
# annotations evaluated where they are defined (the route scope is a local variable).
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response

from dgfip_sandbox.apis.impot_particulier import franceconnect
from dgfip_sandbox.apis.impot_particulier.router import (
    RESOURCES,
    AnnrevParam,
    TeleserviceHeader,
    _protected,
    _responses,
    answer,
    error,
    openapi_parameters,
)
from dgfip_sandbox.gateway.context import CallerContext
from dgfip_sandbox.gateway.pipeline import Caller, GatewayRoute

router = APIRouter(prefix="/impotparticulier/1.0", tags=["Impôt Particulier (FranceConnect)"], route_class=GatewayRoute)

# Optional for FastAPI (its absence is DGFIP's 400 4008), required in the document.
FranceConnectHeader = Annotated[str | None, Header(alias=franceconnect.HEADER, include_in_schema=False)]
FRANCECONNECT_PARAMETER = {
    "name": franceconnect.HEADER,
    "in": "header",
    "required": True,
    "description": "Jeton de consentement France Connect",
    "schema": {"type": "string"},
}


def _fc_responses(media_type: str) -> dict[int | str, dict[str, Any]]:
    responses = _responses(media_type)
    responses[400]["description"] += " ; 4008 : jeton FranceConnect absent"
    responses[401] = error("4011 : jeton FranceConnect invalide ou expiré")
    responses[403]["description"] += " ; 4032 : aucune donnée DGFiP consentie ; 4033 : autre fournisseur de service"
    responses[404] = error("4041 : aucun déclarant unique pour cette identité")
    responses[502] = error("5021 : FranceConnect injoignable")
    return responses


def _handler(scope: str, media_type: str, produce: Callable[..., Awaitable[Any]], *, with_year: bool) -> Any:
    async def serve(
        request: Request, caller: CallerContext, id_teleservice: str | None, annrev: str | None
    ) -> Response:
        fc = await franceconnect.resolve(request, caller)
        year = {"annrev": annrev} if with_year else {}
        return await answer(
            request,
            caller,
            id_teleservice=id_teleservice,
            media_type=media_type,
            spi=fc.spi,
            scopes=fc.scopes,
            produce=lambda session, scopes, now: produce(session, spi=fc.spi, scopes=scopes, now=now, **year),
            memo=(produce, fc.spi, annrev),
        )

    if with_year:

        async def with_annrev(
            request: Request,
            annrev: AnnrevParam,
            caller: Caller,
            x_franceconnect_oauth: FranceConnectHeader = None,
            id_teleservice: TeleserviceHeader = None,
        ) -> Response:
            return await serve(request, caller, id_teleservice, annrev)

        return _protected(scope)(with_annrev)

    async def without_annrev(
        request: Request,
        caller: Caller,
        x_franceconnect_oauth: FranceConnectHeader = None,
        id_teleservice: TeleserviceHeader = None,
    ) -> Response:
        return await serve(request, caller, id_teleservice, None)

    return _protected(scope)(without_annrev)


# The SPI routes' table: same path without /spi/{spi}, operationId …V1 → …FCV1.
for _path, _spi_operation_id, _summary, _scope, _media_type, _produce in RESOURCES:
    _operation_id = _spi_operation_id.removesuffix("V1") + "FCV1"
    router.add_api_route(
        _path,
        _handler(_scope, _media_type, _produce, with_year="{annrev}" in _path),
        methods=["GET"],
        operation_id=_operation_id,
        summary=_operation_id,
        response_class=Response,
        responses=_fc_responses(_media_type),
        openapi_extra=openapi_parameters(FRANCECONNECT_PARAMETER),
    )
