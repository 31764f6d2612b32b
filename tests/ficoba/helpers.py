"""Request builders shared by FICOBA's tests."""

from __future__ import annotations

import json
from typing import Any

from dgfip_sandbox.apis.ficoba import schemas

MODELS = {
    "numCpte": schemas.DemandeNumCpte,
    "spi": schemas.DemandeSpi,
    "siretSiren": schemas.DemandeSiretSiren,
    "perPhy": schemas.DemandePerPhy,
    "perPro": schemas.DemandePerPro,
    "multiDet": schemas.DemandeMultiDet,
    "verifIban": schemas.DemandeVerifIban,
}


def body(criteres: dict[str, Any], **envelope: Any) -> dict[str, Any]:
    out = {
        "dateDemande": "2026-11-25",
        "motif": "0003",
        "siretDemandeur": "13002526500013",
        "sirenDemandeur": "",
        "justification": "Contrôle DUPOND Pierre REF XXX225",
        "criteresRecherche": criteres,
    }
    out.update(envelope)
    return {k: v for k, v in out.items() if v is not ...}


def demande(route: str, criteres: dict[str, Any], **envelope: Any) -> Any:
    return schemas.parse(MODELS[route], json.dumps(body(criteres, **envelope)).encode())
