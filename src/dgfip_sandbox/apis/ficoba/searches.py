"""API FICOBA's searches: the envelope and habilitation rules, the queries, the answer of each route.

The criteria are read by criteria.py, the rows serialised by answers.py.

One ``FicobaService`` per request, given the store session, the clock and the consumer. Each public
method takes a validated request (``schemas``) and returns a ``Reponse``: the JSON body and what the
audit record keeps. Refusals raise ``errors.FicobaError``; "no result" answers (CAF007, 009, 011, 013,
015, 020, 026) are 200s with ``messageInformatif``.

Checks run in this order: envelope (formats, demandeur CAF030, motif CAF003/CAF031), search type allowed
by the consumer's modalities (CAF031), the route's criteria, then the search.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.apis.ficoba import datapass, errors
from dgfip_sandbox.apis.ficoba import nomenclatures as nom
from dgfip_sandbox.apis.ficoba.answers import (
    compte_dict,
    compte_multi_detention,
    count,
    personne_recherchee,
    verification_compte,
)
from dgfip_sandbox.apis.ficoba.criteria import DATE, DIGITS, Criteria, check_coherence, digits, given
from dgfip_sandbox.apis.ficoba.matching import (
    DesignationCriteria,
    PersonCriteria,
    score_personne,
    score_personne_morale,
)
from dgfip_sandbox.apis.ficoba.schemas import (
    CriteresPerPro,
    CriteresSiretSiren,
    DemandeMultiDet,
    DemandeNumCpte,
    DemandePerPhy,
    DemandePerPro,
    DemandeSiretSiren,
    DemandeSpi,
    DemandeVerifIban,
    _Demande,
)
from dgfip_sandbox.clock import Clock
from dgfip_sandbox.errors import PARIS
from dgfip_sandbox.store import accounts as store
from dgfip_sandbox.store.accounts import Compte, Personne
from dgfip_sandbox.store.consumers import ConsumerRecord

MAX_PERSONNES = 100  # persons returned by one état-civil / dénomination search


@dataclass
class Reponse:
    body: dict[str, Any]
    outcome: str = "OK"
    spi: str | None = None
    fields_returned: list[str] = field(default_factory=list)


class FicobaService:
    def __init__(self, session: AsyncSession, *, clock: Clock, consumer: ConsumerRecord) -> None:
        self.session = session
        self.clock = clock
        self.consumer = consumer
        self.scopes = frozenset(consumer.datapass_scopes)
        self.today = clock.now().astimezone(PARIS).date()
        self.criteria = Criteria(self.today)

    # -----------------------------------------------------------------------------------------------
    # Envelope

    def check_envelope(self, demande: _Demande) -> None:
        match = DATE.fullmatch(demande.dateDemande.strip(" "))
        if not match:
            raise errors.CAF002("dateDemande (format AAAA-MM-JJ)")
        try:
            date_demande = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise errors.CAF002("dateDemande (date inexistante)") from None
        if date_demande > self.today:
            raise errors.CAF024("dateDemande")

        if not given(demande.justification):
            raise errors.CAF001("justification")

        motif = given(demande.motif)
        if not motif:
            raise errors.CAF001("motif")
        if not DIGITS.fullmatch(motif) or len(motif) < 3:
            raise errors.CAF002("motif (3 ou 4 chiffres)")

        siret, siren = given(demande.siretDemandeur), given(demande.sirenDemandeur)
        if not siret and not siren:
            raise errors.CAF001("siretDemandeur ou sirenDemandeur")
        if siret:
            digits(siret, 14, "siretDemandeur (14 chiffres)")
        if siren:
            digits(siren, 9, "sirenDemandeur (9 chiffres)")
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
        reponse: dict[str, Any] | list[dict[str, Any]] | None,
        *,
        informatif: errors.FicobaError | None = None,
        nombre: int = 0,
    ) -> dict[str, Any]:
        numero = await store.new_demande(self.session, at=self.clock.now(), consumer_id=self.consumer.id, route=route)
        body: dict[str, Any] = {
            "caracteristiquesDemande": demande.model_dump(exclude_unset=True),
            "referenceDemande": f"FCB_{self.today.year:04d}_{numero:09d}",
            "nombreReponses": count(nombre),
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
                    "nombreComptes": count(len(comptes)),
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
        iban = self.criteria.check_iban(criteres.iban, "criteresRecherche.iban")
        verification = given(criteres.verificationCompte)
        if not verification:
            raise errors.CAF001("criteresRecherche.verificationCompte")
        if verification not in ("0", "1"):
            raise errors.CAF002("criteresRecherche.verificationCompte (0 ou 1)")
        if verification == "1" and datapass.VERIFICATION not in self.scopes:
            raise errors.CAF031(f"vérification de compte sans l'habilitation {datapass.VERIFICATION}")

        compte = await store.compte_by_iban(self.session, iban)
        if verification == "1":
            reponse = {"verificationCompte": verification_compte(compte)}
            informatif: errors.FicobaError | None = errors.CAF011() if compte is None else None
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
        spi = given(demande.criteresRecherche.numeroSPI)
        if not spi:
            raise errors.CAF001("criteresRecherche.numeroSPI")
        if len(spi) != 13:
            raise errors.CAF004(f"{len(spi)} caractères au lieu de 13")
        if not DIGITS.fullmatch(spi):
            raise errors.CAF002("criteresRecherche.numeroSPI (13 chiffres)")
        if spi[0] not in "0123":
            raise errors.CAF005("le numéro SPI commence par 0, 1, 2 ou 3")
        personnes = await store.personnes_by_spi(self.session, spi)
        return await self._answer_personnes(demande, "spi", [(p, None) for p in personnes], errors.CAF007(), spi=spi)

    async def siret_siren(self, demande: DemandeSiretSiren) -> Reponse:
        self.check_envelope(demande)
        self.check_modality("siretSiren")
        siret, siren = self.criteria.siret_siren(demande.criteresRecherche, "criteresRecherche.")
        personnes = await store.personnes_morales_by_siren(self.session, siren=siren or None, siret=siret or None)
        return await self._answer_personnes(demande, "siretSiren", [(p, None) for p in personnes], errors.CAF009())

    async def per_phy(self, demande: DemandePerPhy) -> Reponse:
        self.check_envelope(demande)
        self.check_modality("perPhy")
        criteria = self.criteria.person(demande.criteresRecherche, "criteresRecherche.", multi_detention=False)
        matches = await self._match_personnes(criteria)
        return await self._answer_personnes(demande, "perPhy", list(matches), errors.CAF013())

    async def per_pro(self, demande: DemandePerPro) -> Reponse:
        self.check_envelope(demande)
        self.check_modality("perPro")
        criteres: CriteresPerPro = demande.criteresRecherche
        criteria = self.criteria.designation(
            criteres.designation, criteres.domiciliation, "criteresRecherche.", multi_detention=False
        )
        matches = await self._match_personnes_morales(criteria)
        return await self._answer_personnes(demande, "perPro", list(matches), errors.CAF015())

    def _flags(self, values: dict[str, str | None], *, multi_detention: bool) -> str:
        for name, value in values.items():
            if not given(value):
                raise errors.CAF001(f"criteresRecherche.{name}")
            if given(value) not in ("0", "1"):
                raise errors.CAF002(f"criteresRecherche.{name} (0 ou 1)")
        on = [name for name, value in values.items() if given(value) == "1"]
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
        accord = given(criteres.accordClient)
        if not accord:
            raise errors.CAF001("criteresRecherche.accordClient")
        if accord not in ("0", "1"):
            raise errors.CAF002("criteresRecherche.accordClient (0 ou 1)")
        code_nature = given(criteres.codeNatureCompte)
        if not code_nature:
            raise errors.CAF001("criteresRecherche.codeNatureCompte")
        digits(code_nature, 3, "criteresRecherche.codeNatureCompte (3 chiffres)")
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
        check_coherence(
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
            criteria = self.criteria.person(
                criteres.criteresRecherchePhy, prefix + "criteresRecherchePhy.", multi_detention=True
            )
            personnes = [p for p, _ in await self._match_personnes(criteria)]
        elif kind == "recherchePM":
            if criteres.criteresRecherchePro is None:  # the chosen search's block (checked non-empty above)
                raise errors.CAF001(prefix + "criteresRecherchePro")
            designation = self.criteria.designation(
                criteres.criteresRecherchePro.designation,
                criteres.criteresRecherchePro.domiciliation,
                prefix + "criteresRecherchePro.",
                multi_detention=True,
            )
            personnes = [p for p, _ in await self._match_personnes_morales(designation)]
        else:
            siret, siren = self.criteria.siret_siren(criteres.criteresSiretSiren, prefix + "criteresSiretSiren.")
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
        # The protocol (p.85–88) names the count nRep, the swagger getnRep: both, with the same value, so that
        # code written against either published document works (docs/ficoba.md, Departures).
        body["nRep"] = body["getnRep"] = "1" if found else "0"
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
        iban = self.criteria.check_iban(criteres.iban, "criteresRecherche.iban")
        for name in ("codeEtab", "codeGuichet"):
            value = given(getattr(criteres, name))
            if value:
                digits(value, 5, f"criteresRecherche.{name} (5 chiffres)")

        siret_siren = CriteresSiretSiren(siret=criteres.siret, siren=criteres.siren)
        check_coherence(
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
            criteria = self.criteria.titulaire(criteres.etatCivil, criteres.lieuNaissance, prefix)

            def matches(p: Personne) -> bool:
                return (
                    p.kind == "PP"
                    and criteria.nom in (p.nom_norm, p.nom_usage_norm)
                    and (not criteria.annee or p.annee_naissance == criteria.annee)
                    and score_personne(p, criteria) is not None
                )
        elif kind == "recherchePM":
            designation = self.criteria.designation(criteres.designation, None, prefix, multi_detention=False)

            def matches(p: Personne) -> bool:
                return p.kind == "PM" and score_personne_morale(p, designation) is not None
        else:
            siret, siren = self.criteria.siret_siren(siret_siren, prefix)

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
