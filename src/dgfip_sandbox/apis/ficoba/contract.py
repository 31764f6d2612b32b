"""What API FICOBA says about itself in its OpenAPI document, beyond its routes."""

from __future__ import annotations

from dgfip_sandbox.apis.ficoba import router
from dgfip_sandbox.gateway.api_contract import ApiContract

CONTRACT = ApiContract(
    api="ficoba",
    prefix="/fcb-masrestit/api/v2",
    title="API FICOBA (bac à sable)",
    version="v2",
    description=(
        "API FICOBA (FICOBA_API v2, protocole technique v8) telle que le bac à sable la sert. Ce que le bac à "
        "sable ajoute est marqué « x-sandbox » ; les écarts au contrat publié sont listés dans docs/ficoba.md "
        "(Departures)."
    ),
    # FICOBA's routes need a valid token, with no particular scope (the swagger lists none).
    scopes={},
    request_bodies=router.REQUEST_MODELS,
    models=router.RESPONSE_MODELS,
    file_name="ficoba.openapi.json",
)
