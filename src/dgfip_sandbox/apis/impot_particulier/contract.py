"""What API Impôt particulier says about itself in its OpenAPI document, beyond its routes."""

from __future__ import annotations

from dgfip_sandbox.apis.impot_particulier.router import MODELS
from dgfip_sandbox.gateway.openapi import ApiContract

# The OAuth scopes of the published swagger (scheme "Authorization", client credentials).
SCOPES = {
    "RessourceIR": "Ressources IR",
    "RessourceIFI": "Ressource IFI",
    "RessourceTHPrincipale": "Ressource TH Principale",
    "RessourceLEP": "Ressource LEP",
    "RessourceIRFacture": "Ressource IR Facture",
    "RessourceIRDerniere": "Ressource IR Derniere",
    "RessourceIRDerniere2": "Ressource IR Derniere 2 ans",
    "RessourceIRMultiple": "Ressource IR Multiple",
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
    scopes=SCOPES,
    models=tuple(MODELS.values()),
    file_name="impot-particulier.openapi.json",
)
