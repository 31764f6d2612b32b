"""Name normalisation and the appariement score of person searches.

§5.3.2.1 / §6.3.2.1: "Les informations doivent être transmises en majuscules, sans accent et sans caractère
spécial … Dans le cas contraire, l'API fera la conversion et les caractères spéciaux seront remplacés par des
espaces." The same function builds the stored search keys and the keys searched for, so a quote, an SQL
fragment or a control character in a name is only ever a string compared with bound parameters.

The score (``scoreAppariement``, a percentage) is the sandbox's own [I]: DGFIP does not publish its
formula. A candidate must match the normalised name (birth or usage name) and the birth year bounds
(the index lookup); every other criterion given either matches or excludes the candidate, and adds
points when it matches.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from dgfip_sandbox.store.accounts import Personne

_LIGATURES = str.maketrans({"Œ": "OE", "œ": "OE", "Æ": "AE", "æ": "AE", "ß": "SS"})
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")


def normalise(value: str | None) -> str:
    """Upper case, accents removed, every other character (quotes, hyphens, control characters…) a
    space, spaces collapsed. ``"Charles-Édouard d'Arc"`` → ``"CHARLES EDOUARD D ARC"``."""
    if not value:
        return ""
    text = unicodedata.normalize("NFKD", value.translate(_LIGATURES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).upper()
    return _NON_ALNUM.sub(" ", text).strip()


@dataclass(frozen=True)
class PersonCriteria:
    """What a person search asks for, already validated and normalised. Empty means "not given"."""

    nom: str
    prenoms: str = ""
    sexe: str = ""
    annee: str = ""  # exact year, or "" when a range is given
    mois: str = ""  # "" or "00" = not constrained
    jour: str = ""
    debut: tuple[int, int, int] | None = None  # (year, month, day) range bounds, inclusive
    fin: tuple[int, int, int] | None = None
    code_pays_naissance: str = ""
    code_departement_naissance: str = ""
    code_commune_naissance: str = ""
    code_pays_residence: str = ""
    code_departement_residence: str = ""
    code_commune_residence: str = ""
    code_postal: str = ""

    @property
    def annee_bounds(self) -> tuple[str, str]:
        if self.annee:
            return self.annee, self.annee
        assert self.debut and self.fin
        return f"{self.debut[0]:04d}", f"{self.fin[0]:04d}"


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def score_personne(personne: Personne, criteria: PersonCriteria) -> float | None:
    """The appariement score (0-100) of a candidate, or None when a given criterion excludes it."""
    points = 0.0
    available = 0.0

    # Name: the index lookup already matched birth or usage name.
    available += 40
    points += 40 if personne.nom_norm == criteria.nom else 30

    if criteria.prenoms:
        available += 30
        wanted = criteria.prenoms.split()
        have = (personne.prenoms_norm or "").split()
        if wanted == have:
            points += 30
        elif have and wanted[0] == have[0]:
            points += 20
        elif set(wanted) & set(have):
            points += 10
        else:
            return None

    if criteria.sexe in ("1", "2"):
        available += 5
        if personne.sexe in ("1", "2") and personne.sexe != criteria.sexe:
            return None
        points += 5

    # Birth date
    p_year, p_month, p_day = (
        _int(personne.annee_naissance),
        _int(personne.mois_naissance),
        _int(personne.jour_naissance),
    )
    if criteria.annee:
        available += 15
        points += 5  # the year matched in the index lookup
        for wanted_part, have_part in ((criteria.mois, p_month), (criteria.jour, p_day)):
            wanted_int = _int(wanted_part)
            if wanted_int == 0:  # not given, or "00" for people born abroad
                continue
            if have_part == 0:  # incomplete stored date: neither proof nor contradiction
                continue
            if have_part != wanted_int:
                return None
            points += 5
    elif criteria.debut and criteria.fin:
        available += 15
        born = (p_year, p_month or 1, p_day or 1)
        if not (criteria.debut <= born <= criteria.fin):
            return None
        points += 10

    # Birth place
    if criteria.code_pays_naissance:
        available += 10
        if personne.code_pays_naissance != criteria.code_pays_naissance:
            return None
        points += 5
        if criteria.code_departement_naissance:
            if personne.code_departement_naissance != criteria.code_departement_naissance:
                return None
            if criteria.code_commune_naissance:
                if personne.code_commune_naissance != criteria.code_commune_naissance:
                    return None
                points += 5
            else:
                points += 3

    if not address_matches(personne, criteria):
        return None
    if criteria.code_departement_residence or criteria.code_postal:
        available += 5
        points += 5

    return round(100.0 * points / available, 2) if available else 100.0


def address_matches(personne: Personne, criteria: PersonCriteria) -> bool:
    if criteria.code_pays_residence and personne.code_pays_residence != criteria.code_pays_residence:
        return False
    if (
        criteria.code_departement_residence
        and personne.code_departement_residence != criteria.code_departement_residence
    ):
        return False
    if criteria.code_commune_residence and personne.code_commune_residence != criteria.code_commune_residence:
        return False
    return not (criteria.code_postal and personne.code_postal != criteria.code_postal)


@dataclass(frozen=True)
class DesignationCriteria:
    raison_sociale: str = ""
    sigle: str = ""
    enseigne: str = ""
    categorie_juridique: str = ""
    code_pays_residence: str = ""
    code_departement_residence: str = ""
    code_commune_residence: str = ""
    code_postal: str = ""


def score_personne_morale(personne: Personne, criteria: DesignationCriteria) -> float | None:
    points = 0.0
    available = 0.0
    for wanted, have in (
        (criteria.raison_sociale, personne.raison_sociale_norm),
        (criteria.sigle, personne.sigle_norm),
        (criteria.enseigne, personne.enseigne_norm),
    ):
        if wanted:
            available += 30
            if wanted == have:
                points += 30
    if points == 0:
        return None
    if criteria.categorie_juridique:
        available += 10
        if personne.categorie_juridique != criteria.categorie_juridique:
            return None
        points += 10
    address = PersonCriteria(
        nom="",
        code_pays_residence=criteria.code_pays_residence,
        code_departement_residence=criteria.code_departement_residence,
        code_commune_residence=criteria.code_commune_residence,
        code_postal=criteria.code_postal,
    )
    if not address_matches(personne, address):
        return None
    if criteria.code_departement_residence or criteria.code_postal:
        available += 10
        points += 10
    return round(100.0 * points / available, 2) if available else 100.0
