"""API FICOBA's searches: the rules on criteria, the queries, the answers.

One ``FicobaService`` per request, given the store session, the clock and the consumer. Each public
method takes a validated request (``schemas``) and returns a ``Reponse``: the JSON body and what the
audit record keeps. Refusals raise ``errors.FicobaError``; "no result" answers (CAF007, 009, 011, 013,
015, 020, 026) are 200s with ``messageInformatif``.

Checks run in this order: envelope (formats, demandeur CAF030, motif CAF003/CAF031), search type allowed
by the consumer's modalities (CAF031), the route's criteria, then the search.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.apis.ficoba import datapass, errors
from dgfip_sandbox.apis.ficoba import nomenclatures as nom
from dgfip_sandbox.apis.ficoba.identifiers import is_valid_iban
from dgfip_sandbox.apis.ficoba.matching import (
    DesignationCriteria,
    PersonCriteria,
    normalise,
    score_personne,
    score_personne_morale,
)
from dgfip_sandbox.apis.ficoba.schemas import (
    CriteresPerPhy,
    CriteresPerPro,
    CriteresSiretSiren,
    DemandeMultiDet,
    DemandeNumCpte,
    DemandePerPhy,
    DemandePerPro,
    DemandeSiretSiren,
    DemandeSpi,
    DemandeVerifIban,
    Designation,
    Domiciliation,
    EtatCivil,
    EtatCivilTitulaire,
    LieuNaissance,
    _Demande,
)
from dgfip_sandbox.clock import Clock
from dgfip_sandbox.errors import PARIS
from dgfip_sandbox.store import accounts as store
from dgfip_sandbox.store.accounts import Compte, Personne
from dgfip_sandbox.store.consumers import ConsumerRecord

MAX_PERSONNES = 100  # persons returned by one état-civil / dénomination search
# Dates, codes and identifiers are ASCII and whole (fullmatch, re.ASCII): no fullwidth or Arabic-Indic
# digits, no trailing newline.
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?: ?T[0-9:.]+Z?)?", re.ASCII)
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_DEPARTEMENT = re.compile(r"[0-9]{2,3}|2[AB]", re.ASCII)


@dataclass
class Reponse:
    body: dict[str, Any]
    outcome: str = "OK"
    spi: str | None = None
    fields_returned: list[str] = field(default_factory=list)


def _given(value: str | None) -> str:
    """The value without surrounding spaces (only spaces: a newline or a tab is kept, and refused
    wherever a code is expected)."""
    return (value or "").strip(" ")


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def _count(n: int) -> str:
    return f"{n:03d}"


def _strip_empty(block: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in block.items() if v not in (None, "")}


def _digits(value: str, length: int | tuple[int, ...], label: str) -> str:
    lengths = (length,) if isinstance(length, int) else length
    if not _DIGITS.fullmatch(value) or len(value) not in lengths:
        raise errors.CAF002(label)
    return value


def _is_empty(model: Any) -> bool:
    """True when a criteria block is absent or every value in it is empty (the protocol's examples send
    the blocks of the other search types filled with "" or null)."""
    if model is None:
        return True
    for value in model.__dict__.values():
        if isinstance(value, str) and value.strip():
            return False
        if value is not None and not isinstance(value, str) and not _is_empty(value):
            return False
    return True


class FicobaService:
    def __init__(self, session: AsyncSession, *, clock: Clock, consumer: ConsumerRecord) -> None:
        self.session = session
        self.clock = clock
        self.consumer = consumer
        self.scopes = frozenset(consumer.datapass_scopes)
        self.today = clock.now().astimezone(PARIS).date()

    # -----------------------------------------------------------------------------------------------
    # Envelope

    def check_envelope(self, demande: _Demande) -> None:
        match = _DATE.fullmatch(demande.dateDemande.strip(" "))
        if not match:
            raise errors.CAF002("dateDemande (format AAAA-MM-JJ)")
        try:
            date_demande = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise errors.CAF002("dateDemande (date inexistante)") from None
        if date_demande > self.today:
            raise errors.CAF024("dateDemande")

        if not _given(demande.justification):
            raise errors.CAF001("justification")

        motif = _given(demande.motif)
        if not motif:
            raise errors.CAF001("motif")
        if not _DIGITS.fullmatch(motif) or len(motif) < 3:
            raise errors.CAF002("motif (3 ou 4 chiffres)")

        siret, siren = _given(demande.siretDemandeur), _given(demande.sirenDemandeur)
        if not siret and not siren:
            raise errors.CAF001("siretDemandeur ou sirenDemandeur")
        if siret:
            _digits(siret, 14, "siretDemandeur (14 chiffres)")
        if siren:
            _digits(siren, 9, "sirenDemandeur (9 chiffres)")
        own = self.consumer.siret or ""
        if not own or (siret and siret != own) or (siren and siren != own[:9]):
            raise errors.CAF030()

        code = datapass.normalise_motif(motif)
        if code not in datapass.MOTIFS:
            raise errors.CAF003(motif)
        if code not in {datapass.normalise_motif(m) for m in self.consumer.ficoba_motifs}:
            raise errors.CAF031(f"motif {motif} non accordé à ce demandeur")

    def check_modality(self, route: str, *, verif_kind: str | None = None) -> None:
        if not datapass.may_search(self.consumer.ficoba_modalities, route, verif_kind=verif_kind):
            kind = f"{route}/{verif_kind}" if verif_kind else route
            raise errors.CAF031(f"type de recherche {kind} non accordé à ce demandeur")

    async def _envelope(
        self,
        demande: _Demande,
        route: str,
        reponse: dict[str, Any] | None,
        *,
        informatif: errors.FicobaError | None = None,
        nombre: int = 0,
    ) -> dict[str, Any]:
        numero = await store.new_demande(self.session, at=self.clock.now(), consumer_id=self.consumer.id, route=route)
        body: dict[str, Any] = {
            "caracteristiquesDemande": demande.model_dump(exclude_unset=True),
            "referenceDemande": f"FCB_{self.today.year:04d}_{numero:09d}",
            "nombreReponses": _count(nombre),
        }
        if informatif is not None:
            body["messageInformatif"] = informatif.informatif(self.clock.now())
        if reponse is not None:
            body["reponses"] = reponse
        return body

    def _result(
        self, body: dict[str, Any], informatif: errors.FicobaError | None, *, spi: str | None = None, data: Any = None
    ) -> Reponse:
        return Reponse(
            body=body,
            outcome=str(informatif.code) if informatif else "OK",
            spi=spi,
            fields_returned=sorted(datapass.fields_of(data)) if data is not None else [],
        )

    # -----------------------------------------------------------------------------------------------
    # Criteria helpers

    def _check_iban(self, value: str | None, label: str = "iban") -> str:
        iban = _given(value).upper()
        if not iban:
            raise errors.CAF001(label)
        if not is_valid_iban(iban):
            raise errors.CAF002(f"{label} (27 caractères FR ou FC, clés de contrôle valides)")
        return iban

    def _siret_siren(self, criteres: CriteresSiretSiren | None, prefix: str) -> tuple[str, str]:
        siret = _given(criteres.siret if criteres else None)
        siren = _given(criteres.siren if criteres else None)
        if siret and siren:
            raise errors.CAF010()
        if not siret and not siren:
            raise errors.CAF001(f"{prefix}siret ou {prefix}siren")
        if siret:
            _digits(siret, 14, f"{prefix}siret (14 chiffres)")
        if siren:
            _digits(siren, 9, f"{prefix}siren (9 chiffres)")
        return siret, siren

    def _date(self, year: str, month: str, day: str, label: str) -> date:
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            raise errors.CAF002(label) from None

    def _birth_part(self, value: str | None, label: str, upper: int, *, born_abroad: bool) -> str:
        value = _given(value)
        if not value:
            return ""
        if not _DIGITS.fullmatch(value) or len(value) > 2:
            raise errors.CAF002(label)
        if int(value) == 0:
            if not born_abroad:
                raise errors.CAF002(f'{label} ("00" réservé aux personnes nées à l\'étranger)')
            return "00"
        if int(value) > upper:
            raise errors.CAF002(label)
        return f"{int(value):02d}"

    def _lieu_naissance(self, lieu: LieuNaissance | None, prefix: str, *, required: bool) -> tuple[str, str, str]:
        pays = _given(lieu.codePaysNaissance if lieu else None)
        dept = _given(lieu.codeDepartementNaissance if lieu else None).upper()
        commune = _given(lieu.codeCommuneNaissance if lieu else None)
        if not pays:
            if required or dept or commune:
                raise errors.CAF001(f"{prefix}lieuNaissance.codePaysNaissance")
            return "", "", ""
        _digits(pays, 5, f"{prefix}lieuNaissance.codePaysNaissance (5 chiffres)")
        if dept and not _DEPARTEMENT.fullmatch(dept):
            raise errors.CAF002(f"{prefix}lieuNaissance.codeDepartementNaissance")
        if commune:
            _digits(commune, (2, 3), f"{prefix}lieuNaissance.codeCommuneNaissance")
        if commune and not dept:
            raise errors.CAF001(f"{prefix}lieuNaissance.codeDepartementNaissance")
        return pays, dept, commune

    def _domiciliation(self, dom: Domiciliation | None, prefix: str, *, france_only: bool) -> dict[str, str]:
        if dom is None or _is_empty(dom):
            return {}
        pays = _given(dom.codePays)
        others = [
            _given(dom.codeDepartement),
            _given(dom.codeCommune),
            _given(dom.codePostal),
            _given(dom.libelleVoie),
            _given(dom.numeroVoie),
        ]
        if not pays:
            raise errors.CAF001(f"{prefix}domiciliation.codePays")
        _digits(pays, 5, f"{prefix}domiciliation.codePays (5 chiffres)")
        if pays != nom.FRANCE and france_only:
            if any(others):
                raise errors.CAF016(f"{prefix}domiciliation")
            raise errors.CAF027(f"{prefix}domiciliation.codePays")
        dept = _given(dom.codeDepartement).upper()
        if dept and not _DEPARTEMENT.fullmatch(dept):
            raise errors.CAF002(f"{prefix}domiciliation.codeDepartement")
        commune = _given(dom.codeCommune)
        if commune:
            _digits(commune, (2, 3, 5), f"{prefix}domiciliation.codeCommune")
            if len(commune) == 5:  # a full INSEE code: keep the commune part, check the département
                split_dept, commune = nom.split_commune(commune)
                if dept and split_dept != dept:
                    raise errors.CAF002(f"{prefix}domiciliation.codeCommune (hors du département)")
                dept = dept or split_dept or ""
        code_postal = _given(dom.codePostal)
        if code_postal:
            _digits(code_postal, 5, f"{prefix}domiciliation.codePostal (5 chiffres)")
        return {"pays": pays, "dept": dept, "commune": commune, "code_postal": code_postal}

    def _person_criteria(self, criteres: CriteresPerPhy, prefix: str, *, multi_detention: bool) -> PersonCriteria:
        etat = criteres.etatCivil
        if etat is None or _is_empty(etat):
            raise errors.CAF001(f"{prefix}etatCivil")
        nom_norm = normalise(etat.nom)
        if not nom_norm:
            raise errors.CAF001(f"{prefix}etatCivil.nom")
        prenoms = normalise(etat.prenoms)
        if multi_detention and not prenoms:
            raise errors.CAF001(f"{prefix}etatCivil.prenoms")
        sexe = _given(etat.sexe)
        if sexe and sexe not in nom.SEXES:
            raise errors.CAF002(f"{prefix}etatCivil.sexe (1, 2, 3 ou 4)")

        pays, dept, commune = self._lieu_naissance(criteres.lieuNaissance, prefix, required=multi_detention)
        if multi_detention and pays == nom.FRANCE and not (dept and commune):
            raise errors.CAF001(f"{prefix}lieuNaissance.codeDepartementNaissance et codeCommuneNaissance")
        born_abroad = pays != nom.FRANCE  # also when no birthplace is given: "00" then means "unknown"

        annee = _given(etat.anneeNaissance)
        range_given = any(
            _given(getattr(etat, f"{p}Naissance{s}")) for p in ("annee", "mois", "jour") for s in ("Debut", "Fin")
        )
        debut = fin = None
        if annee:
            if range_given:
                raise errors.CAF002(f"{prefix}etatCivil (anneeNaissance et intervalle de dates simultanés)")
            _digits(annee, 4, f"{prefix}etatCivil.anneeNaissance")
            mois = self._birth_part(etat.moisNaissance, f"{prefix}etatCivil.moisNaissance", 12, born_abroad=born_abroad)
            jour = self._birth_part(etat.jourNaissance, f"{prefix}etatCivil.jourNaissance", 31, born_abroad=born_abroad)
            if multi_detention and not born_abroad and not (mois and jour):
                raise errors.CAF001(f"{prefix}etatCivil.moisNaissance et jourNaissance")
            if jour and jour != "00" and not mois:
                raise errors.CAF001(f"{prefix}etatCivil.moisNaissance")
            known_month = mois if mois not in ("", "00") else None
            known_day = jour if jour not in ("", "00") else None
            earliest = self._date(
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
            if not (_given(etat.anneeNaissanceDebut) and _given(etat.anneeNaissanceFin)):
                raise errors.CAF001(f"{prefix}etatCivil.anneeNaissance (ou anneeNaissanceDebut et anneeNaissanceFin)")
            debut_date = self._range_bound(
                etat.anneeNaissanceDebut,
                etat.moisNaissanceDebut,
                etat.jourNaissanceDebut,
                f"{prefix}etatCivil.naissanceDebut",
                end=False,
            )
            fin_date = self._range_bound(
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

        dom = self._domiciliation(criteres.domiciliation, prefix, france_only=not multi_detention)
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

    def _range_bound(self, year: str | None, month: str | None, day: str | None, label: str, *, end: bool) -> date:
        year = _digits(_given(year), 4, f"{label} (année)")
        month_s = _given(month)
        if month_s:
            _digits(month_s, (1, 2), f"{label} (mois)")
        month_i = int(month_s) if month_s else (12 if end else 1)
        day_s = _given(day)
        if day_s:
            _digits(day_s, (1, 2), f"{label} (jour)")
        if not 1 <= month_i <= 12:
            raise errors.CAF002(f"{label} (mois)")
        day_i = int(day_s) if day_s else (calendar.monthrange(int(year), month_i)[1] if end else 1)
        return self._date(year, str(month_i), str(day_i), label)

    def _designation_criteria(
        self, designation: Designation | None, dom: Domiciliation | None, prefix: str, *, multi_detention: bool
    ) -> DesignationCriteria:
        if designation is None or _is_empty(designation):
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
        categorie = _given(designation.codeCategorieJuridique)
        if multi_detention and not categorie:
            raise errors.CAF001(f"{prefix}designation.codeCategorieJuridique")
        if categorie:
            _digits(categorie, 4, f"{prefix}designation.codeCategorieJuridique (4 chiffres)")
        if multi_detention:
            if _is_empty(dom) or not _given(dom.codePays if dom else None):
                raise errors.CAF001(f"{prefix}domiciliation.codePays")
            if _given(dom.codePays if dom else None) == nom.FRANCE and not (
                _given(dom.codeDepartement if dom else None) and _given(dom.codeCommune if dom else None)
            ):
                raise errors.CAF001(f"{prefix}domiciliation.codeDepartement et codeCommune")
        address = self._domiciliation(dom, prefix, france_only=not multi_detention)
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

    async def _match_personnes(self, criteria: PersonCriteria) -> list[tuple[Personne, float]]:
        low, high = criteria.annee_bounds
        candidates = await store.personnes_physiques_candidates(
            self.session, nom=criteria.nom, annee_min=low, annee_max=high
        )
        scored = [(p, s) for p in candidates if (s := score_personne(p, criteria)) is not None]
        scored.sort(key=lambda item: (-item[1], item[0].id))
        return scored

    async def _match_personnes_morales(self, criteria: DesignationCriteria) -> list[tuple[Personne, float]]:
        candidates = await store.personnes_morales_candidates(
            self.session, raison_sociale=criteria.raison_sociale, sigle=criteria.sigle, enseigne=criteria.enseigne
        )
        scored = [(p, s) for p in candidates if (s := score_personne_morale(p, criteria)) is not None]
        scored.sort(key=lambda item: (-item[1], item[0].id))
        return scored

    # -----------------------------------------------------------------------------------------------
    # Answers

    async def _reponses_personnes(self, matches: list[tuple[Personne, float | None]]) -> list[dict[str, Any]]:
        comptes_by_person = await store.comptes_of(self.session, [p.id for p, _ in matches])
        reponses = []
        for personne, score in matches:
            comptes = comptes_by_person.get(personne.id) or []
            if not comptes:
                continue
            recherche = personne_recherchee(personne, score)
            filtered = [datapass.filter_compte(compte_dict(c, {personne.id}), self.scopes) for c in comptes]
            reponses.append(
                {
                    "personneRecherche": datapass.filter_personne_recherche(recherche, self.scopes),
                    "nombreComptes": _count(len(comptes)),
                    "comptes": filtered,
                }
            )
            if len(reponses) >= MAX_PERSONNES:
                break
        return reponses

    async def _answer_personnes(
        self,
        demande: _Demande,
        route: str,
        matches: list[tuple[Personne, float | None]],
        none: errors.FicobaError,
        *,
        spi: str | None = None,
    ) -> Reponse:
        reponses = await self._reponses_personnes(matches)
        if not reponses:
            body = await self._envelope(demande, route, None, informatif=none)
            return self._result(body, none, spi=spi)
        body = await self._envelope(demande, route, reponses, nombre=len(reponses))
        return self._result(body, None, spi=spi, data=reponses)

    # -----------------------------------------------------------------------------------------------
    # Routes

    async def num_cpte(self, demande: DemandeNumCpte) -> Reponse:
        self.check_envelope(demande)
        self.check_modality("numCpte")
        criteres = demande.criteresRecherche
        iban = self._check_iban(criteres.iban, "criteresRecherche.iban")
        verification = _given(criteres.verificationCompte)
        if not verification:
            raise errors.CAF001("criteresRecherche.verificationCompte")
        if verification not in ("0", "1"):
            raise errors.CAF002("criteresRecherche.verificationCompte (0 ou 1)")
        if verification == "1" and datapass.VERIFICATION not in self.scopes:
            raise errors.CAF031(f"vérification de compte sans l'habilitation {datapass.VERIFICATION}")

        compte = await store.compte_by_iban(self.session, iban)
        if verification == "1":
            reponse = {"verificationCompte": verification_compte(compte)}
            informatif = errors.CAF011() if compte is None else None
            body = await self._envelope(demande, "numCpte", reponse, informatif=informatif, nombre=1)
            return self._result(body, informatif, data=reponse)
        if compte is None:
            informatif = errors.CAF011()
            body = await self._envelope(demande, "numCpte", None, informatif=informatif)
            return self._result(body, informatif)
        comptes = [datapass.filter_compte(compte_dict(compte, set()), self.scopes)]
        informatif = errors.CAF026() if not compte.droits else None
        body = await self._envelope(demande, "numCpte", {"comptes": comptes}, informatif=informatif, nombre=1)
        return self._result(body, informatif, data=comptes)

    async def spi(self, demande: DemandeSpi) -> Reponse:
        self.check_envelope(demande)
        self.check_modality("spi")
        spi = _given(demande.criteresRecherche.numeroSPI)
        if not spi:
            raise errors.CAF001("criteresRecherche.numeroSPI")
        if len(spi) != 13:
            raise errors.CAF004(f"{len(spi)} caractères au lieu de 13")
        if not _DIGITS.fullmatch(spi):
            raise errors.CAF002("criteresRecherche.numeroSPI (13 chiffres)")
        if spi[0] not in "0123":
            raise errors.CAF005("le numéro SPI commence par 0, 1, 2 ou 3")
        personnes = await store.personnes_by_spi(self.session, spi)
        return await self._answer_personnes(demande, "spi", [(p, None) for p in personnes], errors.CAF007(), spi=spi)

    async def siret_siren(self, demande: DemandeSiretSiren) -> Reponse:
        self.check_envelope(demande)
        self.check_modality("siretSiren")
        siret, siren = self._siret_siren(demande.criteresRecherche, "criteresRecherche.")
        personnes = await store.personnes_morales_by_siren(self.session, siren=siren or None, siret=siret or None)
        return await self._answer_personnes(demande, "siretSiren", [(p, None) for p in personnes], errors.CAF009())

    async def per_phy(self, demande: DemandePerPhy) -> Reponse:
        self.check_envelope(demande)
        self.check_modality("perPhy")
        criteria = self._person_criteria(demande.criteresRecherche, "criteresRecherche.", multi_detention=False)
        matches = await self._match_personnes(criteria)
        return await self._answer_personnes(demande, "perPhy", list(matches), errors.CAF013())

    async def per_pro(self, demande: DemandePerPro) -> Reponse:
        self.check_envelope(demande)
        self.check_modality("perPro")
        criteres: CriteresPerPro = demande.criteresRecherche
        criteria = self._designation_criteria(
            criteres.designation, criteres.domiciliation, "criteresRecherche.", multi_detention=False
        )
        matches = await self._match_personnes_morales(criteria)
        return await self._answer_personnes(demande, "perPro", list(matches), errors.CAF015())

    def _flags(self, values: dict[str, str | None], *, multi_detention: bool) -> str:
        for name, value in values.items():
            if not _given(value):
                raise errors.CAF001(f"criteresRecherche.{name}")
            if _given(value) not in ("0", "1"):
                raise errors.CAF002(f"criteresRecherche.{name} (0 ou 1)")
        on = [name for name, value in values.items() if _given(value) == "1"]
        if not on:
            raise errors.CAF018("aucun indicatif à 1")
        if len(on) > 1:
            if multi_detention:
                raise errors.CAF018(", ".join(on))
            raise errors.CAF025(", ".join(on))
        return on[0]

    async def multi_det(self, demande: DemandeMultiDet) -> Reponse:
        self.check_envelope(demande)
        if not datapass.may_check_multi_detention(self.scopes):
            raise errors.CAF031(f"multi-détention réservée aux établissements habilités ({datapass.MD_NOMBRE_COMPTES})")
        criteres = demande.criteresRecherche
        accord = _given(criteres.accordClient)
        if not accord:
            raise errors.CAF001("criteresRecherche.accordClient")
        if accord not in ("0", "1"):
            raise errors.CAF002("criteresRecherche.accordClient (0 ou 1)")
        code_nature = _given(criteres.codeNatureCompte)
        if not code_nature:
            raise errors.CAF001("criteresRecherche.codeNatureCompte")
        _digits(code_nature, 3, "criteresRecherche.codeNatureCompte (3 chiffres)")
        nature = int(code_nature)
        if nature not in nom.NATURES:
            raise errors.CAF034(code_nature)
        if nature not in nom.MULTI_DETENTION_NATURES:
            raise errors.CAF017(f"{code_nature} ({nom.NATURES[nature]})")
        kind = self._flags(
            {
                "recherchePP": criteres.recherchePP,
                "recherchePM": criteres.recherchePM,
                "rechercheSIRENSIRET": criteres.rechercheSIRENSIRET,
            },
            multi_detention=True,
        )
        _check_coherence(
            kind,
            {
                "recherchePP": [criteres.criteresRecherchePhy],
                "recherchePM": [criteres.criteresRecherchePro],
                "rechercheSIRENSIRET": [criteres.criteresSiretSiren],
            },
        )

        prefix = "criteresRecherche."
        if kind == "recherchePP":
            if criteres.criteresRecherchePhy is None:  # the chosen search's block (checked non-empty above)
                raise errors.CAF001(prefix + "criteresRecherchePhy")
            criteria = self._person_criteria(
                criteres.criteresRecherchePhy, prefix + "criteresRecherchePhy.", multi_detention=True
            )
            personnes = [p for p, _ in await self._match_personnes(criteria)]
        elif kind == "recherchePM":
            if criteres.criteresRecherchePro is None:  # the chosen search's block (checked non-empty above)
                raise errors.CAF001(prefix + "criteresRecherchePro")
            designation = self._designation_criteria(
                criteres.criteresRecherchePro.designation,
                criteres.criteresRecherchePro.domiciliation,
                prefix + "criteresRecherchePro.",
                multi_detention=True,
            )
            personnes = [p for p, _ in await self._match_personnes_morales(designation)]
        else:
            siret, siren = self._siret_siren(criteres.criteresSiretSiren, prefix + "criteresSiretSiren.")
            personnes = await store.personnes_morales_by_siren(self.session, siren=siren or None, siret=siret or None)

        natures = nom.MULTI_DETENTION_EQUIVALENTS.get(nature, frozenset({nature}))
        by_person = await store.comptes_of(self.session, [p.id for p in personnes], droits=[nom.TITULAIRE])
        seen: dict[int, Compte] = {}
        for comptes in by_person.values():
            for compte in comptes:
                if compte.code_nature in natures and compte.date_cloture is None:
                    seen[compte.id] = compte
        found = sorted(seen.values(), key=lambda c: (c.date_ouverture, c.id))
        informatif = errors.CAF020() if not found else None
        body = await self._envelope(demande, "multiDet", None, informatif=informatif, nombre=len(found))
        body["nRep"] = "1" if found else "0"
        data = None
        if found and accord == "1":
            data = [datapass.filter_compte_multi_detention(compte_multi_detention(c), self.scopes) for c in found]
            body["comptes"] = data
        return self._result(body, informatif, data=data)

    async def verif_iban(self, demande: DemandeVerifIban) -> Reponse:
        self.check_envelope(demande)
        criteres = demande.criteresRecherche
        kind = self._flags(
            {
                "recherchePP": criteres.recherchePP,
                "recherchePM": criteres.recherchePM,
                "rechercheSirenSiret": criteres.rechercheSirenSiret,
            },
            multi_detention=False,
        )
        verif_kind = {"recherchePP": "PP", "recherchePM": "PM", "rechercheSirenSiret": "SIRENSIRET"}[kind]
        self.check_modality("verifIban", verif_kind=verif_kind)
        if datapass.VERIFICATION not in self.scopes:
            raise errors.CAF031(f"vérification de titulaire sans l'habilitation {datapass.VERIFICATION}")
        iban = self._check_iban(criteres.iban, "criteresRecherche.iban")
        for name in ("codeEtab", "codeGuichet"):
            value = _given(getattr(criteres, name))
            if value:
                _digits(value, 5, f"criteresRecherche.{name} (5 chiffres)")

        siret_siren = CriteresSiretSiren(siret=criteres.siret, siren=criteres.siren)
        _check_coherence(
            kind,
            {
                "recherchePP": [criteres.etatCivil, criteres.lieuNaissance],
                "recherchePM": [criteres.designation],
                "rechercheSirenSiret": [siret_siren],
            },
        )

        prefix = "criteresRecherche."
        if kind == "recherchePP":
            if criteres.etatCivil is None:  # the chosen search's block (checked non-empty above)
                raise errors.CAF001(prefix + "etatCivil")
            criteria = self._titulaire_criteria(criteres.etatCivil, criteres.lieuNaissance, prefix)

            def matches(p: Personne) -> bool:
                return (
                    p.kind == "PP"
                    and criteria.nom in (p.nom_norm, p.nom_usage_norm)
                    and (not criteria.annee or p.annee_naissance == criteria.annee)
                    and score_personne(p, criteria) is not None
                )
        elif kind == "recherchePM":
            designation = self._designation_criteria(criteres.designation, None, prefix, multi_detention=False)

            def matches(p: Personne) -> bool:
                return p.kind == "PM" and score_personne_morale(p, designation) is not None
        else:
            siret, siren = self._siret_siren(siret_siren, prefix)

            def matches(p: Personne) -> bool:
                return p.kind == "PM" and bool((siret and p.siret == siret) or (siren and p.siren == siren))

        compte = await store.compte_by_iban(self.session, iban)
        if compte is None:
            reponse = {"verificationCompte": {"ibanExistant": "0"}}
            informatif: errors.FicobaError | None = errors.CAF011()
        else:
            titulaires = [d.personne for d in compte.droits if d.droit == nom.TITULAIRE]
            found = any(matches(p) for p in titulaires)
            reponse = {"verificationCompte": verification_compte(compte if found else None)}
            informatif = None if found else errors.CAF026()
        body = await self._envelope(demande, "verifIban", reponse, informatif=informatif, nombre=1)
        return self._result(body, informatif, data=reponse)

    def _titulaire_criteria(self, etat: EtatCivilTitulaire, lieu: LieuNaissance | None, prefix: str) -> PersonCriteria:
        """verifIban names the holder; its birth date is optional there (§7.3.2 gives it no typologie)."""
        if _given(etat.anneeNaissance):
            as_search = EtatCivil(
                nom=etat.nom,
                prenoms=etat.prenoms,
                sexe=etat.sexe,
                anneeNaissance=etat.anneeNaissance,
                moisNaissance=etat.moisNaissance,
                jourNaissance=etat.jourNaissance,
            )
            return self._person_criteria(
                CriteresPerPhy(etatCivil=as_search, lieuNaissance=lieu), prefix, multi_detention=False
            )
        nom_norm = normalise(etat.nom)
        if not nom_norm:
            raise errors.CAF001(f"{prefix}etatCivil.nom")
        sexe = _given(etat.sexe)
        if sexe and sexe not in nom.SEXES:
            raise errors.CAF002(f"{prefix}etatCivil.sexe (1, 2, 3 ou 4)")
        if _given(etat.moisNaissance) or _given(etat.jourNaissance):
            raise errors.CAF001(f"{prefix}etatCivil.anneeNaissance")
        pays, dept, commune = self._lieu_naissance(lieu, prefix, required=False)
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


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _check_coherence(kind: str, blocks: dict[str, list[Any]]) -> None:
    """CAF019: the blocks of the flagged search type must be filled, the others empty."""
    if all(_is_empty(block) for block in blocks[kind]):
        raise errors.CAF019(f"{kind} à 1 sans les critères correspondants")
    others = [name for name, parts in blocks.items() if name != kind and not all(_is_empty(b) for b in parts)]
    if others:
        raise errors.CAF019(f"{kind} à 1 avec des critères de {', '.join(others)}")


# ---------------------------------------------------------------------------------------------------
# Serialisation of the store's rows into FICOBA's structures (before any DataPass filtering)


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
    number = int(value) if value and _DIGITS.fullmatch(value) else 0
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
