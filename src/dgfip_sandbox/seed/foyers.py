"""A foyer fiscal described once (``FoyerSpec``), turned into the rows of every table it fills.

Both the named personas and the random population go through ``foyer_rows``, so they obey the same
rules: one avis per income year (two in the year a spouse dies), address at 1 January of the next year,
taxe d'habitation for 2021–2022 only, amounts from ``avis.build_avis``.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, TypedDict

from dgfip_sandbox.apis.impot_particulier.calendar import ir_taxation_date
from dgfip_sandbox.seed.avis import Incomes, avis_for, build_avis, household
from dgfip_sandbox.seed.draws import below

SEED_YEARS = (2022, 2023, 2024, 2025)  # income years with avis (revenus 2025 = avis 2026)
TH_YEARS = (2021, 2022)


class BirthPlace(TypedDict, total=False):
    """Where a person was born, as ``PersonSpec`` takes it (``**place``)."""

    code_pays_naissance: str
    departement_naissance: str
    commune_naissance: str
    lieu_naissance: str


@dataclass(frozen=True)
class PersonSpec:
    spi: str
    sexe: str
    nom_naissance: str
    prenoms: str
    date_naissance: date
    code_pays_naissance: str = "99100"
    departement_naissance: str | None = None
    commune_naissance: str | None = None
    lieu_naissance: str | None = None
    nom_usage: str | None = None
    date_deces: date | None = None


@dataclass(frozen=True)
class AddressSpec:
    numero: int
    type_voie: str
    nom_voie: str
    commune: tuple[str, str, str, str]  # INSEE code, postal code, name, département
    complement: str = ""

    @property
    def voie(self) -> str:
        return f"{self.numero} {self.type_voie} {self.nom_voie}"

    @property
    def departement(self) -> str:
        return self.commune[3]

    def aft(self) -> tuple[str, dict[str, str]]:
        insee, cp, name, _ = self.commune
        line = " ".join(part for part in (self.complement, self.voie, f"{cp} {name}") if part)
        return line, {
            "complementAdresse": self.complement,
            "voie": self.voie,
            "getcommune": name,
            "getcodePostal": f"{cp} {name}",
        }


@dataclass(frozen=True)
class DeathSpec:
    annrev: int
    when: date
    rank: int  # the déclarant who dies (1 or 2)


@dataclass
class FoyerSpec:
    persona: str | None
    sitfam: str
    dec1: PersonSpec
    dec2: PersonSpec | None
    address: AddressSpec
    incomes: Incomes  # income year 2025; earlier years are scaled down
    pac: dict[str, int] = field(default_factory=dict)
    years: tuple[int, ...] = SEED_YEARS
    parent_isole: bool = False
    case_p: bool = False
    case_l: bool = False
    ifi_years: frozenset[int] = frozenset()
    th_years: tuple[int, ...] = TH_YEARS
    nature_local: str = "AP"
    late_etablissement: dict[int, date] = field(default_factory=dict)
    death: DeathSpec | None = None


def _scale(incomes: Incomes, factor: float) -> Incomes:
    """The same declaration with every amount multiplied by ``factor`` (hot path of the seed: no ``replace``)."""
    s1, s2 = incomes.salaires
    p1, p2 = incomes.pensions
    e1, e2 = incomes.epargne_retraite
    return Incomes(
        (int(s1 * factor + 0.5), int(s2 * factor + 0.5)),
        (int(p1 * factor + 0.5), int(p2 * factor + 0.5)),
        int(incomes.rentes * factor + 0.5),
        int(incomes.pac_salaires * factor + 0.5),
        int(incomes.interets * factor + 0.5),
        int(incomes.dividendes * factor + 0.5),
        int(incomes.plus_values * factor + 0.5),
        int(incomes.foncier_micro * factor + 0.5),
        int(incomes.deficit_foncier * factor + 0.5),
        int(incomes.bnc_micro * factor + 0.5),
        int(incomes.pension_enfant_majeur * factor + 0.5),
        int(incomes.pension_autre * factor + 0.5),
        (int(e1 * factor + 0.5), int(e2 * factor + 0.5)),
        int(incomes.dons * factor + 0.5),
        int(incomes.emploi_domicile * factor + 0.5),
    )


def _only(incomes: Incomes, rank: int) -> Incomes:
    """The survivor's part of the income (the déclarant of ``rank`` keeps his own column, moved to column 1)."""
    idx = rank - 1
    return replace(
        incomes,
        salaires=(incomes.salaires[idx], 0),
        pensions=(incomes.pensions[idx], 0),
        epargne_retraite=(incomes.epargne_retraite[idx], 0),
    )


def declarant_row(person: PersonSpec, foyer_id: int, rank: int) -> dict[str, Any]:
    return {
        "spi": person.spi,
        "foyer_id": foyer_id,
        "rank": rank,
        "nom_naissance": person.nom_naissance,
        "nom_usage": person.nom_usage,
        "prenoms": person.prenoms,
        "sexe": person.sexe,
        "date_naissance": person.date_naissance,
        "code_pays_naissance": person.code_pays_naissance,
        "departement_naissance": person.departement_naissance,
        "commune_naissance": person.commune_naissance,
        "lieu_naissance": person.lieu_naissance,
        "date_deces": person.date_deces,
    }


def _civilite(person: PersonSpec) -> str:
    return "M" if person.sexe == "M" else "MME"


def situation_row(
    foyer_id: int,
    annrev: int,
    avis: dict[str, Any],
    *,
    etab: date,
    departement: str,
    rng: random.Random,
    sequence: int = 1,
    period: tuple[date, date] | None = None,
    spis: tuple[str, str | None],
    deces: tuple[date | None, date | None] = (None, None),
    ifi: bool = False,
) -> dict[str, Any]:
    """A ``tax_situations`` row: the avis (``datEtab``, ``datRec``, ``fipNum`` added) of one period."""
    avis["datEtab"], avis["datRec"] = _etab_texts(etab)
    avis["fipNum"] = f"{(annrev + 1) % 100:02d}{departement[:2]}{below(rng, 10**9):09d}"
    debut, fin = period or _income_year(annrev)
    return {
        "foyer_id": foyer_id,
        "annrev": annrev,
        "sequence": sequence,
        "type_avis": sequence,
        "date_debut": debut,
        "date_fin": fin,
        "date_etablissement": etab,
        "spi_dec1": spis[0],
        "spi_dec2": spis[1],
        "date_deces_dec1": deces[0],
        "date_deces_dec2": deces[1],
        "indicateur_ifi": "O" if ifi else None,
        "payload": avis,
    }


@functools.cache
def _etab_texts(etab: date) -> tuple[str, str]:
    """``datEtab`` and ``datRec`` (nine days later) of an avis established on ``etab`` (a few distinct days)."""
    return etab.isoformat(), (etab + timedelta(days=9)).isoformat()


@functools.cache
def _income_year(annrev: int) -> tuple[date, date]:
    return date(annrev, 1, 1), date(annrev, 12, 31)


_ir_taxation_date = functools.cache(ir_taxation_date)


def th_payload(
    dec1: PersonSpec, dec2: PersonSpec | None, address: AddressSpec, *, nature_local: str, invariant: str
) -> dict[str, Any]:
    """One SituationTHJAXBbean (résidence principale at ``address``)."""
    insee, _cp, commune_name, dept = address.commune
    edition1 = f"{_civilite(dec1)} {dec1.nom_usage or dec1.nom_naissance} {dec1.prenoms.split()[0]}"
    edition2 = f"OU {_civilite(dec2)} {dec2.nom_usage or dec2.nom_naissance} {dec2.prenoms.split()[0]}" if dec2 else ""
    return {
        "codeDsf": (dept + "0")[:3],
        "codeCommune": insee[-3:],
        "codeAft": "001",
        "numVoie": str(address.numero),
        "btq": "",
        "libelleVoie": f"{address.type_voie} {address.nom_voie}",
        "libelleCommune": commune_name,
        "regimeTax": "P",
        "natureImp": "TH",
        "libelleEdition1": edition1,
        "libelleEdition2": edition2,
        "locaux": [{"natureLocal": nature_local, "affectation": "H", "invariant": invariant}],
    }


def skip_foyer_rows(spec: FoyerSpec, rng: random.Random) -> None:
    """Draw from ``rng`` exactly what ``foyer_rows(…, spec, rng)`` draws, building nothing: a worker that
    builds every other chunk of the population keeps its stream where the full build would leave it (the
    test of the seed's fingerprint and ``test_skip_draws_what_foyer_rows_draws`` check it). Keep in step
    with ``foyer_rows`` and ``situation_row``."""
    below(rng, 60)  # numRole
    death = spec.death
    couple = spec.dec2 is not None
    random_ = rng.random
    for annrev in spec.years:
        random_()  # the year's income factor
        below(rng, 10**9)  # fipNum of the (first) period
        if death and couple and annrev == death.annrev:
            below(rng, 10**9)  # fipNum of the period after the death
    below(rng, 10**10)  # invariant of the local


def foyer_rows(foyer_id: int, spec: FoyerSpec, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Rows for ``foyers``, ``declarants``, ``tax_situations`` and ``th_situations``."""
    people = [spec.dec1] + ([spec.dec2] if spec.dec2 else [])
    declarants = [declarant_row(p, foyer_id, rank) for rank, p in enumerate(people, start=1)]
    aft, aft_detail = spec.address.aft()
    couple = spec.dec2 is not None
    situations: list[dict[str, Any]] = []
    num_role = f"{1 + below(rng, 60):03d}"  # rng.randint(1, 60)
    common = {"aft": aft, "aftDetail": aft_detail, "numRole": num_role}
    late = spec.late_etablissement
    random_ = rng.random
    death = spec.death
    foyer = household(
        sitfam=spec.sitfam,
        pac=spec.pac,
        couple=couple,
        parent_isole=spec.parent_isole,
        case_p=spec.case_p,
        case_l=spec.case_l,
    )
    for annrev in spec.years:
        factor = (1.025 ** (annrev - 2025)) * (0.97 + (1.03 - 0.97) * random_())  # rng.uniform(0.97, 1.03)
        incomes = _scale(spec.incomes, factor)
        etab = late[annrev] if annrev in late else _ir_taxation_date(annrev)
        if death and couple and annrev == death.annrev:
            survivor_rank = 2 if death.rank == 1 else 1
            survivor = people[survivor_rank - 1]
            share = (death.when - date(annrev, 1, 1)).days / 365
            before = build_avis(
                annrev=annrev,
                sitfam=spec.sitfam,
                pac=spec.pac,
                incomes=_scale(incomes, share),
                couple=True,
                case_p=spec.case_p,
            )
            after = build_avis(
                annrev=annrev,
                sitfam="V",
                pac=spec.pac,
                incomes=_scale(_only(incomes, survivor_rank), 1 - share),
                couple=False,
                case_p=spec.case_p,
            )
            periods = [
                (
                    before,
                    date(annrev, 1, 1),
                    death.when,
                    spec.dec1.spi,
                    spec.dec2.spi if spec.dec2 else None,
                    death.rank,
                ),
                (after, death.when + timedelta(days=1), date(annrev, 12, 31), survivor.spi, None, None),
            ]
        else:
            if death and couple and annrev > death.annrev:
                survivor_rank = 2 if death.rank == 1 else 1
                avis = build_avis(
                    annrev=annrev,
                    sitfam="V",
                    pac=spec.pac,
                    incomes=_only(incomes, survivor_rank),
                    couple=False,
                    case_p=spec.case_p,
                )
                dec1, dec2 = people[survivor_rank - 1].spi, None
            else:
                avis = avis_for(annrev, incomes, foyer)
                dec1, dec2 = spec.dec1.spi, spec.dec2.spi if spec.dec2 else None
            periods = [(avis, *_income_year(annrev), dec1, dec2, None)]
        for sequence, (avis, debut, fin, dec1, dec2, deceased_rank) in enumerate(periods, start=1):
            avis.update(common)
            situations.append(
                situation_row(
                    foyer_id,
                    annrev,
                    avis,
                    etab=etab,
                    departement=spec.address.departement,
                    rng=rng,
                    sequence=sequence,
                    period=(debut, fin),
                    spis=(dec1, dec2),
                    deces=(
                        death.when if death and deceased_rank == 1 else None,
                        death.when if death and deceased_rank == 2 else None,
                    ),
                    ifi=annrev in spec.ifi_years,
                )
            )
    invariant = f"{below(rng, 10**10):010d}"
    th_rows = []
    if spec.th_years:  # the same résidence principale every year: one payload for the rows of every year
        th = th_payload(spec.dec1, spec.dec2, spec.address, nature_local=spec.nature_local, invariant=invariant)
        th_rows = [{"foyer_id": foyer_id, "annee": annee, "payload": th} for annee in spec.th_years]
    return {
        "foyers": [{"id": foyer_id, "persona": spec.persona}],
        "declarants": declarants,
        "tax_situations": situations,
        "th_situations": th_rows,
    }
