"""The scope registry: which claims each scope releases, their French labels, and who provides them.

Two kinds of scopes, as in FranceConnect v2 (``back/libs/scopes``):

* identity scopes (provider "FranceConnect"): each releases claims of the identité pivot
  (``identite_pivot`` → given_name, family_name, birthdate, gender, birthplace, birthcountry …);
* data-provider scopes (provider "Direction générale des Finances publiques"): one scope per DGFIP
  datum (``dgfip_rfr`` …). FranceConnect releases no claim for them: it only records that the user
  consented, and tells the data provider at checktoken time which of its scopes the token carries.

The consent page lists the labels grouped by provider ("Informations récupérées depuis …").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    slug: str
    label: str


FRANCECONNECT = Provider("fcp_low", "FranceConnect")
DGFIP = Provider("dgfip", "Direction générale des Finances publiques")


@dataclass(frozen=True)
class ScopeDef:
    name: str
    label: str
    provider: Provider
    claims: tuple[str, ...] = ()


# French labels of identity claims: FranceConnect's i18n strings (back/libs/scopes/src/i18n/fr-FR.i18n.ts,
# "FranceConnect OIDC"). An empty label is a claim the consent page does not show.
CLAIM_LABELS: dict[str, str] = {
    "sub": "",
    "gender": "Sexe",
    "given_name": "Prénom(s)",
    "given_name_array": "",
    "family_name": "Nom de naissance",
    "preferred_username": "Nom d’usage",
    "idp_birthdate": "",
    "birthdate": "Date de naissance",
    "birthplace": "Lieu de naissance",
    "birthcountry": "Pays de naissance",
    "email": "Adresse email",
    "amr": "",
    "idp_id": "",
}

_PIVOT = ("given_name", "given_name_array", "family_name", "birthdate", "gender", "birthplace", "birthcountry")

# FranceConnect (low, eidas1) identity scopes: back/libs/scopes/src/data/fcp-low/fcp-low.scopes.ts.
_IDENTITY_SCOPES: tuple[ScopeDef, ...] = (
    ScopeDef("openid", "Identifiant technique", FRANCECONNECT, ("sub",)),
    ScopeDef(
        "profile",
        "Profil",
        FRANCECONNECT,
        ("given_name", "given_name_array", "family_name", "birthdate", "gender", "preferred_username"),
    ),
    ScopeDef("birth", "Lieu et pays de naissance", FRANCECONNECT, ("birthplace", "birthcountry")),
    ScopeDef("identite_pivot", "Identité pivot", FRANCECONNECT, _PIVOT),
    ScopeDef("given_name", CLAIM_LABELS["given_name"], FRANCECONNECT, ("given_name", "given_name_array")),
    *(
        ScopeDef(claim, CLAIM_LABELS[claim], FRANCECONNECT, (claim,))
        for claim in (
            "gender",
            "birthdate",
            "birthcountry",
            "birthplace",
            "family_name",
            "email",
            "preferred_username",
            "idp_birthdate",
            "amr",
            "idp_id",
        )
    ),
)

# DGFIP data-provider scopes: exactly FranceConnect's scope library (back/libs/scopes/src/data/dgfip,
# one scope per claim), labelled with its i18n strings (back/libs/scopes/src/i18n/fr-FR.i18n.ts).
_DGFIP_LABELS: dict[str, str] = {
    "dgfip_rfr": "Revenu fiscal de référence",
    "dgfip_annee_n_moins_1": "Dernière année de revenu",
    "dgfip_annee_n_moins_2": "Avant-dernière année de revenu",
    "dgfip_annee_n_moins_3": "Avant-avant-dernière année de revenu",
    "dgfip_nbpart": "Nombre de parts du foyer fiscal",
    "dgfip_sitfam": "Situation de famille (marié, pacsé, célibataire, veuf, divorcé)",
    "dgfip_aft": "Adresse déclarée au 1er Janvier",
    "dgfip_nbpac": "Nombre de personnes à charge",
    "dgfip_inddeficit": "Indicateur de l’existence d’un déficit",
    "dgfip_pariso": "Parent isolé (case T)",
    "dgfip_decl": "État-civil des déclarants du foyer fiscal",
    "dgfip_pac": "Détail des personnes à charge et rattachées",
    "dgfip_locaux_th": "Données issues de la Taxe d’Habitation",
    "dgfip_nmUsaDec1": "Nom déclarant 1",
    "dgfip_nmNaiDec1": "Nom de naissance déclarant 1",
    "dgfip_prnmDec1": "Prénom déclarant 1",
    "dgfip_dateNaisDec1": "Date de naissance déclarant 1",
    "dgfip_nmUsaDec2": "Nom déclarant 2",
    "dgfip_nmNaiDec2": "Nom de naissance déclarant 2",
    "dgfip_prnmDec2": "Prénom déclarant 2",
    "dgfip_dateNaisDec2": "Date de naissance déclarant 2",
    "dgfip_locaux_th_ident": "Données du local - identifiant du logement",
    "dgfip_locaux_th_Nat": "Données du local – nature (maison, appartement, etc.)",
    "dgfip_locaux_th_Tax": "Données du local - régime de taxation (résidence principale uniquement)",
    "dgfip_locaux_th_Aff": "Données du local - affectation (« H » pour habitation)",
    "dgfip_pac_nbPac": "Nombre de personnes à charge",
    "dgfip_mntRevbareme": "Montant de l’impôt sur les revenus soumis au barème (ligne 14)",
    "dgfip_indiIFI": "Indicateur ISF/IFI",
    "dgfip_RevDecl_Cat1_Tspr": "Catégorie 1 - Salaires, pensions, rentes",
    "dgfip_RevDecl_Cat1_RentOn": "Catégorie 1 - Rentes viagères à titre onéreux",
    "dgfip_RevDecl_Cat2_Rcm": "Catégorie 2 - Revenus de capitaux mobiliers",
    "dgfip_RevDecl_Cat3_PMV": "Catégorie 3 - Plus ou moins values",
    "dgfip_RevDecl_Cat4_Ref": "Catégorie 4 - Revenus fonciers",
    "dgfip_RevDecl_Cat5_NonSal": "Catégorie 5 - Revenus des professions non salariées",
    "dgfip_RevNets_Cat1_Tspr": "Catégorie 1 - Salaires, pensions, rentes",
    "dgfip_RevNets_Cat1_RentOn": "Catégorie 1 - Rentes viagères à titre onéreux",
    "dgfip_RevNets_Cat2_Rcm": "Catégorie 2 - Revenus de capitaux mobiliers",
    "dgfip_RevNets_Cat3_PMV": "Catégorie 3 - Plus ou moins values",
    "dgfip_RevNets_Cat4_Ref": "Catégorie 4 - Revenus fonciers",
    "dgfip_RevNets_Cat5_NonSal": "Catégorie 5 - Revenus des professions non salariées",
    "dgfip_PaDeduc_EnfMaj": "Pensions alimentaires déductibles - Pension alimentaire versées à enfant majeur",
    "dgfip_PaDeduc_Autres": (
        "Pensions alimentaires déductibles - Autres pensions alimentaires versées (enfants mineurs, ascendants, etc.)"
    ),
    "dgfip_EpargRetrDeduc": "Versement épargne retraite",
    "dgfip_annee_n_moins_2_si_indispo_n_moins_1": (
        "Avant-dernière année de revenu, si la dernière année de revenu est indisponible"
    ),
}

_DGFIP_SCOPES: tuple[ScopeDef, ...] = tuple(ScopeDef(name, label, DGFIP) for name, label in _DGFIP_LABELS.items())

SCOPES: dict[str, ScopeDef] = {scope.name: scope for scope in (*_IDENTITY_SCOPES, *_DGFIP_SCOPES)}
IDENTITY_SCOPES: frozenset[str] = frozenset(s.name for s in _IDENTITY_SCOPES)
DGFIP_SCOPES: frozenset[str] = frozenset(s.name for s in _DGFIP_SCOPES)
# Claims a relying party may ask for through the OIDC ``claims`` parameter.
CLAIMS_SUPPORTED: tuple[str, ...] = (
    "sub",
    "given_name",
    "given_name_array",
    "family_name",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
    "preferred_username",
    "email",
    "idp_birthdate",
    "amr",
    "acr",
    "idp_id",
)


def split_scope(value: str | None) -> list[str]:
    """Space-separated scope string → ordered unique names."""
    seen: dict[str, None] = {}
    for part in (value or "").split():
        seen.setdefault(part, None)
    return list(seen)


def unknown_scopes(names: Iterable[str]) -> list[str]:
    return [name for name in names if name not in SCOPES]


def known_scopes(names: Iterable[str]) -> list[str]:
    """FranceConnect ignores the scopes it does not know (oidc-provider drops them from the request)."""
    return [name for name in names if name in SCOPES]


def claims_for_scopes(names: Iterable[str]) -> list[str]:
    """Identity claims released by these scopes (data-provider scopes release none), in a stable order."""
    claims: dict[str, None] = {}
    for name in names:
        scope = SCOPES.get(name)
        if scope is not None:
            for claim in scope.claims:
                claims.setdefault(claim, None)
    return list(claims)


@dataclass(frozen=True)
class ConsentGroup:
    provider: Provider
    labels: tuple[str, ...]


def consent_groups(names: Iterable[str]) -> list[ConsentGroup]:
    """What the consent page shows: for each provider, the labels of the requested data.

    Identity scopes show the labels of their claims (``sub`` excepted: it is technical), each once;
    data-provider scopes show their own label.
    """
    names = list(names)
    identity_labels: dict[str, None] = {}
    for claim in claims_for_scopes(n for n in names if n in IDENTITY_SCOPES):
        if CLAIM_LABELS[claim]:
            identity_labels.setdefault(CLAIM_LABELS[claim], None)
    groups: list[ConsentGroup] = []
    if identity_labels:
        groups.append(ConsentGroup(FRANCECONNECT, tuple(identity_labels)))
    dgfip_labels = tuple(SCOPES[n].label for n in names if n in DGFIP_SCOPES)
    if dgfip_labels:
        groups.append(ConsentGroup(DGFIP, dgfip_labels))
    return groups
