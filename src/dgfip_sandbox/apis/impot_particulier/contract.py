"""What API Impôt particulier says about itself in its OpenAPI document, beyond its routes."""

from __future__ import annotations

from dgfip_sandbox.apis.impot_particulier.router import MODELS
from dgfip_sandbox.apis.impot_particulier.scopes import OAuthScope
from dgfip_sandbox.gateway.api_contract import ApiContract

# The OAuth scopes (scopes.py) with their descriptions in the published swagger (scheme "Authorization").
SCOPES = {
    OAuthScope.IR: "Ressources IR",
    OAuthScope.IFI: "Ressource IFI",
    OAuthScope.TH_PRINCIPALE: "Ressource TH Principale",
    OAuthScope.LEP: "Ressource LEP",
    OAuthScope.IR_FACTURE: "Ressource IR Facture",
    OAuthScope.IR_DERNIERE: "Ressource IR Derniere",
    OAuthScope.IR_DERNIERE_2: "Ressource IR Derniere 2 ans",
    OAuthScope.IR_MULTIPLE: "Ressource IR Multiple",
}

CONTRACT = ApiContract(
    api="impot_particulier",
    prefix="/impotparticulier/1.0",
    title="API Impôt particulier (bac à sable)",
    version="1.0",
    description=(
        "API Impôt particulier de la DGFiP telle que le bac à sable la sert : routes SPI et routes FranceConnect "
        "(jeton X-FranceConnect-OAuth). Ce que le bac à sable ajoute est marqué « x-sandbox » ; les écarts au "
        "contrat publié sont listés dans docs/impot-particulier.md (Departures)."
    ),
    scopes={str(scope): description for scope, description in SCOPES.items()},
    models=tuple(MODELS.values()),
    file_name="impot-particulier.openapi.json",
)
