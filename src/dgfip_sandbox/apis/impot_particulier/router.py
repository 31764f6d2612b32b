"""API Impôt particulier, SPI routes (``/impotparticulier/1.0/spi/{spi}/…``), as DGFIP's swagger names them.

Each handler: the APIM gateway pipeline with the route's OAuth scope (``protected``) → Accept
negotiation (406) → ``ID_Teleservice`` (403 4031) → the service function with the consumer's DataPass
scopes and the injected clock → the body under the resource's vendor media type. Path values are
taken as strings and validated by the service, so a malformed SPI or year gets DGFIP's 400 envelope
(4001/4002/4007), never FastAPI's 422. ``answer`` is shared with the FranceConnect variant of the routes.
"""

# No "from __future__ import annotations" here: the handlers built by _spi_handler need their
# annotations evaluated where they are defined (the route scope is a local variable).

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.apis.impot_particulier import models, service
from dgfip_sandbox.apis.impot_particulier.calendar import paris_today
from dgfip_sandbox.apis.impot_particulier.negotiation import negotiate
from dgfip_sandbox.apis.impot_particulier.scopes import OAuthScope
from dgfip_sandbox.apis.impot_particulier.teleservice import HEADER as ID_TELESERVICE
from dgfip_sandbox.apis.impot_particulier.teleservice import check_teleservice
from dgfip_sandbox.errors import ApiError, ReponseErreurApim
from dgfip_sandbox.gateway.api_contract import response
from dgfip_sandbox.gateway.context import CallerContext
from dgfip_sandbox.gateway.pipeline import Caller, GatewayRoute, protected
from dgfip_sandbox.store import changes

API = "impot_particulier"

ASSIETTES = "application/prs.dgfip.part.situations.ir.assiettes.v1+json"
FACTURES = "application/prs.dgfip.part.situations.ir.factures.v1+json"
DERNIERE = "application/prs.dgfip.part.derniere.situations.ir.assiettes.v1+json"
MULTIPLE = "application/prs.dgfip.part.situations.ir.assiettes.multiple.v1+json"
IFI = "application/prs.dgfip.situations.ifiisf.assiettes.v1+json"
TH = "application/prs.dgfip.part.situations.th.assiettes.v1+json"
LEP = "application/prs.dgfip.part.ouverturelep.v1+json"

# The published response schema of each media type (the deuxans resource shares DERNIERE's).
MODELS: dict[str, type[BaseModel]] = {
    ASSIETTES: models.SituationsIRAssiettesJAXBbean,
    FACTURES: models.SituationsIRAssiettesFacturesJAXBbean,
    DERNIERE: models.SituationsIRAssiettesMillesimeJAXBbean,
    MULTIPLE: models.SituationsIRAssiettesMultipleJAXBbean,
    IFI: models.SituationIfiIsfJAXBbean,
    TH: models.SituationsTHJAXBbean,
    LEP: models.OuvertureLepJAXBbean,
}

router = APIRouter(prefix="/impotparticulier/1.0", tags=["Impôt Particulier"], route_class=GatewayRoute)

Producer = Callable[[AsyncSession, frozenset[str], datetime], Awaitable[dict[str, Any] | None]]

# Examples on documented personas (docs/personas.md): the couple_marie foyer, revenus 2024.
SpiParam = Annotated[str, Path(description="Numéro fiscal", examples=["1000000001084"])]
AnnrevParam = Annotated[str, Path(description="Année de revenus", examples=["2024"])]
# Read as optional so that its absence is DGFIP's 403 4031, not FastAPI's 422; documented as required
# (the sandbox refuses a call without it) by HEADERS below, which every route declares.
TeleserviceHeader = Annotated[
    str | None, Header(alias=ID_TELESERVICE, convert_underscores=False, include_in_schema=False)
]
TELESERVICE_PARAMETER = {
    "name": ID_TELESERVICE,
    "in": "header",
    "required": True,
    "description": "Identifiant de téléservice appelant (celui de l'habilitation DataPass du partenaire)",
    "schema": {"type": "string"},
}


def openapi_parameters(*extra: dict[str, Any]) -> dict[str, Any]:
    """The route's ``openapi_extra``: the headers read by the handler itself, with their real ``required``."""
    return {"parameters": [TELESERVICE_PARAMETER, *extra]}


def _protected(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Behind the whole APIM pipeline, with the route's OAuth scope."""
    return protected(api=API, scope=scope)


def error(description: str) -> dict[str, Any]:
    """A documented refusal, in DGFIP's envelope (``{"erreur": {"code", "message", "horodatage"}}``)."""
    return response(description, ReponseErreurApim, "application/json")


def _responses(media_type: str, *, no_content: bool = False) -> dict[int | str, dict[str, Any]]:
    responses: dict[int | str, dict[str, Any]] = {
        200: response("successful operation", MODELS[media_type], media_type),
        400: error(
            "codeapp 4001 : mauvais format de spi ; 4002 : mauvais format d'année ; 4007 : mauvais format de département"
        ),
        403: error("codeapp 4031 : L'utilisateur n'a pas accès à la ressource"),
        406: error("Format de réponse non supporté"),
        410: error(
            "codeapp 4101 : La requête avec le spi et l'année ne renvoie aucun résultat ; "
            "4102 : Le spi envoyé ne correspond à aucun usager"
        ),
    }
    if no_content:
        responses[204] = {"description": "Aucune réponse ne peut être apportée"}
    if media_type in (IFI, LEP):  # as published for these two resources
        responses[500] = error("Erreur technique")
    return responses


# Serialised answers, by what they depend on: the database, the resource and its path values (``memo``), the
# DataPass scopes, the day in Paris (the taxation calendar and the year rights move by day) and the
# taxpayers' change counter of the current request (store/changes.py): a write to the taxpayers,
# by any process, makes every entry stale at once. Each body is serialised once, then served as is.
ANSWERS_SIZE = 4096
_answers: dict[tuple[Any, ...], tuple[bytes, list[str]]] = {}


async def _serialised(
    request: Request, memo: tuple[Any, ...] | None, scopes: frozenset[str], produce: Producer
) -> tuple[bytes, list[str]] | None:
    """The body (serialised) and the fields it returns; None for "no content" (204)."""
    state = request.app.state.sandbox
    now = state.clock.now()
    generation = changes.current("taxpayers")
    key = (
        None
        if memo is None or generation is None
        else (state.engine.url, *memo, scopes, paris_today(now), generation)  # the database: tests run several
    )
    if key is not None and key in _answers:
        return _answers[key]
    async with state.sessionmaker() as session:
        body = await produce(session, scopes, now)
    if body is None:
        return None
    answered = (
        json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        service.returned_fields(body),
    )
    if key is not None:
        if len(_answers) >= ANSWERS_SIZE:
            _answers.clear()
        _answers[key] = answered
    return answered


async def answer(
    request: Request,
    caller: CallerContext,
    *,
    id_teleservice: str | None,
    media_type: str,
    spi: str | None,
    scopes: frozenset[str],
    produce: Producer,
    memo: tuple[Any, ...] | None = None,
) -> Response:
    """Negotiate, check ID_Teleservice, run ``produce`` (or reuse its serialised answer: ``memo``
    names the resource and every path value ``produce`` reads), fill the audit entry."""
    audit = caller.audit
    if spi is not None:
        audit.spi = spi[:20]
    try:
        content_type = negotiate(request.headers.get("accept"), media_type)
        check_teleservice(caller.consumer, id_teleservice)
        answered = await _serialised(request, memo, scopes, produce)
    except ApiError as exc:
        audit.outcome = str(exc.code)
        raise
    if answered is None:
        audit.outcome = "204"
        return Response(status_code=204)
    content, audit.fields_returned = answered[0], list(answered[1])
    return Response(content=content, media_type=content_type)


# The resources that take an SPI and (but deuxans) an income year, as the swagger publishes them:
# (path after /spi/{spi}, operationId, summary, OAuth scope, media type, service function). The
# FranceConnect twins (franceconnect_router.py) are declared from this same table.
RESOURCES: tuple[tuple[str, str, str, OAuthScope, str, Callable[..., Awaitable[Any]]], ...] = (
    (
        "/situations/ir/assiettes/annrev/{annrev}",
        "SituationsIrAssiettesV1",
        "SituationsIrAssiettesV1",
        OAuthScope.IR,
        ASSIETTES,
        service.get_situation_ir,
    ),
    (
        "/situations/ir/factures/annrev/{annrev}",
        "SituationsIrFacturesV1",
        "Situations IR factures",
        OAuthScope.IR_FACTURE,
        FACTURES,
        service.get_situation_ir_factures,
    ),
    (
        "/dernieresituation/ir/assiettes/annrev/{annrev}",
        "derniereSituationsIrAssiettesV1",
        "Fournit la situation IR de la dernière période d'un millésime",
        OAuthScope.IR_DERNIERE,
        DERNIERE,
        service.get_derniere_situation_ir,
    ),
    (
        "/dernieresituation/ir/assiettes/deuxans",
        "situationsIrAssiettesDeuxDernierMillesimeV1",
        "Fournit la situation IR de la dernière période des 2 derniers millésimes",
        OAuthScope.IR_DERNIERE_2,
        DERNIERE,
        service.get_derniere_situation_ir_deux_ans,
    ),
    (
        "/situations/ir/assiettes/multiple/annrev/{annrev}",
        "SituationsIrAssiettesMultipleV1",
        "SituationsIrAssiettesMultipleV1",
        OAuthScope.IR_MULTIPLE,
        MULTIPLE,
        service.get_situations_ir_multiple,
    ),
    (
        "/situations/ifiisf/assiettes/annrev/{annrev}",
        "SituationIfiIsfV1",
        "Situation IFI ISF",
        OAuthScope.IFI,
        IFI,
        service.get_situation_ifi,
    ),
    (
        "/situations/th/assiettes/principale/annrev/{annrev}",
        "SituationsTHPV1",
        "Situations TH Principale",
        OAuthScope.TH_PRINCIPALE,
        TH,
        service.get_situations_th,
    ),
)


def _spi_handler(scope: str, media_type: str, produce: Callable[..., Awaitable[Any]], *, with_year: bool) -> Any:
    async def serve(
        request: Request, spi: str, caller: CallerContext, id_teleservice: str | None, annrev: str | None
    ) -> Response:
        year = {"annrev": annrev} if with_year else {}
        return await answer(
            request,
            caller,
            id_teleservice=id_teleservice,
            media_type=media_type,
            spi=spi,
            scopes=caller.consumer.datapass_scopes,
            produce=lambda session, scopes, now: produce(session, spi=spi, scopes=scopes, now=now, **year),
            memo=(produce, spi, annrev),
        )

    if with_year:

        async def with_annrev(
            request: Request,
            spi: SpiParam,
            annrev: AnnrevParam,
            caller: Caller,
            id_teleservice: TeleserviceHeader = None,
        ) -> Response:
            return await serve(request, spi, caller, id_teleservice, annrev)

        return _protected(scope)(with_annrev)

    async def without_annrev(
        request: Request,
        spi: SpiParam,
        caller: Caller,
        id_teleservice: TeleserviceHeader = None,
    ) -> Response:
        return await serve(request, spi, caller, id_teleservice, None)

    return _protected(scope)(without_annrev)


for _path, _operation_id, _summary, _scope, _media_type, _produce in RESOURCES:
    router.add_api_route(
        "/spi/{spi}" + _path,
        _spi_handler(_scope, _media_type, _produce, with_year="{annrev}" in _path),
        methods=["GET"],
        operation_id=_operation_id,
        summary=_summary,
        response_class=Response,
        responses=_responses(_media_type),
        openapi_extra=openapi_parameters(),
    )


@router.get(
    "/spi/{spi}/lep/departement/{departement}/annrev/{annrev}/bareme/{bareme}",
    operation_id="Ouverturelep",
    summary="indicateur LEP V2",
    response_class=Response,
    responses=_responses(LEP, no_content=True),
    openapi_extra=openapi_parameters(),
)
@_protected(OAuthScope.LEP)
async def ouverture_lep(
    request: Request,
    spi: SpiParam,
    departement: Annotated[str, Path(description="Numéro de département", examples=["59"])],
    annrev: AnnrevParam,
    bareme: Annotated[str, Path(description="Année barème", examples=["2025"])],
    caller: Caller,
    id_teleservice: TeleserviceHeader = None,
) -> Response:
    return await answer(
        request,
        caller,
        id_teleservice=id_teleservice,
        media_type=LEP,
        spi=spi,
        scopes=caller.consumer.datapass_scopes,
        produce=lambda session, scopes, now: service.get_ouverture_lep(
            session, spi=spi, departement=departement, annrev=annrev, bareme=bareme, scopes=scopes, now=now
        ),
        memo=(service.get_ouverture_lep, spi, departement, annrev, bareme),
    )
