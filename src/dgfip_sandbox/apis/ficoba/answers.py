"""API FICOBA's answers: the store's rows serialised into FICOBA's structures (before any DataPass
filtering, datapass.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from dgfip_sandbox.apis.ficoba import nomenclatures as nom
from dgfip_sandbox.apis.ficoba.criteria import DIGITS
from dgfip_sandbox.store.accounts import Compte, Personne


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def count(n: int) -> str:
    return f"{n:03d}"


def _strip_empty(block: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in block.items() if v not in (None, "")}


def verification_compte(compte: Compte | None) -> dict[str, str]:
    if compte is None:
        return {"ibanExistant": "0"}
    out = {"ibanExistant": "1"}
    if compte.date_cloture:
        out["dateCloture"] = compte.date_cloture.isoformat()
    return out


def adresse(p: Personne) -> dict[str, str]:
    return _strip_empty(
        {
            "codePaysResidence": p.code_pays_residence,
            "libellePaysResidence": nom.libelle_pays(p.code_pays_residence),
            "codeDepartementResidence": p.code_departement_residence,
            "libelleDepartementResidence": nom.DEPARTEMENTS.get(p.code_departement_residence or ""),
            "codeCommuneResidence": p.code_commune_residence,
            "libelleCommuneResidence": p.libelle_commune_residence,
            "numeroVoie": p.numero_voie,
            "indiceRepetition": p.indice_repetition,
            "codeNatureVoie": p.code_nature_voie,
            "libelleVoie": p.libelle_voie,
            "libelleComplAdr": p.libelle_compl_adr,
            "codePostal": p.code_postal,
        }
    )


def _part(value: str | None) -> str:
    """Birth month/day as the examples write them: "2", "18"; unknown ("00") is blank."""
    number = int(value) if value and DIGITS.fullmatch(value) else 0
    return str(number) if number else ""


def personne_physique(p: Personne) -> dict[str, str]:
    return _strip_empty(
        {
            "nomNaissance": p.nom_naissance,
            "prenoms": p.prenoms,
            "anneNaissance": p.annee_naissance,  # sic: the protocol's spelling in ayantsDroits
            "moisNaissance": _part(p.mois_naissance),
            "jourNaissance": _part(p.jour_naissance),
            "sexe": nom.SEXES.get(p.sexe or ""),
            "codePaysNaissance": p.code_pays_naissance,
            "codeDepartementNaissance": p.code_departement_naissance,
            "codeCommuneNaissance": p.code_commune_naissance,
            "libellePaysNaissance": nom.libelle_pays(p.code_pays_naissance),
            "libelleDepartementNaissance": nom.DEPARTEMENTS.get(p.code_departement_naissance or ""),
            "libelleCommuneNaissance": p.libelle_commune_naissance,
        }
    )


def personne_morale(p: Personne) -> dict[str, str]:
    return _strip_empty(
        {
            "raisonSociale": p.raison_sociale,
            "sigle": p.sigle,
            "enseigne": p.enseigne,
            "categorieJuridique": p.categorie_juridique,
            "typeRepertoire": p.type_repertoire,
            "siret": p.siret,
            "numeroCopro": p.numero_copro,
            "numeroRna": p.numero_rna,
            "numeroLei": p.numero_lei,
        }
    )


def compte_dict(compte: Compte, recherchees: set[int]) -> dict[str, Any]:
    guichet = compte.guichet
    etab = guichet.etablissement
    ayants = []
    for droit in compte.droits:
        p = droit.personne
        kind = "personnePhysique" if p.kind == "PP" else "personneMorale"
        person: dict[str, Any] = {}
        if recherchees:
            person["personneRecherchee"] = "1" if p.id in recherchees else "0"
        person.update(
            {
                "droitSurCompte": nom.DROITS.get(droit.droit, str(droit.droit)),
                "dateDebutDroit": _iso(droit.date_debut),
                "dateFinDroit": _iso(droit.date_fin),
                "dateMaj": _iso(droit.date_maj),
            }
        )
        person.update(personne_physique(p) if p.kind == "PP" else personne_morale(p))
        ayant: dict[str, Any] = {kind: person}
        if droit.droit == nom.TITULAIRE:  # "adresse : obligatoire si titulaire"
            ayant["adresse"] = adresse(p)
        ayants.append(ayant)
    return {
        "caracteristiqueCompte": {
            "iban": compte.iban,
            "dateOuverture": _iso(compte.date_ouverture),
            "dateFiscale": _iso(compte.date_fiscale),
            "codeMotifOuverture": compte.code_motif_ouverture,
            "libelleMotifOuverture": nom.MOTIFS_OUVERTURE.get(compte.code_motif_ouverture, ""),
            "dateCloture": _iso(compte.date_cloture),
            "nature": {"codeNature": compte.code_nature, "libelleNature": nom.NATURES.get(compte.code_nature, "")},
            "type": {"codeType": compte.code_type, "libelleType": nom.TYPES.get(compte.code_type, "")},
            "formatCompte": "IBAN",
            "caracteristique": {
                "codeCaracteristique": compte.code_caracteristique,
                "libelleCaracteristique": nom.CARACTERISTIQUES.get(compte.code_caracteristique, ""),
            },
            "succession": nom.OUI_NON[compte.succession],
            "resident": nom.OUI_NON[compte.non_resident],  # annexe 5: the non-résident mention
            "devise": {"codeDevise": compte.devise},
        },
        "etablissementGestionnaire": {
            "etablissement": {
                "numeroEtablissement": etab.code,
                "libelleEtablissement": etab.libelle,
                "bicEtablissement": etab.bic,
            },
            "guichet": guichet_dict(compte),
        },
        "ayantsDroits": ayants,
    }


def guichet_dict(compte: Compte) -> dict[str, Any]:
    guichet = compte.guichet
    return {
        "numeroGuichet": guichet.code,
        "libelleGuichet": guichet.libelle,
        "adresse": _strip_empty(
            {
                "libAdr1": guichet.lib_adr1,
                "libAdr2": guichet.lib_adr2,
                "libAdr3": guichet.lib_adr3,
                "libAdr4": guichet.lib_adr4,
            }
        ),
    }


def compte_multi_detention(compte: Compte) -> dict[str, Any]:
    return {
        "iban": compte.iban,
        "nature": str(compte.code_nature),
        "dateOuverture": _iso(compte.date_ouverture),
        "dateFiscale": _iso(compte.date_fiscale),
        "codeMotifOuverture": compte.code_motif_ouverture,
        "libelleMotifOuverture": nom.MOTIFS_OUVERTURE.get(compte.code_motif_ouverture, ""),
        "codeEtab": compte.guichet.etablissement_code,
        "guichet": guichet_dict(compte),
    }


def personne_recherchee(p: Personne, score: float | None) -> dict[str, Any]:
    if p.kind == "PM":
        out: dict[str, Any] = _strip_empty(
            {
                "raisonSociale": p.raison_sociale,
                "sigle": p.sigle,
                "enseigne": p.enseigne,
                "siret": p.siret,
                "siren": p.siren,
            }
        )
        if p.categorie_juridique:
            out["categorieJuridique"] = int(p.categorie_juridique)
    else:
        out = _strip_empty(
            {
                "nomNaissance": p.nom_naissance,
                "nomUsage": p.nom_usage,
                "prenom": p.prenoms,
                "sexe": nom.SEXES.get(p.sexe or ""),
                "anneeNaissance": p.annee_naissance,
                "moisNaissance": _part(p.mois_naissance),
                "jourNaissance": _part(p.jour_naissance),
                "dateDeces": _iso(p.date_deces),
            }
        )
        if p.code_pays_naissance:
            out["paysNaissance"] = {
                "codePays": p.code_pays_naissance,
                "libellePays": nom.libelle_pays(p.code_pays_naissance) or "",
            }
        if p.code_departement_naissance:
            out["departementNaissance"] = {
                "codeDepartement": p.code_departement_naissance,
                "libelleDepartement": nom.DEPARTEMENTS.get(p.code_departement_naissance, ""),
            }
        if p.code_commune_naissance:
            out["communeNaissance"] = {
                "codeCommune": p.code_commune_naissance,
                "libelleCommune": p.libelle_commune_naissance or "",
            }
        if p.spi:
            out["numeroSpi"] = int(p.spi)  # int64 in the swagger: leading zeros are lost, as published
    out["adresse"] = adresse(p)
    if score is not None:
        out["scoreAppariement"] = score
    return out
