"""What a consumer's DataPass habilitation lets it do on FICOBA.

- **Modalities** decide which search types (routes) it may call. DataPass's modality names are published
  (``with_ficoba_*``); their mapping onto routes is the sandbox's reading [I]. ``multiDet`` is reserved
  to banks holding the multi-détention scopes.
- **Motifs** (``ConsumerRecord.ficoba_motifs``) are the codes of its convention; FICOBA's catalogue of
  motifs is not published, the sandbox's is ``MOTIFS`` [I]. An unknown code is CAF003, a known code not
  granted to the consumer is CAF031 — as is a search type outside its modalities.
- **Scopes** (``ConsumerRecord.datapass_scopes``) filter the fields returned (``filter_*``). A block whose
  every field is filtered out is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any


class DataPassScope(StrEnum):
    """FICOBA's scopes: its routes need no OAuth scope, the DataPass scopes filter what is returned."""

    # Group "Informations du compte"
    ETAT_CIVIL = "dgfip_ficoba_etat_civil_denomination"
    ADRESSE = "dgfip_ficoba_adresse"
    COMPTE = "dgfip_ficoba_compte"
    ETABLISSEMENT = "dgfip_ficoba_etablissement_bancaire"
    DATE = "dgfip_ficoba_date"
    VERIFICATION = "dgfip_ficoba_restitution_verification"
    # Group "Contrôle multi-détention PER – établissements bancaires uniquement"
    MD_NOMBRE_COMPTES = "dgfip_ficoba_nombre_comptes"
    MD_IBAN = "dgfip_ficoba_iban"
    MD_DATE_OUVERTURE = "dgfip_ficoba_date_ouverture"
    MD_MOTIF_OUVERTURE = "dgfip_ficoba_motif_ouverture"


ETAT_CIVIL = DataPassScope.ETAT_CIVIL
ADRESSE = DataPassScope.ADRESSE
COMPTE = DataPassScope.COMPTE
ETABLISSEMENT = DataPassScope.ETABLISSEMENT
DATE = DataPassScope.DATE
VERIFICATION = DataPassScope.VERIFICATION
MD_NOMBRE_COMPTES = DataPassScope.MD_NOMBRE_COMPTES
MD_IBAN = DataPassScope.MD_IBAN
MD_DATE_OUVERTURE = DataPassScope.MD_DATE_OUVERTURE
MD_MOTIF_OUVERTURE = DataPassScope.MD_MOTIF_OUVERTURE

ACCOUNT_SCOPES = (ETAT_CIVIL, ADRESSE, COMPTE, ETABLISSEMENT, DATE, VERIFICATION)
MULTI_DETENTION_SCOPES = (MD_NOMBRE_COMPTES, MD_IBAN, MD_DATE_OUVERTURE, MD_MOTIF_OUVERTURE)
ALL_SCOPES = ACCOUNT_SCOPES + MULTI_DETENTION_SCOPES

# Modalities
IBAN = "with_ficoba_iban"
SPI = "with_ficoba_spi"
SIREN = "with_ficoba_siren"
PERSONNE_PHYSIQUE = "with_ficoba_personne_physique"
PERSONNE_MORALE = "with_ficoba_personne_morale"
IBAN_SIREN = "with_ficoba_iban_siren"
IBAN_PERSONNE_PHYSIQUE = "with_ficoba_iban_personne_physique"
IBAN_PERSONNE_MORALE = "with_ficoba_iban_personne_morale"
ALL_MODALITIES = (
    IBAN,
    SPI,
    SIREN,
    PERSONNE_PHYSIQUE,
    PERSONNE_MORALE,
    IBAN_SIREN,
    IBAN_PERSONNE_PHYSIQUE,
    IBAN_PERSONNE_MORALE,
)

MODALITY_BY_ROUTE = {
    "numCpte": IBAN,
    "spi": SPI,
    "siretSiren": SIREN,
    "perPhy": PERSONNE_PHYSIQUE,
    "perPro": PERSONNE_MORALE,
}
VERIF_IBAN_MODALITY = {"PP": IBAN_PERSONNE_PHYSIQUE, "PM": IBAN_PERSONNE_MORALE, "SIRENSIRET": IBAN_SIREN}

# The sandbox's motif catalogue [I]: codes written on four digits (the protocol's examples also show three).
MOTIFS: dict[str, str] = {
    "0001": "Contrôle fiscal",
    "0003": "Recouvrement des créances publiques",
    "0005": "Versement de prestations sociales",
    "0020": "Enquête sur réquisition judiciaire",
    "0021": "Contrôle préalable de multi-détention d'un compte réglementé",
    "0100": "Vérification du titulaire d'un IBAN",
}


def normalise_motif(motif: str) -> str:
    return motif.zfill(4)


def may_search(modalities: Iterable[str], route: str, *, verif_kind: str | None = None) -> bool:
    modalities = frozenset(modalities)
    if route == "verifIban":
        return VERIF_IBAN_MODALITY.get(verif_kind or "") in modalities
    return MODALITY_BY_ROUTE.get(route) in modalities


def may_check_multi_detention(scopes: Iterable[str]) -> bool:
    return MD_NOMBRE_COMPTES in frozenset(scopes)


# ---------------------------------------------------------------------------------------------------
# Field filters

_DROIT_FIELDS = ("droitSurCompte", "dateDebutDroit", "dateFinDroit", "dateMaj")
_ALWAYS = ("personneRecherchee", "scoreAppariement")


def _pick(block: dict[str, Any], keep: Iterable[str]) -> dict[str, Any]:
    keep = set(keep)
    return {k: v for k, v in block.items() if k in keep}


def filter_ayant_droit(ayant: dict[str, Any], scopes: frozenset[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ("personnePhysique", "personneMorale"):
        if kind not in ayant:
            continue
        person = ayant[kind]
        keep = set(_ALWAYS)
        if DATE in scopes:
            keep.update(_DROIT_FIELDS)
        if ETAT_CIVIL in scopes:
            keep.update(k for k in person if k not in _DROIT_FIELDS)
        picked = _pick(person, keep)
        if set(picked) - set(_ALWAYS):
            out[kind] = picked
    if ADRESSE in scopes and "adresse" in ayant:
        out["adresse"] = ayant["adresse"]
    return out


def filter_compte(compte: dict[str, Any], scopes: frozenset[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if COMPTE in scopes:
        out["caracteristiqueCompte"] = compte["caracteristiqueCompte"]
    if ETABLISSEMENT in scopes:
        out["etablissementGestionnaire"] = compte["etablissementGestionnaire"]
    ayants = [a for a in (filter_ayant_droit(a, scopes) for a in compte["ayantsDroits"]) if a]
    if ayants:
        out["ayantsDroits"] = ayants
    return out


def filter_personne_recherche(personne: dict[str, Any], scopes: frozenset[str]) -> dict[str, Any]:
    keep = set(_ALWAYS)
    if ETAT_CIVIL in scopes:
        keep.update(k for k in personne if k != "adresse")
    if ADRESSE in scopes:
        keep.add("adresse")
    return _pick(personne, keep)


def filter_compte_multi_detention(compte: dict[str, Any], scopes: frozenset[str]) -> dict[str, Any]:
    keep = {"nature", "codeEtab", "guichet"}
    if MD_IBAN in scopes:
        keep.add("iban")
    if MD_DATE_OUVERTURE in scopes:
        keep.update(("dateOuverture", "dateFiscale"))
    if MD_MOTIF_OUVERTURE in scopes:
        keep.update(("codeMotifOuverture", "libelleMotifOuverture"))
    return _pick(compte, keep)


def fields_of(value: Any, prefix: str = "") -> set[str]:
    """Dotted paths of the leaf fields present in a response fragment (list indices dropped), for the audit."""
    if isinstance(value, dict):
        paths: set[str] = set()
        for key, item in value.items():
            paths |= fields_of(item, f"{prefix}.{key}" if prefix else key)
        return paths
    if isinstance(value, list):
        paths = set()
        for item in value:
            paths |= fields_of(item, prefix)
        return paths
    return {prefix} if prefix else set()
