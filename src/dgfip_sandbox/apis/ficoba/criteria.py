"""API FICOBA's criteria: each search's criteria read and checked (formats CAF002, presence CAF001,
coherence CAF019, dates in range…) into the matching module's ``PersonCriteria`` / ``DesignationCriteria``.

``Criteria(today)`` is pure: no session, no consumer; searches.py calls it before any query."""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Any

from dgfip_sandbox.apis.ficoba import errors
from dgfip_sandbox.apis.ficoba import nomenclatures as nom
from dgfip_sandbox.apis.ficoba.identifiers import is_valid_iban
from dgfip_sandbox.apis.ficoba.matching import (
    DesignationCriteria,
    PersonCriteria,
    normalise,
)
from dgfip_sandbox.apis.ficoba.schemas import (
    CriteresPerPhy,
    CriteresSiretSiren,
    Designation,
    Domiciliation,
    EtatCivil,
    EtatCivilTitulaire,
    LieuNaissance,
)

# Dates, codes and identifiers are ASCII and whole (fullmatch, re.ASCII): no fullwidth or Arabic-Indic
# digits, no trailing newline.
DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?: ?T[0-9:.]+Z?)?", re.ASCII)
DIGITS = re.compile(r"[0-9]+", re.ASCII)
DEPARTEMENT = re.compile(r"[0-9]{2,3}|2[AB]", re.ASCII)


def given(value: str | None) -> str:
    """The value without surrounding spaces (only spaces: a newline or a tab is kept, and refused
    wherever a code is expected)."""
    return (value or "").strip(" ")


def digits(value: str, length: int | tuple[int, ...], label: str) -> str:
    lengths = (length,) if isinstance(length, int) else length
    if not DIGITS.fullmatch(value) or len(value) not in lengths:
        raise errors.CAF002(label)
    return value


def is_empty(model: Any) -> bool:
    """True when a criteria block is absent or every value in it is empty (the protocol's examples send
    the blocks of the other search types filled with "" or null)."""
    if model is None:
        return True
    for value in model.__dict__.values():
        if isinstance(value, str) and value.strip():
            return False
        if value is not None and not isinstance(value, str) and not is_empty(value):
            return False
    return True


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def check_coherence(kind: str, blocks: dict[str, list[Any]]) -> None:
    """CAF019: the blocks of the flagged search type must be filled, the others empty."""
    if all(is_empty(block) for block in blocks[kind]):
        raise errors.CAF019(f"{kind} à 1 sans les critères correspondants")
    others = [name for name, parts in blocks.items() if name != kind and not all(is_empty(b) for b in parts)]
    if others:
        raise errors.CAF019(f"{kind} à 1 avec des critères de {', '.join(others)}")


class Criteria:
    """Reads the criteria of one request; ``today`` (Paris) bounds the dates."""

    def __init__(self, today: date) -> None:
        self.today = today

    def check_iban(self, value: str | None, label: str = "iban") -> str:
        iban = given(value).upper()
        if not iban:
            raise errors.CAF001(label)
        if not is_valid_iban(iban):
            raise errors.CAF002(f"{label} (27 caractères FR ou FC, clés de contrôle valides)")
        return iban

    def siret_siren(self, criteres: CriteresSiretSiren | None, prefix: str) -> tuple[str, str]:
        siret = given(criteres.siret if criteres else None)
        siren = given(criteres.siren if criteres else None)
        if siret and siren:
            raise errors.CAF010()
        if not siret and not siren:
            raise errors.CAF001(f"{prefix}siret ou {prefix}siren")
        if siret:
            digits(siret, 14, f"{prefix}siret (14 chiffres)")
        if siren:
            digits(siren, 9, f"{prefix}siren (9 chiffres)")
        return siret, siren

    def parse_date(self, year: str, month: str, day: str, label: str) -> date:
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            raise errors.CAF002(label) from None

    def birth_part(self, value: str | None, label: str, upper: int, *, born_abroad: bool) -> str:
        value = given(value)
        if not value:
            return ""
        if not DIGITS.fullmatch(value) or len(value) > 2:
            raise errors.CAF002(label)
        if int(value) == 0:
            if not born_abroad:
                raise errors.CAF002(f'{label} ("00" réservé aux personnes nées à l\'étranger)')
            return "00"
        if int(value) > upper:
            raise errors.CAF002(label)
        return f"{int(value):02d}"

    def lieu_naissance(self, lieu: LieuNaissance | None, prefix: str, *, required: bool) -> tuple[str, str, str]:
        pays = given(lieu.codePaysNaissance if lieu else None)
        dept = given(lieu.codeDepartementNaissance if lieu else None).upper()
        commune = given(lieu.codeCommuneNaissance if lieu else None)
        if not pays:
            if required or dept or commune:
                raise errors.CAF001(f"{prefix}lieuNaissance.codePaysNaissance")
            return "", "", ""
        digits(pays, 5, f"{prefix}lieuNaissance.codePaysNaissance (5 chiffres)")
        if dept and not DEPARTEMENT.fullmatch(dept):
            raise errors.CAF002(f"{prefix}lieuNaissance.codeDepartementNaissance")
        if commune:
            digits(commune, (2, 3), f"{prefix}lieuNaissance.codeCommuneNaissance")
        if commune and not dept:
            raise errors.CAF001(f"{prefix}lieuNaissance.codeDepartementNaissance")
        return pays, dept, commune

    def domiciliation(self, dom: Domiciliation | None, prefix: str, *, france_only: bool) -> dict[str, str]:
        if dom is None or is_empty(dom):
            return {}
        pays = given(dom.codePays)
        others = [
            given(dom.codeDepartement),
            given(dom.codeCommune),
            given(dom.codePostal),
            given(dom.libelleVoie),
            given(dom.numeroVoie),
        ]
        if not pays:
            raise errors.CAF001(f"{prefix}domiciliation.codePays")
        digits(pays, 5, f"{prefix}domiciliation.codePays (5 chiffres)")
        if pays != nom.FRANCE and france_only:
            if any(others):
                raise errors.CAF016(f"{prefix}domiciliation")
            raise errors.CAF027(f"{prefix}domiciliation.codePays")
        dept = given(dom.codeDepartement).upper()
        if dept and not DEPARTEMENT.fullmatch(dept):
            raise errors.CAF002(f"{prefix}domiciliation.codeDepartement")
        commune = given(dom.codeCommune)
        if commune:
            digits(commune, (2, 3, 5), f"{prefix}domiciliation.codeCommune")
            if len(commune) == 5:  # a full INSEE code: keep the commune part, check the département
                split_dept, split_commune = nom.split_commune(commune)
                commune = split_commune or ""
                if dept and split_dept != dept:
                    raise errors.CAF002(f"{prefix}domiciliation.codeCommune (hors du département)")
                dept = dept or split_dept or ""
        code_postal = given(dom.codePostal)
        if code_postal:
            digits(code_postal, 5, f"{prefix}domiciliation.codePostal (5 chiffres)")
        return {"pays": pays, "dept": dept, "commune": commune, "code_postal": code_postal}

    def person(self, criteres: CriteresPerPhy, prefix: str, *, multi_detention: bool) -> PersonCriteria:
        etat = criteres.etatCivil
        if etat is None or is_empty(etat):
            raise errors.CAF001(f"{prefix}etatCivil")
        nom_norm = normalise(etat.nom)
        if not nom_norm:
            raise errors.CAF001(f"{prefix}etatCivil.nom")
        prenoms = normalise(etat.prenoms)
        if multi_detention and not prenoms:
            raise errors.CAF001(f"{prefix}etatCivil.prenoms")
        sexe = given(etat.sexe)
        if sexe and sexe not in nom.SEXES:
            raise errors.CAF002(f"{prefix}etatCivil.sexe (1, 2, 3 ou 4)")

        pays, dept, commune = self.lieu_naissance(criteres.lieuNaissance, prefix, required=multi_detention)
        if multi_detention and pays == nom.FRANCE and not (dept and commune):
            raise errors.CAF001(f"{prefix}lieuNaissance.codeDepartementNaissance et codeCommuneNaissance")
        born_abroad = pays != nom.FRANCE  # also when no birthplace is given: "00" then means "unknown"

        annee = given(etat.anneeNaissance)
        range_given = any(
            given(getattr(etat, f"{p}Naissance{s}")) for p in ("annee", "mois", "jour") for s in ("Debut", "Fin")
        )
        debut = fin = None
        if annee:
            if range_given:
                raise errors.CAF002(f"{prefix}etatCivil (anneeNaissance et intervalle de dates simultanés)")
            digits(annee, 4, f"{prefix}etatCivil.anneeNaissance")
            mois = self.birth_part(etat.moisNaissance, f"{prefix}etatCivil.moisNaissance", 12, born_abroad=born_abroad)
            jour = self.birth_part(etat.jourNaissance, f"{prefix}etatCivil.jourNaissance", 31, born_abroad=born_abroad)
            if multi_detention and not born_abroad and not (mois and jour):
                raise errors.CAF001(f"{prefix}etatCivil.moisNaissance et jourNaissance")
            if jour and jour != "00" and not mois:
                raise errors.CAF001(f"{prefix}etatCivil.moisNaissance")
            known_month = mois if mois not in ("", "00") else None
            known_day = jour if jour not in ("", "00") else None
            earliest = self.parse_date(
                annee, known_month or "01", known_day or "01", f"{prefix}etatCivil (date de naissance)"
            )
            if earliest > self.today:
                raise errors.CAF024(f"{prefix}etatCivil (date de naissance)")
        else:
            if multi_detention:
                if range_given:
                    raise errors.CAF002(f"{prefix}etatCivil (pas d'intervalle de dates en multi-détention)")
                raise errors.CAF001(f"{prefix}etatCivil.anneeNaissance")
            mois = jour = ""
            if not (given(etat.anneeNaissanceDebut) and given(etat.anneeNaissanceFin)):
                raise errors.CAF001(f"{prefix}etatCivil.anneeNaissance (ou anneeNaissanceDebut et anneeNaissanceFin)")
            debut_date = self.range_bound(
                etat.anneeNaissanceDebut,
                etat.moisNaissanceDebut,
                etat.jourNaissanceDebut,
                f"{prefix}etatCivil.naissanceDebut",
                end=False,
            )
            fin_date = self.range_bound(
                etat.anneeNaissanceFin,
                etat.moisNaissanceFin,
                etat.jourNaissanceFin,
                f"{prefix}etatCivil.naissanceFin",
                end=True,
            )
            if fin_date < debut_date:
                raise errors.CAF002(f"{prefix}etatCivil (fin de l'intervalle avant son début)")
            if max(debut_date, fin_date) > self.today:
                raise errors.CAF024(f"{prefix}etatCivil (intervalle de dates de naissance)")
            if fin_date > _add_years(debut_date, 1):
                raise errors.CAF032()
            if debut_date < _add_years(self.today, -10):
                raise errors.CAF033()
            debut = (debut_date.year, debut_date.month, debut_date.day)
            fin = (fin_date.year, fin_date.month, fin_date.day)

        dom = self.domiciliation(criteres.domiciliation, prefix, france_only=not multi_detention)
        return PersonCriteria(
            nom=nom_norm,
            prenoms=prenoms,
            sexe=sexe,
            annee=annee,
            mois=mois,
            jour=jour,
            debut=debut,
            fin=fin,
            code_pays_naissance=pays,
            code_departement_naissance=dept,
            code_commune_naissance=commune,
            code_pays_residence=dom.get("pays", ""),
            code_departement_residence=dom.get("dept", ""),
            code_commune_residence=dom.get("commune", ""),
            code_postal=dom.get("code_postal", ""),
        )

    def range_bound(self, year: str | None, month: str | None, day: str | None, label: str, *, end: bool) -> date:
        year = digits(given(year), 4, f"{label} (année)")
        month_s = given(month)
        if month_s:
            digits(month_s, (1, 2), f"{label} (mois)")
        month_i = int(month_s) if month_s else (12 if end else 1)
        day_s = given(day)
        if day_s:
            digits(day_s, (1, 2), f"{label} (jour)")
        if not 1 <= month_i <= 12:
            raise errors.CAF002(f"{label} (mois)")
        day_i = int(day_s) if day_s else (calendar.monthrange(int(year), month_i)[1] if end else 1)
        return self.parse_date(year, str(month_i), str(day_i), label)

    def designation(
        self, designation: Designation | None, dom: Domiciliation | None, prefix: str, *, multi_detention: bool
    ) -> DesignationCriteria:
        if designation is None or is_empty(designation):
            raise errors.CAF001(f"{prefix}designation")
        raison, sigle, enseigne = (
            normalise(designation.raisonSociale),
            normalise(designation.sigle),
            normalise(designation.enseigne),
        )
        if multi_detention and not raison:
            raise errors.CAF001(f"{prefix}designation.raisonSociale")
        if not (raison or sigle or enseigne):
            raise errors.CAF001(f"{prefix}designation.raisonSociale, sigle ou enseigne")
        categorie = given(designation.codeCategorieJuridique)
        if multi_detention and not categorie:
            raise errors.CAF001(f"{prefix}designation.codeCategorieJuridique")
        if categorie:
            digits(categorie, 4, f"{prefix}designation.codeCategorieJuridique (4 chiffres)")
        if multi_detention:
            if is_empty(dom) or not given(dom.codePays if dom else None):
                raise errors.CAF001(f"{prefix}domiciliation.codePays")
            if given(dom.codePays if dom else None) == nom.FRANCE and not (
                given(dom.codeDepartement if dom else None) and given(dom.codeCommune if dom else None)
            ):
                raise errors.CAF001(f"{prefix}domiciliation.codeDepartement et codeCommune")
        address = self.domiciliation(dom, prefix, france_only=not multi_detention)
        return DesignationCriteria(
            raison_sociale=raison,
            sigle=sigle,
            enseigne=enseigne,
            categorie_juridique=categorie,
            code_pays_residence=address.get("pays", ""),
            code_departement_residence=address.get("dept", ""),
            code_commune_residence=address.get("commune", ""),
            code_postal=address.get("code_postal", ""),
        )

    def titulaire(self, etat: EtatCivilTitulaire, lieu: LieuNaissance | None, prefix: str) -> PersonCriteria:
        """verifIban names the holder; its birth date is optional there (§7.3.2 gives it no typologie)."""
        if given(etat.anneeNaissance):
            as_search = EtatCivil(
                nom=etat.nom,
                prenoms=etat.prenoms,
                sexe=etat.sexe,
                anneeNaissance=etat.anneeNaissance,
                moisNaissance=etat.moisNaissance,
                jourNaissance=etat.jourNaissance,
            )
            return self.person(CriteresPerPhy(etatCivil=as_search, lieuNaissance=lieu), prefix, multi_detention=False)
        nom_norm = normalise(etat.nom)
        if not nom_norm:
            raise errors.CAF001(f"{prefix}etatCivil.nom")
        sexe = given(etat.sexe)
        if sexe and sexe not in nom.SEXES:
            raise errors.CAF002(f"{prefix}etatCivil.sexe (1, 2, 3 ou 4)")
        if given(etat.moisNaissance) or given(etat.jourNaissance):
            raise errors.CAF001(f"{prefix}etatCivil.anneeNaissance")
        pays, dept, commune = self.lieu_naissance(lieu, prefix, required=False)
        return PersonCriteria(
            nom=nom_norm,
            prenoms=normalise(etat.prenoms),
            sexe=sexe,
            debut=(0, 1, 1),
            fin=(9999, 12, 31),
            code_pays_naissance=pays,
            code_departement_naissance=dept,
            code_commune_naissance=commune,
        )
