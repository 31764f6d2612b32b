"""FICOBA requests built for the integrator's tests: ``sandbox.ficoba.rechercher_…(...)``.

Each helper posts one search through ``sandbox.client(consumer)`` (mutual TLS, bearer token,
``X-Correlation-ID`` and FICOBA's ``X-Request-ID``) with FICOBA's request envelope filled in
(protocole technique Ficoba3 v8, §2–8): ``dateDemande`` (the sandbox's clock), ``motif`` (the
consumer's first motif), ``siretDemandeur`` (its SIRET), ``sirenDemandeur``, ``justification`` and
``criteresRecherche``; any envelope field may be given instead. It returns the ``httpx.Response``.
Criteria keep FICOBA's own names (``etatCivil``, ``lieuNaissance``, ``domiciliation``…) where the
helpers' arguments do not cover them.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

import httpx

from dgfip_sandbox.clock import Clock


class _Sandbox(Protocol):
    """What the FICOBA helpers use of the plugin's sandbox (testing/sandbox.py's DgfipSandbox)."""

    @property
    def clock(self) -> Clock: ...

    def consumer(self, name: str) -> Any: ...

    def client(self, consumer: str, *, scopes: list[str] | None = None, authenticated: bool = True) -> httpx.Client: ...


BASE = "/fcb-masrestit/api/v2"
DEFAULT_CONSUMER = "ficoba-administration"
DEFAULT_JUSTIFICATION = "Test d'intégration (bac à sable)"


def etat_civil(
    nom: str = "",
    prenoms: str = "",
    sexe: str = "",
    date_naissance: date | str | None = None,
    annee_naissance: str | int | None = None,
) -> dict[str, str]:
    """FICOBA's ``etatCivil`` criteria (sexe "1" masculin, "2" féminin; a birth date or only its year)."""
    born = date.fromisoformat(date_naissance) if isinstance(date_naissance, str) else date_naissance
    return {
        "nom": nom,
        "prenoms": prenoms,
        "sexe": {"M": "1", "F": "2"}.get(sexe, sexe),
        "anneeNaissance": f"{born.year:04d}" if born else (str(annee_naissance) if annee_naissance else ""),
        "moisNaissance": f"{born.month:02d}" if born else "",
        "jourNaissance": f"{born.day:02d}" if born else "",
    }


class Ficoba:
    """API FICOBA's searches, for one sandbox."""

    def __init__(self, sandbox: _Sandbox) -> None:
        self.sandbox = sandbox

    def envelope(self, criteres: dict[str, Any], *, consumer: str = DEFAULT_CONSUMER, **fields: Any) -> dict[str, Any]:
        """FICOBA's request body around ``criteres`` (``fields`` override the envelope's)."""
        credentials = self.sandbox.consumer(consumer)
        body: dict[str, Any] = {
            "dateDemande": self.sandbox.clock.now().date().isoformat(),
            "motif": (credentials.ficoba_motifs or ("",))[0],
            "siretDemandeur": credentials.siret or "",
            "sirenDemandeur": "",
            "justification": DEFAULT_JUSTIFICATION,
            "criteresRecherche": criteres,
        }
        body.update(fields)
        return body

    def post(
        self, route: str, criteres: dict[str, Any], *, consumer: str = DEFAULT_CONSUMER, **fields: Any
    ) -> httpx.Response:
        client = self.sandbox.client(consumer)
        return client.post(
            f"{BASE}/comptes/{route}",
            json=self.envelope(criteres, consumer=consumer, **fields),
            headers={"Accept": "application/json"},
        )

    def rechercher_compte(self, iban: str, *, verification: bool = False, **fields: Any) -> httpx.Response:
        """``POST /comptes/numCpte``: the account (or safe-deposit box) of an IBAN."""
        return self.post("numCpte", {"iban": iban, "verificationCompte": "1" if verification else "0"}, **fields)

    def rechercher_spi(self, spi: str, **fields: Any) -> httpx.Response:
        """``POST /comptes/spi``: the accounts of the person of a numéro fiscal."""
        return self.post("spi", {"numeroSPI": spi}, **fields)

    def rechercher_siret_siren(self, *, siren: str = "", siret: str = "", **fields: Any) -> httpx.Response:
        """``POST /comptes/siretSiren``: the accounts of a legal entity."""
        return self.post("siretSiren", {"siret": siret, "siren": siren}, **fields)

    def rechercher_personne_physique(
        self,
        nom: str,
        prenoms: str = "",
        *,
        sexe: str = "",
        date_naissance: date | str | None = None,
        annee_naissance: str | int | None = None,
        lieu_naissance: dict[str, str] | None = None,
        domiciliation: dict[str, str] | None = None,
        **fields: Any,
    ) -> httpx.Response:
        """``POST /comptes/perPhy``: the accounts of a person found by état civil."""
        criteres: dict[str, Any] = {
            "etatCivil": etat_civil(nom, prenoms, sexe, date_naissance, annee_naissance),
        }
        if lieu_naissance is not None:
            criteres["lieuNaissance"] = lieu_naissance
        if domiciliation is not None:
            criteres["domiciliation"] = domiciliation
        return self.post("perPhy", criteres, **fields)

    def rechercher_personne_morale(
        self,
        raison_sociale: str = "",
        *,
        sigle: str = "",
        enseigne: str = "",
        categorie_juridique: str = "",
        domiciliation: dict[str, str] | None = None,
        **fields: Any,
    ) -> httpx.Response:
        """``POST /comptes/perPro``: the accounts of a legal entity found by its designation."""
        criteres: dict[str, Any] = {
            "designation": {
                "raisonSociale": raison_sociale,
                "sigle": sigle,
                "enseigne": enseigne,
                "codeCategorieJuridique": categorie_juridique,
            }
        }
        if domiciliation is not None:
            criteres["domiciliation"] = domiciliation
        return self.post("perPro", criteres, **fields)

    def rechercher_multi_detention(
        self,
        code_nature: int | str,
        *,
        accord_client: bool = True,
        personne_physique: dict[str, Any] | None = None,
        personne_morale: dict[str, Any] | None = None,
        siren: str = "",
        siret: str = "",
        consumer: str = "ficoba-banque",
        **fields: Any,
    ) -> httpx.Response:
        """``POST /comptes/multiDet``: does the person already hold a regulated account of that nature?
        ``personne_physique`` is FICOBA's ``criteresRecherchePhy`` (e.g. ``{"etatCivil": etat_civil(...)}``)."""
        criteres: dict[str, Any] = {
            "accordClient": "1" if accord_client else "0",
            "codeNatureCompte": str(code_nature),
            "recherchePP": "1" if personne_physique else "0",
            "recherchePM": "1" if personne_morale else "0",
            "rechercheSIRENSIRET": "1" if (siren or siret) else "0",
        }
        if personne_physique:
            criteres["criteresRecherchePhy"] = personne_physique
        if personne_morale:
            criteres["criteresRecherchePro"] = personne_morale
        if siren or siret:
            criteres["criteresSiretSiren"] = {"siret": siret, "siren": siren}
        return self.post("multiDet", criteres, consumer=consumer, **fields)

    def verifier_iban(
        self,
        iban: str,
        *,
        etat_civil: dict[str, str] | None = None,
        lieu_naissance: dict[str, str] | None = None,
        designation: dict[str, str] | None = None,
        siren: str = "",
        siret: str = "",
        consumer: str = "ficoba-banque",
        **fields: Any,
    ) -> httpx.Response:
        """``POST /comptes/verifIban``: is this IBAN held by this person (``etat_civil``), this legal
        entity (``designation``) or this SIREN/SIRET?"""
        criteres: dict[str, Any] = {
            "iban": iban,
            "recherchePP": "1" if etat_civil else "0",
            "recherchePM": "1" if designation else "0",
            "rechercheSirenSiret": "1" if (siren or siret) else "0",
            "siret": siret,
            "siren": siren,
        }
        if etat_civil:
            criteres["etatCivil"] = etat_civil
        if lieu_naissance:
            criteres["lieuNaissance"] = lieu_naissance
        if designation:
            criteres["designation"] = designation
        return self.post("verifIban", criteres, consumer=consumer, **fields)
