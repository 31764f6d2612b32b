"""API Impôt particulier, SPI routes (``/impotparticulier/1.0/spi/{spi}/…``), as DGFIP's swagger names them.

Each handler: the APIM gateway policy with the route's OAuth scope (``GatewayPolicy``) → Accept
negotiation (406) → ``ID_Teleservice`` (403 4031) → the service function with the consumer's DataPass
scopes and the injected clock → the body under the resource's vendor media type. Path values are
taken as strings and validated by the service, so a malformed SPI or year gets DGFIP's 400 envelope
(4001/4002/4007), never FastAPI's 422. ``answer`` is shared with the FranceConnect variant of the routes.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.apis.impot_particulier import service
from dgfip_sandbox.apis.impot_particulier.negotiation import negotiate
from dgfip_sandbox.apis.impot_particulier.teleservice import HEADER as ID_TELESERVICE
from dgfip_sandbox.apis.impot_particulier.teleservice import check_teleservice
from dgfip_sandbox.errors import ApiError
from dgfip_sandbox.gateway.context import CallerContext
from dgfip_sandbox.gateway.pipeline import GatewayPolicy

API = "impot_particulier"

ASSIETTES = "application/prs.dgfip.part.situations.ir.assiettes.v1+json"
FACTURES = "application/prs.dgfip.part.situations.ir.factures.v1+json"
DERNIERE = "application/prs.dgfip.part.derniere.situations.ir.assiettes.v1+json"
MULTIPLE = "application/prs.dgfip.part.situations.ir.assiettes.multiple.v1+json"
IFI = "application/prs.dgfip.situations.ifiisf.assiettes.v1+json"
TH = "application/prs.dgfip.part.situations.th.assiettes.v1+json"
LEP = "application/prs.dgfip.part.ouverturelep.v1+json"

router = APIRouter(prefix="/impotparticulier/1.0", tags=["Impôt Particulier"])

Producer = Callable[[AsyncSession, frozenset[str], datetime], Awaitable[dict[str, Any] | None]]

SpiParam = Annotated[str, Path(description="Numéro fiscal")]
AnnrevParam = Annotated[str, Path(description="Année de revenus")]
TeleserviceHeader = Annotated[
    str | None,
    Header(alias=ID_TELESERVICE, convert_underscores=False, description="Identifiant de téléservice appelant"),
]


def _policy(scope: str) -> Any:
    return Depends(GatewayPolicy(api=API, scope=scope))


def _responses(media_type: str, *, no_content: bool = False) -> dict[int | str, dict[str, Any]]:
    responses: dict[int | str, dict[str, Any]] = {
        200: {"description": "successful operation", "content": {media_type: {}}},
        400: {"description": "codeapp 4001 : mauvais format de spi ; 4002 : mauvais format d'année ; 4007 : mauvais format de département"},
        403: {"description": "codeapp 4031 : L'utilisateur n'a pas accès à la ressource"},
        406: {"description": "Format de réponse non supporté"},
        410: {
            "description": "codeapp 4101 : La requête avec le spi et l'année ne renvoie aucun résultat ; "
            "4102 : Le spi envoyé ne correspond à aucun usager"
        },
    }
    if no_content:
        responses[204] = {"description": "Aucune réponse ne peut être apportée"}
    return responses


async def answer(
    request: Request,
    caller: CallerContext,
    *,
    id_teleservice: str | None,
    media_type: str,
    spi: str | None,
    scopes: frozenset[str],
    produce: Producer,
) -> Response:
    """Negotiate, check ID_Teleservice, run ``produce``, fill the audit entry, serialize."""
    audit = caller.audit
    if spi is not None:
        audit.spi = spi[:20]
    try:
        content_type = negotiate(request.headers.get("accept"), media_type)
        check_teleservice(caller.consumer, id_teleservice)
        state = request.app.state.sandbox
        async with state.sessionmaker() as session:
            body = await produce(session, scopes, state.clock.now())
    except ApiError as exc:
        audit.outcome = str(exc.code)
        raise
    if body is None:
        audit.outcome = "204"
        return Response(status_code=204)
    audit.fields_returned = service.returned_fields(body)
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(content=content, media_type=content_type)


@router.get(
    "/spi/{spi}/situations/ir/assiettes/annrev/{annrev}",
    operation_id="SituationsIrAssiettesV1",
    summary="SituationsIrAssiettesV1",
    response_class=Response,
    responses=_responses(ASSIETTES),
)
async def situations_ir_assiettes(
    request: Request,
    spi: SpiParam,
    annrev: AnnrevParam,
    caller: Annotated[CallerContext, _policy("RessourceIR")],
    id_teleservice: TeleserviceHeader = None,
) -> Response:
    return await answer(
        request, caller, id_teleservice=id_teleservice, media_type=ASSIETTES, spi=spi,
        scopes=caller.consumer.datapass_scopes,
        produce=lambda session, scopes, now: service.get_situation_ir(session, spi=spi, annrev=annrev, scopes=scopes, now=now),
    )


@router.get(
    "/spi/{spi}/situations/ir/factures/annrev/{annrev}",
    operation_id="SituationsIrFacturesV1",
    summary="Situations IR factures",
    response_class=Response,
    responses=_responses(FACTURES),
)
async def situations_ir_factures(
    request: Request,
    spi: SpiParam,
    annrev: AnnrevParam,
    caller: Annotated[CallerContext, _policy("RessourceIRFacture")],
    id_teleservice: TeleserviceHeader = None,
) -> Response:
    return await answer(
        request, caller, id_teleservice=id_teleservice, media_type=FACTURES, spi=spi,
        scopes=caller.consumer.datapass_scopes,
        produce=lambda session, scopes, now: service.get_situation_ir_factures(
            session, spi=spi, annrev=annrev, scopes=scopes, now=now
        ),
    )


@router.get(
    "/spi/{spi}/dernieresituation/ir/assiettes/annrev/{annrev}",
    operation_id="derniereSituationsIrAssiettesV1",
    summary="Fournit la situation IR de la dernière période d'un millésime",
    response_class=Response,
    responses=_responses(DERNIERE),
)
async def derniere_situation_ir(
    request: Request,
    spi: SpiParam,
    annrev: AnnrevParam,
    caller: Annotated[CallerContext, _policy("RessourceIRDerniere")],
    id_teleservice: TeleserviceHeader = None,
) -> Response:
    return await answer(
        request, caller, id_teleservice=id_teleservice, media_type=DERNIERE, spi=spi,
        scopes=caller.consumer.datapass_scopes,
        produce=lambda session, scopes, now: service.get_derniere_situation_ir(
            session, spi=spi, annrev=annrev, scopes=scopes, now=now
        ),
    )


@router.get(
    "/spi/{spi}/dernieresituation/ir/assiettes/deuxans",
    operation_id="situationsIrAssiettesDeuxDernierMillesimeV1",
    summary="Fournit la situation IR de la dernière période des 2 derniers millésimes",
    response_class=Response,
    responses=_responses(DERNIERE),
)
async def derniere_situation_ir_deux_ans(
    request: Request,
    spi: SpiParam,
    caller: Annotated[CallerContext, _policy("RessourceIRDerniere2")],
    id_teleservice: TeleserviceHeader = None,
) -> Response:
    return await answer(
        request, caller, id_teleservice=id_teleservice, media_type=DERNIERE, spi=spi,
        scopes=caller.consumer.datapass_scopes,
        produce=lambda session, scopes, now: service.get_derniere_situation_ir_deux_ans(
            session, spi=spi, scopes=scopes, now=now
        ),
    )


@router.get(
    "/spi/{spi}/situations/ir/assiettes/multiple/annrev/{annrev}",
    operation_id="SituationsIrAssiettesMultipleV1",
    summary="SituationsIrAssiettesMultipleV1",
    response_class=Response,
    responses=_responses(MULTIPLE),
)
async def situations_ir_multiple(
    request: Request,
    spi: SpiParam,
    annrev: AnnrevParam,
    caller: Annotated[CallerContext, _policy("RessourceIRMultiple")],
    id_teleservice: TeleserviceHeader = None,
) -> Response:
    return await answer(
        request, caller, id_teleservice=id_teleservice, media_type=MULTIPLE, spi=spi,
        scopes=caller.consumer.datapass_scopes,
        produce=lambda session, scopes, now: service.get_situations_ir_multiple(
            session, spi=spi, annrev=annrev, scopes=scopes, now=now
        ),
    )


@router.get(
    "/spi/{spi}/situations/ifiisf/assiettes/annrev/{annrev}",
    operation_id="SituationIfiIsfV1",
    summary="Situation IFI ISF",
    response_class=Response,
    responses=_responses(IFI),
)
async def situation_ifi(
    request: Request,
    spi: SpiParam,
    annrev: AnnrevParam,
    caller: Annotated[CallerContext, _policy("RessourceIFI")],
    id_teleservice: TeleserviceHeader = None,
) -> Response:
    return await answer(
        request, caller, id_teleservice=id_teleservice, media_type=IFI, spi=spi,
        scopes=caller.consumer.datapass_scopes,
        produce=lambda session, scopes, now: service.get_situation_ifi(
            session, spi=spi, annrev=annrev, scopes=scopes, now=now
        ),
    )


@router.get(
    "/spi/{spi}/situations/th/assiettes/principale/annrev/{annrev}",
    operation_id="SituationsTHPV1",
    summary="Situations TH Principale",
    response_class=Response,
    responses=_responses(TH),
)
async def situations_th(
    request: Request,
    spi: SpiParam,
    annrev: AnnrevParam,
    caller: Annotated[CallerContext, _policy("RessourceTHPrincipale")],
    id_teleservice: TeleserviceHeader = None,
) -> Response:
    return await answer(
        request, caller, id_teleservice=id_teleservice, media_type=TH, spi=spi,
        scopes=caller.consumer.datapass_scopes,
        produce=lambda session, scopes, now: service.get_situations_th(
            session, spi=spi, annrev=annrev, scopes=scopes, now=now
        ),
    )


@router.get(
    "/spi/{spi}/lep/departement/{departement}/annrev/{annrev}/bareme/{bareme}",
    operation_id="Ouverturelep",
    summary="indicateur LEP V2",
    response_class=Response,
    responses=_responses(LEP, no_content=True),
)
async def ouverture_lep(
    request: Request,
    spi: SpiParam,
    departement: Annotated[str, Path(description="Numéro de département")],
    annrev: AnnrevParam,
    bareme: Annotated[str, Path(description="Année barème")],
    caller: Annotated[CallerContext, _policy("RessourceLEP")],
    id_teleservice: TeleserviceHeader = None,
) -> Response:
    return await answer(
        request, caller, id_teleservice=id_teleservice, media_type=LEP, spi=spi,
        scopes=caller.consumer.datapass_scopes,
        produce=lambda session, scopes, now: service.get_ouverture_lep(
            session, spi=spi, departement=departement, annrev=annrev, bareme=bareme, scopes=scopes, now=now
        ),
    )
