"""API FICOBA's routes, ``/fcb-masrestit/api/v2`` (swagger ``FICOBA_API`` v2, protocole technique v8).

Every route runs behind the APIM pipeline (``protected(api="ficoba")``: certificate, IP, token,
correlation id, quota). Then, in this order:

    X-Request-ID present                     CAT012 (500, as published; settings.ficoba_require_request_id)
    Accept names JSON                        406 (application/json, */*, or a published vendor version: VENDOR_MEDIA_TYPES)
    body within MAX_BODY_BYTES               413
    Content-Type is JSON, body is JSON       CAT002
    attributes present / well formed         CAF001 / CAF002 (schemas.parse; never FastAPI's 422)
    envelope, habilitation, criteria, search searches.FicobaService (criteria.py, answers.py)

The body is read here rather than declared as a FastAPI body parameter, so that every refusal keeps
FICOBA's codes and envelope.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from dgfip_sandbox.apis.ficoba import errors, models, schemas
from dgfip_sandbox.apis.ficoba.searches import FicobaService, Reponse
from dgfip_sandbox.gateway.api_contract import response
from dgfip_sandbox.gateway.context import CallerContext
from dgfip_sandbox.gateway.pipeline import Caller, GatewayRoute, protected

router = APIRouter(prefix="/fcb-masrestit/api/v2", tags=["API FICOBA"], route_class=GatewayRoute)

MAX_BODY_BYTES = 64 * 1024
JSON_MEDIA_TYPE = "application/json"
_VENDOR = re.compile(r"application/vnd\.dgfip\.ficoba3(?:\.v[0-9]+(?:\.[0-9]+)*)?\+json", re.ASCII)
_LENGTH = re.compile(r"[0-9]{1,18}", re.ASCII)
# The vendor versions that exist: protocole technique v8 §1.5 publishes "application/vnd.dgfip.ficoba3.v1.1+json"
# [C]; the unversioned and major-only forms are the same API [I]. Any other version is refused with 406 (a client
# asking for a version that does not exist must learn it here, not against the real platform).
VENDOR_MEDIA_TYPES = (
    "application/vnd.dgfip.ficoba3+json",
    "application/vnd.dgfip.ficoba3.v1+json",
    "application/vnd.dgfip.ficoba3.v1.1+json",
)
_ACCEPTABLE = {"application/json", "application/*", "*/*"}

Run = Callable[[FicobaService, Any], Awaitable[Reponse]]


def _media_types(header: str) -> list[str]:
    return [part.split(";", 1)[0].strip().lower() for part in header.split(",") if part.strip()]


def response_media_type(request: Request) -> str:
    """The media type of the answer: the vendor type when asked for (minor version echoed), else JSON."""
    accept = request.headers.get("accept")
    if not accept:
        return JSON_MEDIA_TYPE
    types = _media_types(accept)
    for media_type in types:
        if media_type in VENDOR_MEDIA_TYPES:
            return media_type
    if any(t in _ACCEPTABLE for t in types):
        return JSON_MEDIA_TYPE
    unknown = next((t for t in types if _VENDOR.fullmatch(t)), None)
    if unknown:
        raise errors.NotAcceptable(
            f"version inconnue {unknown[:100]} (versions publiées : {', '.join(VENDOR_MEDIA_TYPES)})"
        )
    raise errors.NotAcceptable(f"Accept: {accept[:100]}")


def check_request_id(request: Request) -> str | None:
    request_id = request.headers.get("x-request-id")
    settings = request.app.state.sandbox.settings
    if not (request_id or "").strip() and settings.ficoba_require_request_id:
        raise errors.CAT012()
    return request_id


async def read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and _LENGTH.fullmatch(declared) and int(declared) > MAX_BODY_BYTES:
        raise errors.PayloadTooLarge(f"{declared} octets, {MAX_BODY_BYTES} au plus")
    content_type = request.headers.get("content-type")
    if content_type:
        media_type = _media_types(content_type)[0] if _media_types(content_type) else ""
        if media_type != JSON_MEDIA_TYPE and media_type not in VENDOR_MEDIA_TYPES:
            if _VENDOR.fullmatch(media_type):
                raise errors.CAT002(
                    f"Content-Type {content_type[:80]} : version inconnue (versions publiées : {', '.join(VENDOR_MEDIA_TYPES)})"
                )
            raise errors.CAT002(f"Content-Type {content_type[:80]} : seul le JSON est accepté")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise errors.PayloadTooLarge(f"plus de {MAX_BODY_BYTES} octets")
        chunks.append(chunk)
    return b"".join(chunks)


def _headers(request_id: str | None) -> dict[str, str]:
    return {"X-Request-ID": request_id[:200]} if request_id else {}


async def _search(
    request: Request,
    caller: CallerContext,
    route: str,
    model: type[schemas._Demande],
    run: Run,
) -> JSONResponse:
    request_id = check_request_id(request)
    media_type = response_media_type(request)
    body = await read_body(request)
    caller.audit.extra["ficoba_route"] = route
    if request_id:
        caller.audit.extra["request_id"] = request_id[:200]
    demande = schemas.parse(model, body)
    # Kept for CNIL traceability (protocole §2.3.1: "en cas de demande de trace").
    caller.audit.extra["justification"] = demande.justification
    caller.audit.extra["motif"] = demande.motif
    state = request.app.state.sandbox
    async with state.sessionmaker() as session, session.begin():
        service = FicobaService(session, clock=state.clock, consumer=caller.consumer)
        reponse = await run(service, demande)
    caller.audit.outcome = reponse.outcome
    caller.audit.spi = reponse.spi
    caller.audit.fields_returned = reponse.fields_returned
    caller.audit.extra["referenceDemande"] = reponse.body["referenceDemande"]
    return JSONResponse(reponse.body, media_type=media_type, headers=_headers(request_id))


REQUEST_ID_PARAMETER = {
    "name": "X-Request-ID",
    "in": "header",
    "required": True,
    "description": "Identifiant de la requête, renvoyé dans la réponse (absent ou vide : CAT012)",
    "schema": {"type": "string", "minLength": 1, "pattern": "\\S"},
}


def error(description: str) -> dict[str, Any]:
    """A documented refusal in FICOBA's envelope (``ResultatErreurApiSante``: string code, UTC time)."""
    return response(description, models.ResultatErreurApiSante, JSON_MEDIA_TYPE)


def _responses(description: str, model: type[BaseModel], *errors_: tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            **response(description, model, JSON_MEDIA_TYPE, *VENDOR_MEDIA_TYPES),
            "headers": {"X-Request-ID": {"description": "L'X-Request-ID de la requête", "schema": {"type": "string"}}},
        },
        406: error("Format de réponse non supporté (Accept)"),
        500: error(
            "CAT012 : X-Request-ID absent (statut publié) ; CAT001, CAT003, CAT004, CAT007–CAT011 : anomalie technique"
        ),
        **{status: error(text) for status, text in errors_},
    }


SEARCH_ERRORS = (
    (400, "Erreur pendant le traitement de la recherche : CAT002 (JSON), CAT005, CAF001–CAF034 (critères)"),
    (401, "CAT006 : habilitation refusée"),
    (413, "Corps de requête trop volumineux"),
)


@router.get(
    "/etatSante",
    operation_id="getInfo",
    summary="Etat Santé",
    description="Vérifier le statut de l'API",
    responses=_responses(
        "L'API est disponible",
        models.EtatSante,
        (503, "L'API est actuellement indisponible"),
    ),
    openapi_extra={"parameters": [REQUEST_ID_PARAMETER]},
)
@protected(api="ficoba")
async def etat_sante(request: Request, caller: Caller) -> JSONResponse:
    request_id = check_request_id(request)
    media_type = response_media_type(request)
    return JSONResponse({"descriptif": "L'API est opérationnelle"}, media_type=media_type, headers=_headers(request_id))


# The searches, as the swagger publishes them: (path after /comptes, operationId, summary, description of
# the 200, its published schema, the request model, the service method).
SEARCHES: tuple[tuple[str, str, str, str, type[BaseModel], type[schemas._Demande], Run], ...] = (
    (
        "numCpte",
        "rechercherCompteParNumCpte",
        "OS041 - RechercherComptesParNumCpte",
        "Recherche de compte par numéro de compte effectuée avec succès",
        models.ReponseListeFinaleComptes,
        schemas.DemandeNumCpte,
        lambda s, d: s.num_cpte(d),
    ),
    (
        "siretSiren",
        "rechercherCompteParSiretSiren",
        "OS044 - RechercherComptesParSiretSiren",
        "Recherche de comptes par SIRET/SIREN effectuée avec succès",
        models.ReponseListeFinaleComptesPourPM,
        schemas.DemandeSiretSiren,
        lambda s, d: s.siret_siren(d),
    ),
    (
        "spi",
        "rechercherComptesSpi",
        "OS045 - RechercherComptesParSpi",
        "Recherche de comptes par SPI effectuée avec succès",
        models.ReponseListeFinaleComptesPourPP,
        schemas.DemandeSpi,
        lambda s, d: s.spi(d),
    ),
    (
        "perPhy",
        "rechercherComptesPersonnePhysique",
        "OS043 - RechercherComptesPerPhy",
        "Recherche comptes personne physique effectuée avec succès",
        models.ReponseListeFinaleComptesPourPP,
        schemas.DemandePerPhy,
        lambda s, d: s.per_phy(d),
    ),
    (
        "perPro",
        "rechercherComptesPerPro",
        "OS042 - RechercherComptesPerPro",
        "Recherche comptes personne morale effectuée avec succès",
        models.ReponseListeFinaleComptesPourPM,
        schemas.DemandePerPro,
        lambda s, d: s.per_pro(d),
    ),
    (
        "multiDet",
        "rechercherMultiDetention",
        "OS035 - RechercherMutiDetention",
        "Recherche de multi-détention effectuée avec succès",
        models.ReponseMultiDetention,
        schemas.DemandeMultiDet,
        lambda s, d: s.multi_det(d),
    ),
    (
        "verifIban",
        "rechercherCompteParNumCpte_1",
        "OS050 - VerifierTitulaireIban",
        "Vérification du titulaire de l'IBAN effectuée avec succès",
        models.ReponseListeFinaleComptes,
        schemas.DemandeVerifIban,
        lambda s, d: s.verif_iban(d),
    ),
)

# The request model of each search, for the OpenAPI document (contract.py): the handlers read the body
# themselves, so FastAPI cannot see it.
REQUEST_MODELS: dict[str, type[BaseModel]] = {operation_id: model for _, operation_id, *_, model, _ in SEARCHES}
# The models the documented responses refer to.
RESPONSE_MODELS: tuple[type[BaseModel], ...] = (
    models.EtatSante,
    models.ResultatErreurApiSante,
    *dict.fromkeys(reponse for *_, reponse, _, _ in SEARCHES),
)


def _search_handler(route: str, model: type[schemas._Demande], run: Run) -> Callable[..., Awaitable[JSONResponse]]:
    async def search(request: Request, caller: Caller) -> JSONResponse:
        return await _search(request, caller, route, model, run)

    return protected(api="ficoba")(search)


for _route, _operation_id, _summary, _description, _reponse, _model, _run in SEARCHES:
    router.add_api_route(
        f"/comptes/{_route}",
        _search_handler(_route, _model, _run),
        methods=["POST"],
        operation_id=_operation_id,
        summary=_summary,
        responses=_responses(_description, _reponse, *SEARCH_ERRORS),
        openapi_extra={"parameters": [REQUEST_ID_PARAMETER]},
    )
