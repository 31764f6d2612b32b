"""API Impôt particulier's OAuth scopes (swagger ``securitySchemes``), one per resource family.

A consumer's token carries some of them (``POST /token``, ``scope=``); each route requires one
(``protected(scope=…)``), else 403 900910. The DataPass scopes, which filter the fields returned,
are in datapass.py."""

from __future__ import annotations

from enum import StrEnum


class OAuthScope(StrEnum):
    IR = "RessourceIR"
    IR_FACTURE = "RessourceIRFacture"
    IR_DERNIERE = "RessourceIRDerniere"
    IR_DERNIERE_2 = "RessourceIRDerniere2"
    IR_MULTIPLE = "RessourceIRMultiple"
    IFI = "RessourceIFI"
    TH_PRINCIPALE = "RessourceTHPrincipale"
    LEP = "RessourceLEP"
