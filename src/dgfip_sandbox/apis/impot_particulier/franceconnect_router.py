"""API Impôt particulier, FranceConnect routes: the SPI routes' twins without ``/spi/{spi}``.

Same pipeline, OAuth scope, media type and DataPass filtering as the SPI routes; the SPI comes from
the FranceConnect token (``X-FranceConnect-OAuth``) through ``franceconnect.resolve``, and the fields
from the intersection of the user's consent and the consumer's DataPass scopes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response

from dgfip_sandbox.apis.impot_particulier import franceconnect, service
from dgfip_sandbox.apis.impot_particulier.router import (
    ASSIETTES,
    DERNIERE,
    FACTURES,
    IFI,
    MULTIPLE,
    TH,
    AnnrevParam,
    TeleserviceHeader,
    _policy,
    _responses,
    answer,
)
from dgfip_sandbox.gateway.context import CallerContext

router = APIRouter(prefix="/impotparticulier/1.0", tags=["Impôt Particulier (FranceConnect)"])

FranceConnectHeader = Annotated[
    str | None, Header(alias=franceconnect.HEADER, description="Jeton de consentement France Connect")
]


def _fc_responses(media_type: str):  # type: ignore[no-untyped-def]
    responses = _responses(media_type)
    responses[400]["description"] += " ; 4008 : jeton FranceConnect absent"
    responses[401] = {"description": "4011 : jeton FranceConnect invalide ou expiré"}
    responses[403]["description"] += " ; 4032 : aucune donnée DGFiP consentie ; 4033 : autre fournisseur de service"
    responses[404] = {"description": "4041 : aucun déclarant unique pour cette identité"}
    responses[502] = {"description": "5021 : FranceConnect injoignable"}
    return responses


@router.get(
    "/situations/ir/assiettes/annrev/{annrev}",
    operation_id="SituationsIrAssiettesFCV1",
    summary="SituationsIrAssiettesFCV1",
    response_class=Response,
    responses=_fc_responses(ASSIETTES),
)
async def situations_ir_assiettes_fc(
    request: Request,
    annrev: AnnrevParam,
    caller: Annotated[CallerContext, _policy("RessourceIR")],
    x_franceconnect_oauth: FranceConnectHeader = None,
    id_teleservice: TeleserviceHeader = None,
) -> Response:
    fc = await franceconnect.resolve(request, caller)
    return await answer(
        request, caller, id_teleservice=id_teleservice, media_type=ASSIETTES, spi=fc.spi, scopes=fc.scopes,
        produce=lambda session, scopes, now: service.get_situation_ir(session, spi=fc.spi, annrev=annrev, scopes=scopes, now=now),
    )


@router.get(
    "/situations/ir/factures/annrev/{annrev}",
    operation_id="SituationsIrFacturesFCV1",
    summary="SituationsIrFacturesFCV1",
    response_class=Response,
    responses=_fc_responses(FACTURES),
)
async def situations_ir_factures_fc(
    request: Request,
    annrev: AnnrevParam,
    caller: Annotated[CallerContext, _policy("RessourceIRFacture")],
    x_franceconnect_oauth: FranceConnectHeader = None,
    id_teleservice: TeleserviceHeader = None,
) -> Response:
    fc = await franceconnect.resolve(request, caller)
    return await answer(
        request, caller, id_teleservice=id_teleservice, media_type=FACTURES, spi=fc.spi, scopes=fc.scopes,
        produce=lambda session, scopes, now: service.get_situation_ir_factures(session, spi=fc.spi, annrev=annrev, scopes=scopes, now=now),
    )


@router.get(
    "/dernieresituation/ir/assiettes/annrev/{annrev}",
    operation_id="derniereSituationsIrAssiettesFCV1",
    summary="derniereSituationsIrAssiettesFCV1",
    response_class=Response,
    responses=_fc_responses(DERNIERE),
)
async def derniere_situation_ir_fc(
    request: Request,
    annrev: AnnrevParam,
    caller: Annotated[CallerContext, _policy("RessourceIRDerniere")],
    x_franceconnect_oauth: FranceConnectHeader = None,
    id_teleservice: TeleserviceHeader = None,
) -> Response:
    fc = await franceconnect.resolve(request, caller)
    return await answer(
        request, caller, id_teleservice=id_teleservice, media_type=DERNIERE, spi=fc.spi, scopes=fc.scopes,
        produce=lambda session, scopes, now: service.get_derniere_situation_ir(session, spi=fc.spi, annrev=annrev, scopes=scopes, now=now),
    )


@router.get(
    "/dernieresituation/ir/assiettes/deuxans",
    operation_id="situationsIrAssiettesDeuxDernierMillesimeFCV1",
    summary="situationsIrAssiettesDeuxDernierMillesimeFCV1",
    response_class=Response,
    responses=_fc_responses(DERNIERE),
)
async def derniere_situation_ir_deux_ans_fc(
    request: Request,
    caller: Annotated[CallerContext, _policy("RessourceIRDerniere2")],
    x_franceconnect_oauth: FranceConnectHeader = None,
    id_teleservice: TeleserviceHeader = None,
) -> Response:
    fc = await franceconnect.resolve(request, caller)
    return await answer(
        request, caller, id_teleservice=id_teleservice, media_type=DERNIERE, spi=fc.spi, scopes=fc.scopes,
        produce=lambda session, scopes, now: service.get_derniere_situation_ir_deux_ans(session, spi=fc.spi, scopes=scopes, now=now),
    )


@router.get(
    "/situations/ir/assiettes/multiple/annrev/{annrev}",
    operation_id="SituationsIrAssiettesMultipleFCV1",
    summary="SituationsIrAssiettesMultipleFCV1",
    response_class=Response,
    responses=_fc_responses(MULTIPLE),
)
async def situations_ir_multiple_fc(
    request: Request,
    annrev: AnnrevParam,
    caller: Annotated[CallerContext, _policy("RessourceIRMultiple")],
    x_franceconnect_oauth: FranceConnectHeader = None,
    id_teleservice: TeleserviceHeader = None,
) -> Response:
    fc = await franceconnect.resolve(request, caller)
    return await answer(
        request, caller, id_teleservice=id_teleservice, media_type=MULTIPLE, spi=fc.spi, scopes=fc.scopes,
        produce=lambda session, scopes, now: service.get_situations_ir_multiple(session, spi=fc.spi, annrev=annrev, scopes=scopes, now=now),
    )


@router.get(
    "/situations/ifiisf/assiettes/annrev/{annrev}",
    operation_id="SituationIfiIsfFCV1",
    summary="SituationIfiIsfFCV1",
    response_class=Response,
    responses=_fc_responses(IFI),
)
async def situation_ifi_fc(
    request: Request,
    annrev: AnnrevParam,
    caller: Annotated[CallerContext, _policy("RessourceIFI")],
    x_franceconnect_oauth: FranceConnectHeader = None,
    id_teleservice: TeleserviceHeader = None,
) -> Response:
    fc = await franceconnect.resolve(request, caller)
    return await answer(
        request, caller, id_teleservice=id_teleservice, media_type=IFI, spi=fc.spi, scopes=fc.scopes,
        produce=lambda session, scopes, now: service.get_situation_ifi(session, spi=fc.spi, annrev=annrev, scopes=scopes, now=now),
    )


@router.get(
    "/situations/th/assiettes/principale/annrev/{annrev}",
    operation_id="SituationsTHPFCV1",
    summary="SituationsTHPFCV1",
    response_class=Response,
    responses=_fc_responses(TH),
)
async def situations_th_fc(
    request: Request,
    annrev: AnnrevParam,
    caller: Annotated[CallerContext, _policy("RessourceTHPrincipale")],
    x_franceconnect_oauth: FranceConnectHeader = None,
    id_teleservice: TeleserviceHeader = None,
) -> Response:
    fc = await franceconnect.resolve(request, caller)
    return await answer(
        request, caller, id_teleservice=id_teleservice, media_type=TH, spi=fc.spi, scopes=fc.scopes,
        produce=lambda session, scopes, now: service.get_situations_th(session, spi=fc.spi, annrev=annrev, scopes=scopes, now=now),
    )
