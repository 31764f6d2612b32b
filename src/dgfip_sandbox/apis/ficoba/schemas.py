"""Request bodies of API FICOBA (swagger ``FICOBA_API`` v2 schemas ``DemandeRestit*``; protocole v8 §2-8).

Strict: every value is a JSON string (or null), unknown attributes are refused, lengths are bounded. A
body that does not fit becomes CAF001 (a mandatory attribute is missing) or CAF002 (format), never
FastAPI's 422: see ``parse``. Business rules that need more than one field (flags, date ranges, SPI
format…) live in ``criteria.py``.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dgfip_sandbox.apis.ficoba.errors import CAF001, CAF002, CAT002

Text = str | None


def _field(max_length: int) -> Any:
    return Field(default=None, max_length=max_length)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# ---------------------------------------------------------------------------------------------------
# Criteria blocks


class EtatCivil(_Strict):
    """``EtatCivil`` (perPhy; also accepted in multiDet, whose published example carries the range keys)."""

    nom: Text = _field(80)
    prenoms: Text = _field(80)
    sexe: Text = _field(2)
    anneeNaissance: Text = _field(4)
    moisNaissance: Text = _field(2)
    jourNaissance: Text = _field(2)
    anneeNaissanceDebut: Text = _field(4)
    moisNaissanceDebut: Text = _field(2)
    jourNaissanceDebut: Text = _field(2)
    anneeNaissanceFin: Text = _field(4)
    moisNaissanceFin: Text = _field(2)
    jourNaissanceFin: Text = _field(2)


class EtatCivilTitulaire(_Strict):
    """``EtatCivilTitulaire`` (verifIban)."""

    nom: Text = _field(80)
    prenoms: Text = _field(80)
    sexe: Text = _field(2)
    anneeNaissance: Text = _field(4)
    moisNaissance: Text = _field(2)
    jourNaissance: Text = _field(2)


class LieuNaissance(_Strict):
    codePaysNaissance: Text = _field(5)
    codeDepartementNaissance: Text = _field(3)
    codeCommuneNaissance: Text = _field(3)


class Domiciliation(_Strict):
    codePays: Text = _field(5)
    codeDepartement: Text = _field(3)
    codeCommune: Text = _field(5)
    codeNatureVoie: Text = _field(4)
    libelleVoie: Text = _field(80)
    numeroVoie: Text = _field(4)
    indiceRepetition: Text = _field(3)
    codePostal: Text = _field(5)


class Designation(_Strict):
    raisonSociale: Text = _field(80)
    sigle: Text = _field(80)
    enseigne: Text = _field(80)
    codeCategorieJuridique: Text = _field(4)


class CriteresNumCpte(_Strict):
    iban: Text = _field(34)
    verificationCompte: Text = _field(1)


class CriteresSpi(_Strict):
    numeroSPI: Text = _field(20)


class CriteresSiretSiren(_Strict):
    siret: Text = _field(14)
    siren: Text = _field(9)


class CriteresPerPhy(_Strict):
    etatCivil: EtatCivil | None = None
    lieuNaissance: LieuNaissance | None = None
    domiciliation: Domiciliation | None = None


class CriteresPerPro(_Strict):
    designation: Designation | None = None
    domiciliation: Domiciliation | None = None


class CriteresMultiDet(_Strict):
    accordClient: Text = _field(1)
    codeNatureCompte: Text = _field(3)
    recherchePP: Text = _field(1)
    recherchePM: Text = _field(1)
    rechercheSIRENSIRET: Text = _field(1)
    criteresRecherchePro: CriteresPerPro | None = None
    criteresRecherchePhy: CriteresPerPhy | None = None
    criteresSiretSiren: CriteresSiretSiren | None = None


class CriteresVerifIban(_Strict):
    iban: Text = _field(34)
    recherchePP: Text = _field(1)
    recherchePM: Text = _field(1)
    rechercheSirenSiret: Text = _field(1)
    etatCivil: EtatCivilTitulaire | None = None
    lieuNaissance: LieuNaissance | None = None
    designation: Designation | None = None
    siret: Text = _field(14)
    siren: Text = _field(9)
    # Present in the protocol's own verifIban example (§7.3.2), absent from the swagger: accepted.
    codeEtab: Text = _field(5)
    codeGuichet: Text = _field(5)


# ---------------------------------------------------------------------------------------------------
# Envelopes (``DemandeRestit`` + criteria)


class _Demande(_Strict):
    dateDemande: str = Field(max_length=30)
    motif: str = Field(max_length=4)
    siretDemandeur: Text = _field(14)
    sirenDemandeur: Text = _field(9)
    justification: str = Field(max_length=250)
    # Shown in the protocol's numCpte request example (§2.3.1); FICOBA assigns the reference, so it is ignored.
    referenceDemande: Text = _field(18)


def _example(criteres: dict[str, Any]) -> ConfigDict:
    """A request example for the OpenAPI document, on a documented persona (docs/ficoba.md)."""
    envelope = {
        "dateDemande": "2026-11-25",
        "motif": "0003",
        "siretDemandeur": "13002526500013",
        "justification": "Contrôle DUPOND Pierre REF XXX225",
    }
    return ConfigDict(json_schema_extra={"examples": [{**envelope, "criteresRecherche": criteres}]})


class DemandeNumCpte(_Demande):
    model_config = _example({"iban": "FR7630004009550000135601429"})  # compte-avec-procuration

    criteresRecherche: CriteresNumCpte


class DemandeSpi(_Demande):
    model_config = _example({"numeroSPI": "0001489335901"})  # spi-trois-comptes

    criteresRecherche: CriteresSpi


class DemandeSiretSiren(_Demande):
    model_config = _example({"siret": "12655768512289"})  # personne-morale

    criteresRecherche: CriteresSiretSiren


class DemandePerPhy(_Demande):
    model_config = _example(  # personne-physique
        {
            "etatCivil": {
                "nom": "JABALI",
                "prenoms": "HAKIM",
                "sexe": "1",
                "anneeNaissance": "1995",
                "moisNaissance": "08",
                "jourNaissance": "07",
            }
        }
    )

    criteresRecherche: CriteresPerPhy


class DemandePerPro(_Demande):
    criteresRecherche: CriteresPerPro


class DemandeMultiDet(_Demande):
    criteresRecherche: CriteresMultiDet


class DemandeVerifIban(_Demande):
    criteresRecherche: CriteresVerifIban


# Every request body FICOBA reads (its routes parse the raw body: these models are its contract).
REQUEST_MODELS: tuple[type[_Demande], ...] = (
    DemandeNumCpte,
    DemandeSpi,
    DemandeSiretSiren,
    DemandePerPhy,
    DemandePerPro,
    DemandeMultiDet,
    DemandeVerifIban,
)

Demande = TypeVar("Demande", bound=_Demande)


def _path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "corps de la requête"


def parse(model: type[Demande], body: bytes) -> Demande:
    """Decode and validate a request body, mapping every failure onto FICOBA's codes.

    Malformed JSON → CAT002; a missing mandatory attribute → CAF001; anything else (unknown attribute,
    wrong JSON type, too long) → CAF002. The first error found is reported, naming the attribute.
    """
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CAT002(f"corps illisible ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise CAT002("le corps doit être un objet JSON")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        path = _path(first["loc"])
        kind = first["type"]
        if kind == "missing":
            raise CAF001(path) from None
        if kind == "extra_forbidden":
            raise CAF002(f"attribut inconnu {path}") from None
        if kind == "string_too_long":
            raise CAF002(f"{path} trop long") from None
        if kind in ("string_type", "model_type", "dict_type"):
            expected = "un objet" if kind != "string_type" else "une chaîne de caractères"
            raise CAF002(f"{path} doit être {expected}") from None
        raise CAF002(path) from None
