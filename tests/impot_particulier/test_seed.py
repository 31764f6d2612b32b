"""The seeded population: deterministic, valid SPIs, coherent amounts, personas in place."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.seed.avis import Incomes, build_avis, nb_parts
from dgfip_sandbox.seed.personas_impot import PERSONA_FOYERS, PERSONAS, SPI_INCONNU
from dgfip_sandbox.seed.population import population_rows, seed
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.spi import is_valid_spi
from dgfip_sandbox.store.taxpayers import Declarant, Foyer, TaxSituation, ThSituation, expand_payload

from .conftest import IP_SEED_SIZE


def _spis(seed_value: int, size: int) -> list[str]:
    return [d["spi"] for rows in population_rows(seed_value, size) for d in rows["declarants"]]


def test_same_seed_same_population() -> None:
    assert _spis(42, 300) == _spis(42, 300)
    first = list(population_rows(42, 50))
    again = list(population_rows(42, 50))
    assert first == again


def test_other_seed_other_population_but_same_personas() -> None:
    personas = {p["spi"] for p in PERSONAS} - {SPI_INCONNU}
    a, b = _spis(1, 200), _spis(2, 200)
    assert set(a) - personas != set(b) - personas
    assert personas <= set(a) and personas <= set(b)
    # Growing the population does not change the first foyers.
    assert _spis(1, 300)[: len(a)] == a


def test_spis_valid_unique_and_never_the_unknown_one() -> None:
    spis = _spis(7, 3000)
    assert len(spis) == len(set(spis))
    assert all(is_valid_spi(s) and s[0] in "0123" for s in spis)
    assert SPI_INCONNU not in spis


def test_every_foyer_is_coherent() -> None:
    for rows in population_rows(3, 1500):
        declarants = rows["declarants"]
        assert 1 <= len(declarants) <= 2
        for d in declarants:
            assert d["nom_naissance"] == d["nom_naissance"].upper() and d["prenoms"] == d["prenoms"].upper()
            if d["code_pays_naissance"] != "99100":
                assert d["code_pays_naissance"].startswith("99") and d["departement_naissance"] == "99"
        for situation in rows["tax_situations"]:
            p = expand_payload(situation["payload"])
            assert p["sitFam"] in "MOCDV"
            assert (situation["spi_dec2"] is not None) == (p["sitFam"] in "MO")
            assert p["rfr"] >= p["revImposable"] >= 0
            assert p["revenuBrutGlobal"] >= p["revImposable"]
            assert p["impAvImput"] >= 0 and p["impAvImput"] <= p.get("mntRevbareme", 0)
            pac = p["pac"]
            assert pac["nbPac"] == sum(pac[k] for k in ("nbPacF", "nbPacH", "nbPacJ", "nbPacN", "nbPacR", "nbPacP"))
            base = 2 if p["sitFam"] in "MO" else 1
            assert p["nbPart"] >= base
            if pac["nbPac"] == 0 and p["sitFam"] in "MO":
                assert p["nbPart"] in (2.0, 2.5)
            codes = [line["codeLigne"] for line in p["facture"]]
            assert all(line["libelleLigne"] for line in p["facture"])
            assert [line["numLigne"] for line in p["facture"]] == list(range(1, len(codes) + 1))
            if p["impAvImput"] < p.get("mntRevbareme", 0):
                assert "1830" in codes  # the décote explains the difference
            assert situation["date_debut"] <= situation["date_fin"]
        assert all(th["annee"] <= 2022 for th in rows["th_situations"])


@pytest.mark.parametrize(
    ("sitfam", "pac", "isole", "parts"),
    [
        ("C", {}, False, 1.0),
        ("M", {}, False, 2.0),
        ("M", {"nbPacF": 1}, False, 2.5),
        ("M", {"nbPacF": 2}, False, 3.0),
        ("M", {"nbPacF": 3}, False, 4.0),
        ("O", {"nbPacH": 1}, False, 2.25),
        ("D", {"nbPacF": 2}, True, 2.5),
        ("V", {"nbPacF": 1}, False, 2.5),
        ("V", {}, False, 1.0),
        ("M", {"nbPacF": 1, "nbPacG": 1}, False, 3.0),
        ("C", {"nbPacR": 1}, False, 2.0),
    ],
)
def test_nb_parts(sitfam: str, pac: dict[str, int], isole: bool, parts: float) -> None:
    assert nb_parts(sitfam, pac, parent_isole=isole) == parts


def test_avis_amounts() -> None:
    avis = expand_payload(
        build_avis(annrev=2024, sitfam="C", pac={}, incomes=Incomes(salaires=(30000, 0)), couple=False)
    )
    assert avis["revenuBrutGlobal"] == 27000 and avis["rfr"] == 27000
    # (27000 - 11497) * 11 % = 1705.33
    assert avis["mntRevbareme"] == 1705
    # Décote: 889 - 45.25 % × 1705 = 117
    assert avis["impAvImput"] == 1588
    assert [line["colonne4"] for line in avis["facture"] if line["codeLigne"] == "1830"] == ["117"]
    low = expand_payload(
        build_avis(annrev=2024, sitfam="C", pac={}, incomes=Incomes(salaires=(14000, 0)), couple=False)
    )
    assert low["impAvImput"] == 0 and any(line["codeLigne"] == "1830" for line in low["facture"])
    none = build_avis(annrev=2024, sitfam="C", pac={}, incomes=Incomes(), couple=False)
    assert "mntRevbareme" not in none and none["rfr"] == 0


@pytest.mark.anyio
async def test_seeded_database(db: AsyncSession, ip_settings: Settings) -> None:
    foyers = (await db.execute(select(func.count()).select_from(Foyer))).scalar_one()
    assert foyers == IP_SEED_SIZE + len(PERSONA_FOYERS)
    personas = dict((await db.execute(select(Foyer.persona, Foyer.id).where(Foyer.persona.is_not(None)))).all())
    assert set(personas) == {spec.persona for spec in PERSONA_FOYERS}
    sitfams = Counter(
        (
            await db.execute(select(TaxSituation.payload["sitFam"].as_string()).where(TaxSituation.annrev == 2025))
        ).scalars()
    )
    assert set(sitfams) == set("MOCDV")
    assert (await db.execute(select(func.max(ThSituation.annee)))).scalar_one() == 2022
    abroad = (await db.execute(select(func.count()).where(Declarant.code_pays_naissance != "99100"))).scalar_one()
    assert abroad > 0
    # Idempotent: a second run adds nothing.
    await seed(db, ip_settings)
    assert (await db.execute(select(func.count()).select_from(Foyer))).scalar_one() == foyers


def test_stored_payload_is_compact_and_expands_to_the_published_shapes() -> None:
    stored = build_avis(
        annrev=2024, sitfam="M", pac={"nbPacF": 1}, incomes=Incomes(salaires=(30000, 20000), interets=100), couple=True
    )
    assert stored["pac"] == {"nbPac": 1, "nbPacF": 1}
    assert stored["facture"][0] == ["0020", "30000", "20000", "", "50000"]
    assert set(stored["rev"]) == {"tspr", "rcm"} and "sitParDeclaree" in stored
    published = expand_payload(stored)
    assert list(published["pac"]) == [
        "nbPac",
        "nbPacF",
        "nbPacG",
        "nbPacH",
        "nbPacI",
        "nbPacR",
        "nbPacJ",
        "nbPacN",
        "nbPacP",
    ]
    assert published["facture"][0] == {
        "numLigne": 1,
        "codeLigne": "0020",
        "libelleLigne": "Salaires",
        "colonne1": "30000",
        "colonne2": "20000",
        "colonne3": "",
        "colonne4": "50000",
    }
    assert published["rev"]["pv"] == [] and len(published["rev"]) == 9
    assert published["sitParDeclaree"]["sitPartP"] == "" and len(published["sitParDeclaree"]) == 7
