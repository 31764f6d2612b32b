"""The integrator's test data written through the one service, then served by both APIs and FranceConnect."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dgfip_sandbox.apis.ficoba.identifiers import is_valid_iban
from dgfip_sandbox.spi import is_valid_spi, spi_from_base
from dgfip_sandbox.store.accounts import Compte, Personne
from dgfip_sandbox.store.franceconnect import FcCitizen
from dgfip_sandbox.store.taxpayers import Declarant, Foyer
from dgfip_sandbox.testdata.errors import TestDataError
from dgfip_sandbox.testdata.files import parse_data, parse_text
from dgfip_sandbox.testdata.service import TestDataService
from tests.ficoba.test_routes import ADMIN, post

pytestmark = pytest.mark.anyio
IP = "/impotparticulier/1.0"
SPI = spi_from_base("1234567890")

FOYER = {
    "nom": "couple-avec-enfants",
    "declarants": [
        {
            "spi": SPI,
            "nom_naissance": "Testeur",
            "prenoms": "Alice Marie",
            "sexe": "F",
            "date_naissance": "1985-03-14",
            "commune_naissance": "69123",
            "lieu_naissance": "Lyon",
        },
        {"nom_naissance": "Testeur", "prenoms": "Bruno", "sexe": "M", "date_naissance": "1983-07-01"},
    ],
    "pac": {"nbPacF": 2},
    "adresse": {
        "numero": 8,
        "nom_voie": "des Tests",
        "code_commune": "69383",
        "code_postal": "69003",
        "commune": "Lyon",
    },
    "avis": [
        {"annee": 2024, "revenus": {"salaires": [42000, 30000]}, "ifi": True},
        {
            "annee": 2025,
            "rfr": 12345,
            "nbPart": 3,
            "pac": {"nbPacF": 2, "nbPacH": 1},
            "aftDetail": {"complementAdresse": "BAT B"},
        },
    ],
    "taxe_habitation": [{"annee": 2022}],
}


def service(sandbox) -> TestDataService:  # type: ignore[no-untyped-def]
    return TestDataService(sandbox.state.sessionmaker, clock=sandbox.clock, actor="test")


async def count(sandbox, model) -> int:  # type: ignore[no-untyped-def]
    async with sandbox.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_foyer_is_served_by_impot_particulier_with_the_given_and_computed_fields(sandbox) -> None:
    assert is_valid_spi(SPI)
    created = await service(sandbox).add(parse_data({"foyers": [FOYER]}), source="test")
    (foyer,) = created["foyers"]
    assert foyer["key"] == SPI and foyer["spis"][0] == SPI and is_valid_spi(foyer["spis"][1])
    client = await sandbox.client("mairie-demo")
    body = (await client.get(f"{IP}/spi/{SPI}/situations/ir/assiettes/annrev/2025")).json()
    assert body["rfr"] == 12345 and body["nbPart"] == 3
    assert body["pac"] == {
        **dict.fromkeys(("nbPacF", "nbPacG", "nbPacH", "nbPacI", "nbPacR", "nbPacJ", "nbPacN", "nbPacP"), 0),
        "nbPac": 3,
        "nbPacF": 2,
        "nbPacH": 1,
    }
    assert body["nmNaiDec1"] == "TESTEUR" and body["prnmDec1"] == "ALICE MARIE" and body["sitFam"] == "M"
    assert body["aftDetail"]["getcodePostal"] == "69003 LYON" and body["aftDetail"]["complementAdresse"] == "BAT B"
    computed = (await client.get(f"{IP}/spi/{foyer['spis'][1]}/situations/ir/assiettes/annrev/2024")).json()
    assert computed["nbPart"] == 3 and computed["rfr"] > 0 and computed["pac"]["nbPacF"] == 2
    ifi = await client.get(f"{IP}/spi/{SPI}/situations/ifiisf/assiettes/annrev/2024")
    assert ifi.status_code == 200 and ifi.json() == {"indicateurIfiIsf": "O"}
    lep = await client.get(f"{IP}/spi/{SPI}/lep/departement/69/annrev/2025/bareme/2026")
    assert lep.status_code == 200 and lep.json() == {"statut": "O"}  # RFR 12345 for 3 parts: eligible
    th = await client.get(f"{IP}/spi/{SPI}/situations/th/assiettes/principale/annrev/2022")
    assert th.status_code == 200 and th.json()["situationsTH"][0]["libelleCommune"] == "LYON"
    assert (await service(sandbox).list()) == [
        {"kind": "foyer", "key": SPI, "source": "test", "created_at": sandbox.clock.now().isoformat()}
    ]


async def test_an_account_of_a_new_foyer_and_a_legal_entity_are_served_by_ficoba(sandbox) -> None:
    data = {
        "foyers": [FOYER],
        "comptes": [
            {"droits": [{"personne": {"spi": SPI}}], "nature": 206},
            {
                "banque": "30002",
                "guichet": "00480",
                "ouverture": "2019-05-02",
                "cloture": "2024-01-31",
                "droits": [
                    {"personne": {"spi": SPI}},
                    {
                        "droit": "procuration",
                        "personne": {
                            "nom_naissance": "Aidant",
                            "prenoms": "Paul",
                            "sexe": "M",
                            "date_naissance": "1960-01-01",
                        },
                    },
                ],
            },
            {
                "droits": [
                    {"personne": {"raison_sociale": "Boulangerie des Tests"}},
                    {"droit": "beneficiaire_effectif", "personne": {"spi": SPI}},
                ]
            },
        ],
    }
    created = await service(sandbox).add(parse_data(data), source="test")
    ibans = [c["iban"] for c in created["comptes"]]
    assert all(is_valid_iban(iban) for iban in ibans) and ibans[1][4:14] == "3000200480"
    response = await post(sandbox, ADMIN, "spi", {"numeroSPI": SPI})
    assert response.status_code == 200, response.text
    assert response.json()["reponses"][0]["nombreComptes"] == "003"
    async with sandbox.state.sessionmaker() as session:
        pm = (
            await session.execute(select(Personne).where(Personne.raison_sociale == "Boulangerie des Tests"))
        ).scalar_one()
        assert len(pm.siren) == 9 and pm.siret.startswith(pm.siren) and len(pm.siret) == 14
        people = (await session.execute(select(func.count()).select_from(Personne).where(Personne.spi == SPI))).scalar()
        assert people == 1  # one FICOBA person for the déclarant, holding three rights
    siren = await post(sandbox, ADMIN, "siretSiren", {"siren": pm.siren})
    assert siren.status_code == 200, siren.text


async def test_an_identity_linked_to_a_declarant_logs_in_and_matches(sandbox) -> None:
    data = parse_data(
        {"foyers": [FOYER], "identites": [{"spi": SPI}, {"login": "alice", "spi": SPI, "email": "alice@example.org"}]}
    )
    created = await service(sandbox).add(data, source="test")
    assert [i["login"] for i in created["identites"]] == [SPI, "alice"]
    async with sandbox.state.sessionmaker() as session:
        alice = (await session.execute(select(FcCitizen).where(FcCitizen.login == "alice"))).scalar_one()
    assert (alice.given_name, alice.family_name, alice.birthdate, alice.birthplace, alice.expected_spi) == (
        "Alice Marie",
        "TESTEUR",
        "1985-03-14",
        "69123",
        SPI,
    )
    assert alice.email == "alice@example.org" and alice.case == "fc_match"


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        (
            {"foyers": [{**FOYER, "avis": [{"annee": 2026}]}]},
            "foyers[0].avis[0].annee",
            "hors du calendrier d'imposition : de 2015 à 2025",
        ),
        ({"foyers": [{**FOYER, "taxe_habitation": [{"annee": 2023}]}]}, "foyers[0].taxe_habitation[0].annee", "2022"),
        (
            {"comptes": [{"banque": "99999", "guichet": "00001", "droits": [{"personne": {"spi": SPI}}]}]},
            "comptes[0].guichet",
            "inconnu de FICOBA",
        ),
        (
            {"comptes": [{"droits": [{"personne": {"spi": spi_from_base("3999999999")}}]}]},
            "comptes[0].droits[0].personne.spi",
            None,
        ),
        ({"identites": [{"spi": SPI}]}, "identites[0].spi", "aucun déclarant n'a le SPI"),
        ({"foyers": [FOYER, FOYER]}, "foyers[1].declarants[0].spi", "déjà celui d'un déclarant"),
        (
            {
                "foyers": [FOYER],
                "comptes": [{"iban": "FR7630004009550000135601429", "droits": [{"personne": {"spi": SPI}}]}],
            },
            "comptes[0].iban",
            "déjà celui d'un compte",
        ),
    ],
)
async def test_bad_data_is_refused_naming_the_field_and_nothing_is_written(sandbox, data, field, reason) -> None:  # type: ignore[no-untyped-def]
    before = [await count(sandbox, model) for model in (Foyer, Declarant, Compte, Personne, FcCitizen)]
    with pytest.raises(TestDataError) as refused:
        await service(sandbox).add(parse_data(data), source="test")
    fields = [f for f, _ in refused.value.problems]
    assert field in fields, refused.value
    if reason:
        assert reason in str(refused.value)
    assert [await count(sandbox, model) for model in (Foyer, Declarant, Compte, Personne, FcCitizen)] == before
    assert await service(sandbox).list() == []


async def test_remove_deletes_exactly_what_was_created(sandbox) -> None:
    before = [await count(sandbox, model) for model in (Foyer, Declarant, Compte, Personne, FcCitizen)]
    data = {"foyers": [FOYER], "comptes": [{"droits": [{"personne": {"spi": SPI}}]}], "identites": [{"spi": SPI}]}
    created = await service(sandbox).add(parse_data(data), source="test")
    keys = [SPI, created["comptes"][0]["iban"], SPI]
    assert len(await service(sandbox).list()) == 3
    with pytest.raises(TestDataError, match="aucune donnée de test"):
        await service(sandbox).remove(["inconnue"])
    assert len(await service(sandbox).list()) == 3
    removed = await service(sandbox).remove(keys[1:])
    assert removed == keys[1:]
    await service(sandbox).remove([SPI])
    assert [await count(sandbox, model) for model in (Foyer, Declarant, Compte, Personne, FcCitizen)] == before
    client = await sandbox.client("mairie-demo")
    gone = await client.get(f"{IP}/spi/{SPI}/situations/ir/assiettes/annrev/2025")
    assert gone.status_code == 410 and gone.json()["erreur"]["code"] == 4102  # "ne correspond à aucun usager"


DOC = Path(__file__).resolve().parents[2] / "docs" / "test-data.md"


async def test_the_documented_file_loads_and_is_served(sandbox) -> None:
    (example,) = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S)
    created = await service(sandbox).add(parse_text(example, "equipe.yaml"), source="equipe.yaml")
    assert [f["key"] for f in created["foyers"]] == [SPI]
    assert len(created["comptes"]) == 3 and [i["key"] for i in created["identites"]] == [SPI, "alice"]
    response = await post(sandbox, ADMIN, "spi", {"numeroSPI": SPI})
    assert response.json()["reponses"][0]["nombreComptes"] == "003"
