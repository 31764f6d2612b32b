"""Test data (model.py) turned into the rows of the tables the APIs read, by the seed's own builders
(seed/foyers.py, seed/avis.py, seed/ficoba.py): the same rules for the integrator's foyers as for the
seeded ones.

- A foyer: its déclarants, one avis per income year (computed by ``build_avis`` from the declared
  incomes, then overridden by the published fields given), IFI, taxe d'habitation. The year must be
  in the taxation calendar at the sandbox's clock: taxed already (calendar.py) and not before
  ``FIRST_YEAR``; a TH year not after 2022 (the resource's last).
- An account: its IBAN (given, or computed with valid keys from banque/guichet/numéro), and the rights
  of persons and legal entities (SIREN/SIRET computed when not given).
- An identity: FranceConnect's identité pivot of the linked déclarant, unless given.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from dgfip_sandbox.apis.ficoba import nomenclatures as nom
from dgfip_sandbox.apis.ficoba.identifiers import make_iban, make_siren, make_siret
from dgfip_sandbox.apis.impot_particulier.calendar import (
    TH_LAST_YEAR,
    ir_taxation_date,
    is_th_year_available,
    latest_taxed_annrev,
)
from dgfip_sandbox.franceconnect.seed import citizen_from_declarant, new_citizen
from dgfip_sandbox.seed.avis import Incomes, build_avis
from dgfip_sandbox.seed.ficoba import personne_from_declarant, personne_row
from dgfip_sandbox.seed.foyers import AddressSpec, PersonSpec, declarant_row, situation_row, th_payload
from dgfip_sandbox.store.franceconnect import FcCitizen
from dgfip_sandbox.store.taxpayers import Declarant as DeclarantRow
from dgfip_sandbox.testdata import model
from dgfip_sandbox.testdata.errors import TestDataError

FIRST_YEAR = 2015  # the oldest income year a data file may describe [sandbox's choice]


@dataclass
class Problems:
    """Problems found while building rows; raised together, before anything is written."""

    found: list[tuple[str, str]] = field(default_factory=list)

    def add(self, where: str, reason: str) -> None:
        self.found.append((where, reason))

    def raise_if_any(self, source: str | None) -> None:
        if self.found:
            raise TestDataError(self.found, source)


def person_spec(declarant: model.Declarant, spi: str) -> PersonSpec:
    return PersonSpec(
        spi=spi,
        sexe=declarant.sexe,
        nom_naissance=declarant.nom_naissance,
        prenoms=declarant.prenoms,
        date_naissance=declarant.date_naissance,
        code_pays_naissance=declarant.code_pays_naissance,
        departement_naissance=declarant.departement_naissance,
        commune_naissance=declarant.commune_naissance,
        lieu_naissance=declarant.lieu_naissance,
        nom_usage=declarant.nom_usage,
        date_deces=declarant.date_deces,
    )


def address_spec(adresse: model.Adresse) -> AddressSpec:
    return AddressSpec(
        numero=adresse.numero,
        type_voie=adresse.type_voie.upper(),
        nom_voie=adresse.nom_voie.upper(),
        commune=(adresse.code_commune, adresse.code_postal, adresse.commune.upper(), adresse.departement),
        complement=adresse.complement.upper(),
    )


def check_years(foyer: model.Foyer, where: str, now: datetime, problems: Problems) -> None:
    latest = latest_taxed_annrev(now)
    for index, avis in enumerate(foyer.avis):
        if not FIRST_YEAR <= avis.annee <= latest:
            problems.add(
                f"{where}.avis[{index}].annee",
                f"année de revenus {avis.annee} hors du calendrier d'imposition : de {FIRST_YEAR} à {latest} "
                f"(dernière année imposée au {now.date().strftime('%d/%m/%Y')})",
            )
    for index, th in enumerate(foyer.taxe_habitation):
        if th.annee > TH_LAST_YEAR or th.annee < FIRST_YEAR or not is_th_year_available(th.annee, now):
            problems.add(
                f"{where}.taxe_habitation[{index}].annee",
                f"année {th.annee} hors du calendrier de la taxe d'habitation (de {FIRST_YEAR} à {TH_LAST_YEAR})",
            )


def foyer_rows(foyer: model.Foyer, spis: list[str], rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Rows of ``declarants``, ``tax_situations`` and ``th_situations`` (``foyer_id`` left to the writer)."""
    people = [person_spec(d, spi) for d, spi in zip(foyer.declarants, spis, strict=True)]
    dec1, dec2 = people[0], (people[1] if len(people) == 2 else None)
    address = address_spec(foyer.adresse)
    aft, aft_detail = address.aft()
    sitfam = foyer.situation_famille or "C"
    num_role = f"{rng.randint(1, 60):03d}"
    situations = []
    for avis in sorted(foyer.avis, key=lambda a: a.annee):
        incomes = Incomes(**avis.revenus.model_dump())
        payload = build_avis(
            annrev=avis.annee,
            sitfam=sitfam,
            pac=foyer.pac.counts(),
            incomes=incomes,
            couple=dec2 is not None,
            parent_isole=foyer.parent_isole,
        )
        payload.update({"aft": aft, "aftDetail": aft_detail, "numRole": num_role})
        published = avis.published()
        etab = avis.datEtab or ir_taxation_date(avis.annee)
        row = situation_row(
            0,
            avis.annee,
            payload,
            etab=etab,
            departement=address.departement,
            rng=rng,
            spis=(dec1.spi, dec2.spi if dec2 else None),
            ifi=avis.ifi,
        )
        for key in ("aftDetail", "sitParDeclaree"):  # a sub-object given in part keeps the other fields
            if key in published:
                published[key] = {**payload.get(key, {}), **published[key]}
        payload.update(published)
        situations.append(row)
    invariant = f"{rng.randrange(10**10):010d}"
    th_rows = []
    for th in foyer.taxe_habitation:
        payload = th_payload(dec1, dec2, address, nature_local="AP", invariant=invariant)
        payload.update(th.model_dump(exclude={"annee"}, exclude_none=True, mode="json"))
        for local in payload["locaux"]:
            local["invariant"] = local.get("invariant") or invariant
        th_rows.append({"annee": th.annee, "payload": payload})
    return {
        "declarants": [declarant_row(p, 0, rank) for rank, p in enumerate(people, start=1)],
        "tax_situations": situations,
        "th_situations": th_rows,
    }


def new_iban(compte: model.Compte, rng: random.Random, taken: set[str]) -> str:
    if compte.iban is not None:
        return compte.iban
    assert compte.banque is not None and compte.guichet is not None  # noqa: S101 - set by the caller
    while True:
        numero = compte.numero or f"{rng.randrange(10**11):011d}"
        iban = make_iban(compte.banque, compte.guichet, numero, coffre_fort=compte.nature == nom.COFFRE_FORT)
        if iban not in taken or compte.numero:
            return iban


def compte_values(compte: model.Compte, iban: str, guichet_id: int) -> dict[str, Any]:
    return {
        "iban": iban,
        "guichet_id": guichet_id,
        "date_ouverture": compte.ouverture,
        "date_fiscale": compte.date_fiscale,
        "code_motif_ouverture": compte.motif_ouverture,
        "date_cloture": compte.cloture,
        "code_nature": compte.nature,
        "code_type": compte.type,
        "code_caracteristique": compte.caracteristique,
        "succession": compte.succession,
        "non_resident": compte.non_resident,
        "devise": compte.devise,
    }


def droit_values(droit: model.Droit, compte: model.Compte, personne_id: int, today: date) -> dict[str, Any]:
    debut = droit.debut or compte.ouverture
    fin = droit.fin or compte.cloture
    return {
        "personne_id": personne_id,
        "droit": model.DROITS_PAR_NOM[droit.droit],
        "date_debut": debut,
        "date_fin": fin,
        "date_maj": min(fin or today, today) if fin else debut,
    }


def _address_columns(adresse: model.AdresseFicoba) -> dict[str, Any]:
    return {
        "code_pays_residence": adresse.code_pays,
        "code_departement_residence": adresse.code_departement,
        "code_commune_residence": adresse.code_commune,
        "libelle_commune_residence": adresse.libelle_commune,
        "numero_voie": adresse.numero_voie,
        "indice_repetition": adresse.indice_repetition,
        "code_nature_voie": adresse.code_nature_voie,
        "libelle_voie": adresse.libelle_voie,
        "libelle_compl_adr": adresse.libelle_compl_adr,
        "code_postal": adresse.code_postal,
    }


def personne_values(personne: model.Personne, declarant: DeclarantRow | None, rng: random.Random) -> dict[str, Any]:
    """A ``ficoba_personnes`` row: from the déclarant of its SPI (``declarant``) or its own état civil."""
    address = _address_columns(personne.adresse)
    if personne.morale:
        siren = personne.siren or (personne.siret[:9] if personne.siret else make_siren(f"{rng.randrange(10**8):08d}"))
        return personne_row(
            {
                "kind": "PM",
                "raison_sociale": personne.raison_sociale,
                "sigle": personne.sigle,
                "enseigne": personne.enseigne,
                "categorie_juridique": personne.categorie_juridique or "5499",
                "type_repertoire": "SIRENE",
                "siren": siren,
                "siret": personne.siret or make_siret(siren, "0001"),
                "numero_rna": personne.numero_rna,
                **address,
            }
        )
    if declarant is not None and personne.nom_naissance is None:
        return personne_row({**personne_from_declarant(declarant), **address})
    born = personne.date_naissance
    assert born is not None and personne.sexe is not None  # noqa: S101 - checked by the model
    sexe = {"M": "1", "F": "2"}.get(personne.sexe, personne.sexe)
    return personne_row(
        {
            "kind": "PP",
            "spi": personne.spi,
            "nom_naissance": (personne.nom_naissance or "").upper(),
            "nom_usage": personne.nom_usage.upper() if personne.nom_usage else None,
            "prenoms": (personne.prenoms or "").upper(),
            "sexe": sexe,
            "annee_naissance": f"{born.year:04d}",
            "mois_naissance": f"{born.month:02d}",
            "jour_naissance": f"{born.day:02d}",
            "code_pays_naissance": personne.code_pays_naissance,
            "code_departement_naissance": personne.code_departement_naissance,
            "code_commune_naissance": personne.code_commune_naissance,
            "libelle_commune_naissance": personne.libelle_commune_naissance,
            "date_deces": personne.date_deces,
            **address,
        }
    )


def citizen(identite: model.Identite, declarant: DeclarantRow | None, position: int) -> FcCitizen:
    """The demo identity provider's account: the linked déclarant's identité pivot (as the seed makes
    it, franceconnect/seed.py), with the fields the data gives in its place."""
    given = identite.model_dump(exclude={"login", "spi", "description"}, exclude_none=True)
    if "birthdate" in given:
        given["birthdate"] = given["birthdate"].isoformat()
    if declarant is not None:
        row = citizen_from_declarant(declarant, None, position)
        row.description = f"Identité de test liée au SPI {declarant.spi}"
    else:
        identity = {"birthplace": "", "birthcountry": "99100", **given}
        row = new_citizen(
            identite.login or "", identity, "fc_test_data", "Identité de test sans déclarant lié", position
        )
    for name, value in given.items():
        setattr(row, name, value)
    row.login = identite.login or row.login
    row.description = identite.description or row.description
    return row
