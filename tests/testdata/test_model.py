"""The one model of test data: what it accepts, what it computes, and its French refusals naming the field."""

from __future__ import annotations

import pytest

from dgfip_sandbox.apis.ficoba.identifiers import make_iban
from dgfip_sandbox.spi import spi_from_base
from dgfip_sandbox.testdata import model
from dgfip_sandbox.testdata.errors import TestDataError
from dgfip_sandbox.testdata.files import parse_data, parse_text

PERSON = {"nom_naissance": "Dupont", "prenoms": "Jean", "sexe": "M", "date_naissance": "1970-01-01"}
SPI = spi_from_base("1000000042")


def refusal(data: object) -> dict[str, str]:
    with pytest.raises(TestDataError) as refused:
        parse_data(data)
    return dict(refused.value.problems)


def test_defaults_and_normalisation() -> None:
    data = parse_data({"foyers": [{"declarants": [{**PERSON, "commune_naissance": "13055"}]}]})
    (foyer,) = data.foyers
    assert foyer.situation_famille == "C" and foyer.declarants[0].nom_naissance == "DUPONT"
    assert foyer.declarants[0].departement_naissance == "13" and foyer.adresse.commune == "PARIS"
    couple = parse_data({"foyers": [{"declarants": [PERSON, {**PERSON, "prenoms": "Anne", "sexe": "F"}]}]})
    assert couple.foyers[0].situation_famille == "M"


def test_published_fields_keep_their_stored_shapes() -> None:
    avis = model.Avis.model_validate(
        {
            "annee": 2024,
            "rfr": 1000,
            "pac": {"nbPacF": 1, "nbPacH": 2},
            "facture": [{"codeLigne": "0020", "colonne1": "100", "colonne4": "100"}],
            "rev": {"tspr": [{"code": "1AJ", "valeur": "100"}]},
        }
    )
    published = avis.published()
    assert published["pac"] == {"nbPac": 3, "nbPacF": 1, "nbPacH": 2}
    assert published["facture"] == [["0020", "100", "", "", "100"]]
    assert published["rev"] == {"tspr": [{"code": "1AJ", "valeur": "100"}]} and published["rfr"] == 1000
    assert "revenus" not in published and "annee" not in published


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        (
            {"foyers": [{"declarants": [{**PERSON, "spi": SPI[:-1] + "0"}]}]},
            "foyers[0].declarants[0].spi",
            "clé de contrôle",
        ),
        ({"foyers": [{"declarants": [{**PERSON, "sexe": "X"}]}]}, "foyers[0].declarants[0].sexe", "'M', 'F'"),
        ({"foyers": [{"declarants": []}]}, "foyers[0].declarants", "au moins 1"),
        (
            {"foyers": [{"declarants": [PERSON], "situation_famille": "M"}]},
            "foyers[0].situation_famille",
            "deux déclarants",
        ),
        (
            {"foyers": [{"declarants": [PERSON], "avis": [{"annee": 2024, "nmNaiDec1": "X"}]}]},
            "foyers[0].avis[0].nmNaiDec1",
            "champ inconnu",
        ),
        (
            {"foyers": [{"declarants": [PERSON], "avis": [{"annee": 2024, "nbPart": 1.3}]}]},
            "foyers[0].avis[0].nbPart",
            "multiple de 0.25",
        ),
        (
            {"foyers": [{"declarants": [PERSON], "avis": [{"annee": 2024}, {"annee": 2024}]}]},
            "foyers[0].avis",
            "deux fois",
        ),
        (
            {"comptes": [{"iban": "FR7630004008110003124795000", "droits": [{"personne": {"spi": SPI}}]}]},
            "comptes[0].iban",
            "IBAN invalide",
        ),
        (
            {
                "comptes": [
                    {
                        "iban": make_iban("30004", "00811", "00031247950"),
                        "nature": 500,
                        "droits": [{"personne": {"spi": SPI}}],
                    }
                ]
            },
            "comptes[0].iban",
            "coffre-fort",
        ),
        (
            {"comptes": [{"nature": 777, "droits": [{"personne": {"spi": SPI}}]}]},
            "comptes[0].nature",
            "nature de compte inconnue (annexe 1 : 101, 102",
        ),
        (
            {"comptes": [{"droits": [{"droit": "procuration", "personne": {"spi": SPI}}]}]},
            "comptes[0].droits",
            "au moins un titulaire",
        ),
        (
            {"comptes": [{"droits": [{"personne": {"raison_sociale": "X", "siren": "123456789"}}]}]},
            "comptes[0].droits[0].personne.siren",
            "Luhn",
        ),
        (
            {"comptes": [{"droits": [{"personne": {"nom_naissance": "X"}}]}]},
            "comptes[0].droits[0].personne",
            "donnez un spi",
        ),
        (
            {"comptes": [{"ouverture": "2020-01-01", "cloture": "2019-01-01", "droits": [{"personne": {"spi": SPI}}]}]},
            "comptes[0].cloture",
            "antérieure",
        ),
        ({"identites": [{"login": "x"}]}, "identites[0]", "sans spi, donnez given_name"),
        ({"inconnu": []}, "inconnu", "champ inconnu"),
    ],
)
def test_refusals_name_the_field_in_french(data: object, field: str, reason: str) -> None:
    problems = refusal(data)
    assert field in problems, problems
    assert reason in problems[field]


def test_unreadable_files_are_refused_clearly() -> None:
    with pytest.raises(TestDataError, match="YAML illisible"):
        parse_text("foyers: [", "equipe.yaml")
    with pytest.raises(TestDataError, match="JSON illisible"):
        parse_text("{", "equipe.json")
    with pytest.raises(TestDataError, match="objet attendu"):
        parse_text("- 1", "equipe.yaml")
    assert parse_text("", "vide.yaml") == model.DataFile()


def test_every_published_avis_field_but_the_etat_civil_may_be_given() -> None:
    from dgfip_sandbox.apis.impot_particulier.service import FACTURES_ORDER

    settable = set(model.Avis.model_fields) - {"annee", "revenus", "ifi"}
    assert settable == set(model.AVIS_PUBLISHED_FIELDS)
    assert set(FACTURES_ORDER) - settable == {f for f in FACTURES_ORDER if f[-4:] in ("Dec1", "Dec2")}
