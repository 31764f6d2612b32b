"""FICOBA's searches and rules, at service level (seeded store, frozen clock 2026-11-25)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from dgfip_sandbox.apis.ficoba import datapass, errors
from dgfip_sandbox.seed import ficoba as seed
from dgfip_sandbox.store.accounts import Personne
from dgfip_sandbox.store.taxpayers import Declarant
from tests.ficoba.conftest import consumer
from tests.ficoba.helpers import demande

pytestmark = pytest.mark.anyio

ETAT_VIDE = {"raisonSociale": "", "sigle": "", "enseigne": "", "codeCategorieJuridique": ""}


async def refused(coro, code: str) -> errors.FicobaError:
    with pytest.raises(errors.FicobaError) as info:
        await coro
    assert info.value.code == code, info.value.full_message
    assert info.value.status_code == errors.CATALOGUE[code].status_code
    return info.value


def perphy(etat: dict[str, Any], lieu: dict | None = None, dom: dict | None = None) -> Any:
    criteres: dict[str, Any] = {"etatCivil": etat}
    if lieu is not None:
        criteres["lieuNaissance"] = lieu
    if dom is not None:
        criteres["domiciliation"] = dom
    return demande("perPhy", criteres)


# --- numCpte -----------------------------------------------------------------------------------------


async def test_num_cpte_full_structure(service_for):
    r = await service_for().num_cpte(
        demande("numCpte", {"iban": "FR7630004009550000135601429", "verificationCompte": "0"})
    )
    compte = r.body["reponses"]["comptes"][0]
    carac = compte["caracteristiqueCompte"]
    assert carac["nature"] == {"codeNature": 101, "libelleNature": "Compte courant bancaire"}
    assert carac["type"] == {"codeType": 1, "libelleType": "Simple"}
    assert carac["resident"] == "non" and carac["succession"] == "non" and carac["devise"] == {"codeDevise": "EUR"}
    guichet = compte["etablissementGestionnaire"]["guichet"]
    assert guichet == {
        "numeroGuichet": "00955",
        "libelleGuichet": "AG NATION",
        "adresse": {"libAdr2": "3 PL DE LA NATION", "libAdr4": "75011 PARIS"},
    }
    diez, rollin = compte["ayantsDroits"]
    assert diez["personnePhysique"]["droitSurCompte"] == "Procuration" and "adresse" not in diez
    assert diez["personnePhysique"]["libellePaysNaissance"] == "REPUBLIQUE ALGERIENNE DEMOCRATIQUE ET POPULAIRE"
    assert rollin["personnePhysique"]["anneNaissance"] == "1993"
    assert rollin["adresse"]["codePostal"] == "75011"
    assert r.body["caracteristiquesDemande"]["criteresRecherche"]["iban"] == "FR7630004009550000135601429"


async def test_num_cpte_verification_and_closed_account(service_for):
    bank = consumer(scopes=(datapass.VERIFICATION,))
    r = await service_for(bank).num_cpte(
        demande("numCpte", {"iban": seed.IBAN_BOULANGERIE_CLOS, "verificationCompte": "1"})
    )
    assert r.body["reponses"] == {"verificationCompte": {"ibanExistant": "1", "dateCloture": "2010-02-01"}}
    r = await service_for(bank).num_cpte(
        demande("numCpte", {"iban": "FR7610008000015215522274511", "verificationCompte": "1"})
    )
    assert r.body["reponses"] == {"verificationCompte": {"ibanExistant": "0"}}
    assert r.body["messageInformatif"]["code"] == "CAF011" and r.outcome == "CAF011"


async def test_num_cpte_verification_needs_scope(service_for):
    no_verification = consumer(scopes=(datapass.COMPTE,))
    await refused(
        service_for(no_verification).num_cpte(demande("numCpte", {"iban": seed.IBAN_LUCIE, "verificationCompte": "1"})),
        "CAF031",
    )


async def test_num_cpte_unknown_and_bad_iban(service_for):
    r = await service_for().num_cpte(
        demande("numCpte", {"iban": "FR7610008000015215522274511", "verificationCompte": "0"})
    )
    assert r.body["messageInformatif"]["code"] == "CAF011" and "reponses" not in r.body
    await refused(
        service_for().num_cpte(demande("numCpte", {"iban": "FR7630004009550000135601420", "verificationCompte": "0"})),
        "CAF002",
    )
    await refused(service_for().num_cpte(demande("numCpte", {"iban": "FR7630004009550000135601429"})), "CAF001")
    await refused(
        service_for().num_cpte(demande("numCpte", {"iban": "FR7630004009550000135601429", "verificationCompte": "2"})),
        "CAF002",
    )


async def test_coffre_fort_is_nature_500(service_for):
    r = await service_for().num_cpte(
        demande("numCpte", {"iban": "FC1430004021971896960539599", "verificationCompte": "0"})
    )
    assert r.body["reponses"]["comptes"][0]["caracteristiqueCompte"]["nature"]["codeNature"] == 500


# --- spi ---------------------------------------------------------------------------------------------


async def test_spi_documented_example(service_for):
    r = await service_for().spi(demande("spi", {"numeroSPI": seed.SPI_DUBOIS}))
    reponse = r.body["reponses"][0]
    assert reponse["personneRecherche"]["numeroSpi"] == 1489335901  # int64, as in the swagger
    assert reponse["nombreComptes"] == "003"
    natures = sorted(c["caracteristiqueCompte"]["nature"]["codeNature"] for c in reponse["comptes"])
    assert natures == [101, 101, 201]
    joint = next(c for c in reponse["comptes"] if c["caracteristiqueCompte"]["type"]["codeType"] == 2)
    flags = {
        a["personnePhysique"]["prenoms"]: a["personnePhysique"]["personneRecherchee"] for a in joint["ayantsDroits"]
    }
    assert flags == {"DANIEL": "1", "MARIE PIERRE": "0"}
    ei = next(c for c in reponse["comptes"] if any("personneMorale" in a for a in c["ayantsDroits"]))
    assert {next(iter(a.values()))["droitSurCompte"] for a in ei["ayantsDroits"]} == {"Titulaire", "Etci ei"}
    assert r.spi == seed.SPI_DUBOIS


@pytest.mark.parametrize(
    ("spi", "code"),
    [
        ("123", "CAF004"),
        ("00014893359010", "CAF004"),
        ("000148933590A", "CAF002"),
        ("4001489335901", "CAF005"),
        ("", "CAF001"),
    ],
)
async def test_spi_format(service_for, spi, code):
    await refused(service_for().spi(demande("spi", {"numeroSPI": spi})), code)


async def test_spi_round_trip_with_declarants(service_for, ficoba_session):
    """The accounts found by a déclarant's SPI belong to the person the declarants table describes."""
    for declarant in (await ficoba_session.execute(select(Declarant))).scalars():
        r = await service_for().spi(demande("spi", {"numeroSPI": declarant.spi}))
        assert r.outcome == "OK", declarant.spi
        personne = r.body["reponses"][0]["personneRecherche"]
        assert personne["nomNaissance"] == declarant.nom_naissance
        assert personne["prenom"] == declarant.prenoms
        assert (int(personne["anneeNaissance"]), int(personne["moisNaissance"]), int(personne["jourNaissance"])) == (
            declarant.date_naissance.year,
            declarant.date_naissance.month,
            declarant.date_naissance.day,
        )
        assert personne["sexe"] == ("Masculin" if declarant.sexe == "M" else "Feminin")
        assert personne["paysNaissance"]["codePays"] == declarant.code_pays_naissance
        assert personne["numeroSpi"] == int(declarant.spi)
        for compte in r.body["reponses"][0]["comptes"]:
            searched = [
                next(iter(a.values()))
                for a in compte["ayantsDroits"]
                if next(iter(a.values())).get("personneRecherchee") == "1"
            ]
            assert searched and all(p["nomNaissance"] == declarant.nom_naissance for p in searched)


async def test_spi_unknown_is_caf007(service_for):
    r = await service_for().spi(demande("spi", {"numeroSPI": "3900000199000"}))
    assert r.body["messageInformatif"]["code"] == "CAF007" and r.body["nombreReponses"] == "000"


# --- siretSiren --------------------------------------------------------------------------------------


async def test_siret_siren(service_for):
    r = await service_for().siret_siren(demande("siretSiren", {"siret": seed.SIRET_BOULANGERIE, "siren": ""}))
    droits = {
        next(iter(a.values()))["droitSurCompte"] for c in r.body["reponses"][0]["comptes"] for a in c["ayantsDroits"]
    }
    assert {"Titulaire", "Mandataire", "Beneficiaire effectif"} <= droits
    r = await service_for().siret_siren(demande("siretSiren", {"siren": seed.SIREN_BOULANGERIE}))
    assert r.body["reponses"][0]["personneRecherche"]["categorieJuridique"] == 5499
    await refused(
        service_for().siret_siren(
            demande("siretSiren", {"siret": seed.SIRET_BOULANGERIE, "siren": seed.SIREN_BOULANGERIE})
        ),
        "CAF010",
    )
    await refused(service_for().siret_siren(demande("siretSiren", {"siret": "", "siren": ""})), "CAF001")
    await refused(service_for().siret_siren(demande("siretSiren", {"siren": "12345"})), "CAF002")
    r = await service_for().siret_siren(demande("siretSiren", {"siren": "999999999"}))
    assert r.outcome == "CAF009"


# --- perPhy ------------------------------------------------------------------------------------------


async def test_per_phy_documented_example(service_for):
    r = await service_for().per_phy(
        perphy(
            {
                "anneeNaissance": "1995",
                "moisNaissance": "08",
                "jourNaissance": "07",
                "nom": "JABALI",
                "prenoms": "HAKIM",
                "sexe": "1",
            },
            {"codePaysNaissance": "", "codeDepartementNaissance": "", "codeCommuneNaissance": ""},
            {"codePays": "", "codeDepartement": "", "codeCommune": ""},
        )
    )
    assert r.body["nombreReponses"] == "001"
    personne = r.body["reponses"][0]["personneRecherche"]
    assert personne["nomNaissance"] == "JABALI" and personne["scoreAppariement"] == 100.0
    assert personne["communeNaissance"] == {"codeCommune": "109", "libelleCommune": "NANTES"}


async def test_per_phy_normalises_names(service_for):
    r = await service_for().per_phy(
        perphy(
            {
                "nom": "o'connor",
                "prenoms": "Seán",
                "anneeNaissance": "1980",
                "moisNaissance": "00",
                "jourNaissance": "00",
            },
            {"codePaysNaissance": "99136"},
        )
    )
    assert r.body["reponses"][0]["personneRecherche"]["nomNaissance"] == "O'CONNOR"
    assert "moisNaissance" not in r.body["reponses"][0]["personneRecherche"]  # "00": unknown, left blank


async def test_per_phy_accented_declarant(service_for):
    r = await service_for().per_phy(perphy({"nom": "eloise d arc", "anneeNaissance": "1990"}))
    assert r.outcome == "OK"


async def test_per_phy_homonyms_scored(service_for):
    r = await service_for().per_phy(perphy({"nom": "MARTIN", "prenoms": "JEAN", "anneeNaissance": "1975"}))
    scores = [
        (x["personneRecherche"]["prenom"], x["personneRecherche"]["scoreAppariement"]) for x in r.body["reponses"]
    ]
    assert [p for p, _ in scores] == ["JEAN", "JEAN PAUL"]
    assert scores[0][1] > scores[1][1]


async def test_per_phy_injection_is_data(service_for):
    for nom in ("ROBERT'); DROP TABLE ficoba_personnes;--", "A\x00B\x1b[31m", "' OR '1'='1"):
        r = await service_for().per_phy(perphy({"nom": nom, "anneeNaissance": "1975"}))
        assert r.outcome == "CAF013"
    r = await service_for().per_phy(perphy({"nom": "MARTIN", "anneeNaissance": "1975"}))
    assert r.outcome == "OK"


async def test_per_phy_birth_ranges(service_for):
    ok = {
        "nom": "LEGRAND",
        "anneeNaissanceDebut": "2019",
        "moisNaissanceDebut": "01",
        "jourNaissanceDebut": "01",
        "anneeNaissanceFin": "2019",
        "moisNaissanceFin": "12",
        "jourNaissanceFin": "31",
    }
    r = await service_for().per_phy(perphy(ok))
    assert [x["personneRecherche"]["prenom"] for x in r.body["reponses"]] == ["LUCIE"]
    await refused(
        service_for().per_phy(
            perphy({**ok, "anneeNaissanceFin": "2020", "moisNaissanceFin": "06", "jourNaissanceFin": "30"})
        ),
        "CAF032",
    )
    old = {
        **ok,
        "anneeNaissanceDebut": "1911",
        "anneeNaissanceFin": "1911",
        "moisNaissanceFin": "11",
        "jourNaissanceFin": "11",
    }
    await refused(service_for().per_phy(perphy(old)), "CAF033")
    future = {**ok, "anneeNaissanceDebut": "2026", "anneeNaissanceFin": "2026", "moisNaissanceFin": "12"}
    await refused(service_for().per_phy(perphy(future)), "CAF024")
    await refused(service_for().per_phy(perphy({**ok, "anneeNaissanceFin": "2018"})), "CAF002")


@pytest.mark.parametrize(
    ("etat", "lieu", "dom", "code"),
    [
        ({"anneeNaissance": "1975"}, None, None, "CAF001"),
        ({"nom": "MARTIN"}, None, None, "CAF001"),
        ({"nom": "MARTIN", "anneeNaissance": "75"}, None, None, "CAF002"),
        ({"nom": "MARTIN", "anneeNaissance": "1975", "moisNaissance": "13"}, None, None, "CAF002"),
        (
            {"nom": "MARTIN", "anneeNaissance": "1975", "moisNaissance": "02", "jourNaissance": "30"},
            None,
            None,
            "CAF002",
        ),
        (
            {"nom": "MARTIN", "anneeNaissance": "1975", "moisNaissance": "00"},
            {"codePaysNaissance": "99100"},
            None,
            "CAF002",
        ),
        ({"nom": "MARTIN", "anneeNaissance": "2030"}, None, None, "CAF024"),
        ({"nom": "MARTIN", "anneeNaissance": "1975", "sexe": "M"}, None, None, "CAF002"),
        ({"nom": "MARTIN", "anneeNaissance": "1975"}, {"codeDepartementNaissance": "69"}, None, "CAF001"),
        ({"nom": "MARTIN", "anneeNaissance": "1975"}, None, {"codePays": "99134"}, "CAF027"),
        ({"nom": "MARTIN", "anneeNaissance": "1975"}, None, {"codePays": "99134", "codePostal": "28001"}, "CAF016"),
        ({"nom": "MARTIN", "anneeNaissance": "1975"}, None, {"codePays": "99100", "codePostal": "6900"}, "CAF002"),
    ],
)
async def test_per_phy_criteria_rules(service_for, etat, lieu, dom, code):
    await refused(service_for().per_phy(perphy(etat, lieu, dom)), code)


async def test_per_phy_filters(service_for):
    r = await service_for().per_phy(
        perphy(
            {"nom": "MARTIN", "prenoms": "JEAN", "anneeNaissance": "1975"},
            {"codePaysNaissance": "99100", "codeDepartementNaissance": "59", "codeCommuneNaissance": "350"},
        )
    )
    assert [x["personneRecherche"]["prenom"] for x in r.body["reponses"]] == ["JEAN PAUL"]
    r = await service_for().per_phy(perphy({"nom": "MARTIN", "prenoms": "JEAN", "anneeNaissance": "1975", "sexe": "2"}))
    assert r.outcome == "CAF013"


# --- perPro ------------------------------------------------------------------------------------------


async def test_per_pro(service_for):
    r = await service_for().per_pro(
        demande(
            "perPro",
            {
                "designation": {
                    "raisonSociale": "Marshall-Line",
                    "sigle": None,
                    "enseigne": None,
                    "codeCategorieJuridique": "1000",
                },
                "domiciliation": {
                    "codePays": "99100",
                    "codeDepartement": "75",
                    "codeCommune": "101",
                    "codeNatureVoie": "",
                    "libelleVoie": "",
                    "codePostal": "",
                },
            },
        )
    )
    assert r.body["reponses"][0]["personneRecherche"]["siret"] == "12655768512289"
    r = await service_for().per_pro(demande("perPro", {"designation": {"enseigne": "au bon pain"}}))
    assert r.body["reponses"][0]["personneRecherche"]["raisonSociale"] == "BOULANGERIE DES QUAIS"
    await refused(service_for().per_pro(demande("perPro", {"designation": ETAT_VIDE})), "CAF001")
    r = await service_for().per_pro(demande("perPro", {"designation": {"raisonSociale": "NULLE PART"}}))
    assert r.outcome == "CAF015"


# --- multiDet ----------------------------------------------------------------------------------------

BANK = consumer(scopes=datapass.MULTI_DETENTION_SCOPES + (datapass.VERIFICATION,), motifs=("0021",))


def md(kind: str, block: dict[str, Any], *, accord: str = "1", nature: str = "201") -> Any:
    flags = {"recherchePP": "0", "recherchePM": "0", "rechercheSIRENSIRET": "0", kind: "1"}
    return demande("multiDet", {"accordClient": accord, "codeNatureCompte": nature, **flags, **block}, motif="0021")


MALKA = {
    "criteresRecherchePhy": {
        "etatCivil": {
            "nom": "MAHAMADOU GARBA",
            "prenoms": "MALKA",
            "sexe": "2",
            "anneeNaissance": "1995",
            "moisNaissance": "10",
            "jourNaissance": "9",
            "anneeNaissanceDebut": "",
            "moisNaissanceDebut": "",
            "jourNaissanceDebut": "",
            "anneeNaissanceFin": "",
            "moisNaissanceFin": "",
            "jourNaissanceFin": "",
        },
        "lieuNaissance": {"codePaysNaissance": "99344", "codeDepartementNaissance": "", "codeCommuneNaissance": ""},
    },
    "criteresRecherchePro": {
        "designation": {"raisonSociale": None, "sigle": None, "enseigne": None, "codeCategorieJuridique": None},
        "domiciliation": {},
    },
    "criteresSiretSiren": {},
}


async def test_multi_det_documented_example(service_for):
    r = await service_for(BANK).multi_det(md("recherchePP", MALKA))
    assert (r.body["nombreReponses"], r.body["nRep"]) == ("001", "1")
    assert r.body["comptes"][0] == {
        "iban": "FR7630004008110003124794680",
        "nature": "201",
        "dateOuverture": "2023-01-26",
        "dateFiscale": "",
        "codeMotifOuverture": "0",
        "libelleMotifOuverture": "Ouverture par le titulaire",
        "codeEtab": "30004",
        "guichet": {
            "numeroGuichet": "00811",
            "libelleGuichet": "AG GARE DU NORD",
            "adresse": {"libAdr2": "10 BD DE DENAIN", "libAdr3": "BP 105", "libAdr4": "75461 PARIS CEDEX 10"},
        },
    }


async def test_multi_det_without_accord_counts_only(service_for):
    r = await service_for(BANK).multi_det(md("recherchePP", MALKA, accord="0"))
    assert r.body["nRep"] == "1" and "comptes" not in r.body


async def test_multi_det_born_abroad_00_and_none_found(service_for):
    manon = {
        "criteresRecherchePhy": {
            "etatCivil": {
                "nom": "MAHAMADOU GARBA",
                "prenoms": "MANON",
                "anneeNaissance": "1991",
                "moisNaissance": "00",
                "jourNaissance": "00",
            },
            "lieuNaissance": {"codePaysNaissance": "99344"},
        }
    }
    r = await service_for(BANK).multi_det(md("recherchePP", manon))
    assert (r.body["nRep"], r.body["messageInformatif"]["code"]) == ("0", "CAF020")


async def test_multi_det_scopes_filter_fields(service_for):
    count_only = consumer(scopes=(datapass.MD_NOMBRE_COMPTES,), motifs=("0021",))
    r = await service_for(count_only).multi_det(md("recherchePP", MALKA))
    assert set(r.body["comptes"][0]) == {"nature", "codeEtab", "guichet"}


async def test_multi_det_rules(service_for):
    bank = service_for(BANK)
    await refused(bank.multi_det(md("recherchePP", MALKA, nature="101")), "CAF017")
    await refused(service_for(BANK).multi_det(md("recherchePP", MALKA, nature="999")), "CAF034")
    both = demande(
        "multiDet",
        {
            "accordClient": "1",
            "codeNatureCompte": "201",
            "recherchePP": "1",
            "recherchePM": "1",
            "rechercheSIRENSIRET": "0",
            **MALKA,
        },
        motif="0021",
    )
    await refused(service_for(BANK).multi_det(both), "CAF018")
    none = demande(
        "multiDet",
        {
            "accordClient": "1",
            "codeNatureCompte": "201",
            "recherchePP": "0",
            "recherchePM": "0",
            "rechercheSIRENSIRET": "0",
            **MALKA,
        },
        motif="0021",
    )
    await refused(service_for(BANK).multi_det(none), "CAF018")
    await refused(service_for(BANK).multi_det(md("recherchePM", MALKA)), "CAF019")
    french = {
        "criteresRecherchePhy": {
            "etatCivil": {
                "nom": "MARTIN",
                "prenoms": "JEAN",
                "anneeNaissance": "1975",
                "moisNaissance": "00",
                "jourNaissance": "00",
            },
            "lieuNaissance": {
                "codePaysNaissance": "99100",
                "codeDepartementNaissance": "69",
                "codeCommuneNaissance": "123",
            },
        }
    }
    await refused(service_for(BANK).multi_det(md("recherchePP", french)), "CAF002")
    await refused(service_for().multi_det(md("recherchePP", MALKA)), "CAF031")


async def test_multi_det_pm(service_for):
    aerolink = {
        "criteresRecherchePro": {
            "designation": {"raisonSociale": "AEROLINK TECH", "codeCategorieJuridique": "5520"},
            "domiciliation": {"codePays": "99100", "codeDepartement": "75", "codeCommune": "108"},
        }
    }
    r = await service_for(BANK).multi_det(md("recherchePM", aerolink))
    assert r.body["comptes"][0]["iban"] == seed.IBAN_AEROLINK
    no_cat = {
        "criteresRecherchePro": {
            "designation": {"raisonSociale": "AEROLINK TECH"},
            "domiciliation": {"codePays": "99100", "codeDepartement": "75", "codeCommune": "108"},
        }
    }
    await refused(service_for(BANK).multi_det(md("recherchePM", no_cat)), "CAF001")


# --- verifIban ---------------------------------------------------------------------------------------


def verif(kind: str, iban: str, **block: Any) -> Any:
    flags = {"recherchePP": "0", "recherchePM": "0", "rechercheSirenSiret": "0", kind: "1"}
    return demande("verifIban", {"iban": iban, **flags, **block}, motif="0100")


VERIFIER = consumer(scopes=(datapass.VERIFICATION,), motifs=("0100",))


async def test_verif_iban(service_for):
    r = await service_for(VERIFIER).verif_iban(
        verif(
            "recherchePP",
            "FR7630004016920000166957361",
            codeEtab="14506",
            codeGuichet="01940",
            etatCivil={
                "nom": "BLANGY",
                "prenoms": "NOAH",
                "sexe": "1",
                "anneeNaissance": "2012",
                "moisNaissance": "10",
                "jourNaissance": "19",
            },
        )
    )
    assert r.body["reponses"] == {"verificationCompte": {"ibanExistant": "1"}}
    r = await service_for(VERIFIER).verif_iban(
        verif("recherchePP", "FR7630004016920000166957361", etatCivil={"nom": "AUTRE"})
    )
    assert r.body["reponses"] == {"verificationCompte": {"ibanExistant": "0"}} and r.outcome == "CAF026"
    r = await service_for(VERIFIER).verif_iban(
        verif("recherchePM", "FC1430004021971896960539599", designation={"raisonSociale": "world media"})
    )
    assert r.body["reponses"]["verificationCompte"]["ibanExistant"] == "1"
    r = await service_for(VERIFIER).verif_iban(
        verif("rechercheSirenSiret", seed.IBAN_BOULANGERIE_CLOS, siret=seed.SIRET_BOULANGERIE, siren="")
    )
    assert r.body["reponses"] == {"verificationCompte": {"ibanExistant": "1", "dateCloture": "2010-02-01"}}
    r = await service_for(VERIFIER).verif_iban(
        verif("rechercheSirenSiret", "FR7610008000015215522274511", siren="518767462")
    )
    assert r.outcome == "CAF011"


async def test_verif_iban_rules(service_for):
    both = demande(
        "verifIban",
        {"iban": seed.IBAN_LUCIE, "recherchePP": "1", "recherchePM": "1", "rechercheSirenSiret": "0"},
        motif="0100",
    )
    await refused(service_for(VERIFIER).verif_iban(both), "CAF025")
    none = demande(
        "verifIban",
        {"iban": seed.IBAN_LUCIE, "recherchePP": "0", "recherchePM": "0", "rechercheSirenSiret": "0"},
        motif="0100",
    )
    await refused(service_for(VERIFIER).verif_iban(none), "CAF018")
    await refused(service_for(VERIFIER).verif_iban(verif("recherchePP", seed.IBAN_LUCIE)), "CAF019")
    await refused(
        service_for(VERIFIER).verif_iban(
            verif("recherchePP", seed.IBAN_LUCIE, etatCivil={"nom": "X"}, designation={"raisonSociale": "Y"})
        ),
        "CAF019",
    )
    await refused(
        service_for(VERIFIER).verif_iban(
            verif("rechercheSirenSiret", seed.IBAN_LUCIE, siret=seed.SIRET_BOULANGERIE, siren=seed.SIREN_BOULANGERIE)
        ),
        "CAF010",
    )
    only_pm = consumer(scopes=(datapass.VERIFICATION,), motifs=("0100",), modalities=(datapass.IBAN_PERSONNE_MORALE,))
    await refused(
        service_for(only_pm).verif_iban(verif("recherchePP", seed.IBAN_LUCIE, etatCivil={"nom": "X"})), "CAF031"
    )
    no_scope = consumer(scopes=(datapass.COMPTE,), motifs=("0100",))
    await refused(
        service_for(no_scope).verif_iban(verif("recherchePP", seed.IBAN_LUCIE, etatCivil={"nom": "X"})), "CAF031"
    )


# --- envelope, habilitations, scopes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("envelope", "code"),
    [
        ({"dateDemande": "25/11/2026"}, "CAF002"),
        ({"dateDemande": "2026-02-30"}, "CAF002"),
        ({"dateDemande": "2026-11-26"}, "CAF024"),
        ({"justification": "  "}, "CAF001"),
        ({"motif": "ab"}, "CAF002"),
        ({"motif": "0999"}, "CAF003"),
        ({"motif": "0021"}, "CAF031"),
        ({"siretDemandeur": "", "sirenDemandeur": ""}, "CAF001"),
        ({"siretDemandeur": "1300252650001"}, "CAF002"),
        ({"siretDemandeur": "89999999900019"}, "CAF030"),
        ({"siretDemandeur": "", "sirenDemandeur": "899999999"}, "CAF030"),
    ],
)
async def test_envelope_rules(service_for, envelope, code):
    admin = consumer(motifs=("0003",))
    await refused(service_for(admin).spi(demande("spi", {"numeroSPI": seed.SPI_DUBOIS}, **envelope)), code)


async def test_envelope_accepts_siren_three_digit_motif_and_documented_dates(service_for):
    r = await service_for().spi(
        demande(
            "spi",
            {"numeroSPI": seed.SPI_DUBOIS},
            siretDemandeur="",
            sirenDemandeur="130025265",
            motif="003",
            dateDemande="2024-05-16 T10:00:00.000Z",
        )
    )
    assert r.outcome == "OK"


async def test_unknown_consumer_siret(service_for):
    await refused(service_for(consumer(siret=None)).spi(demande("spi", {"numeroSPI": seed.SPI_DUBOIS})), "CAF030")


@pytest.mark.parametrize(
    ("route", "criteres", "modality"),
    [
        ("numCpte", {"iban": seed.IBAN_LUCIE, "verificationCompte": "0"}, datapass.IBAN),
        ("spi", {"numeroSPI": seed.SPI_DUBOIS}, datapass.SPI),
        ("siretSiren", {"siren": "518767462"}, datapass.SIREN),
        ("perPhy", {"etatCivil": {"nom": "MARTIN", "anneeNaissance": "1975"}}, datapass.PERSONNE_PHYSIQUE),
        ("perPro", {"designation": {"raisonSociale": "MARSHALL LINE"}}, datapass.PERSONNE_MORALE),
    ],
)
async def test_each_modality_gates_its_route(service_for, route, criteres, modality):
    method = {
        "numCpte": "num_cpte",
        "spi": "spi",
        "siretSiren": "siret_siren",
        "perPhy": "per_phy",
        "perPro": "per_pro",
    }[route]
    without = consumer(modalities=tuple(m for m in datapass.ALL_MODALITIES if m != modality))
    await refused(getattr(service_for(without), method)(demande(route, criteres)), "CAF031")
    r = await getattr(service_for(consumer(modalities=(modality,))), method)(demande(route, criteres))
    assert r.body["referenceDemande"]


@pytest.mark.parametrize("scope", datapass.ACCOUNT_SCOPES[:5])
async def test_each_scope_filters_fields(service_for, scope):
    r = await service_for(consumer(scopes=(scope,))).spi(demande("spi", {"numeroSPI": seed.SPI_DUBOIS}))
    reponse = r.body["reponses"][0]
    comptes = reponse["comptes"]
    ayants = [a for c in comptes for a in c.get("ayantsDroits", [])]
    persons = [v for a in ayants for k, v in a.items() if k != "adresse"]
    assert ("caracteristiqueCompte" in comptes[0]) == (scope == datapass.COMPTE)
    assert ("etablissementGestionnaire" in comptes[0]) == (scope == datapass.ETABLISSEMENT)
    assert any("nomNaissance" in p or "raisonSociale" in p for p in persons) == (scope == datapass.ETAT_CIVIL)
    assert ("nomNaissance" in reponse["personneRecherche"]) == (scope == datapass.ETAT_CIVIL)
    assert any("droitSurCompte" in p for p in persons) == (scope == datapass.DATE)
    assert any("adresse" in a for a in ayants) == (scope == datapass.ADRESSE)
    assert ("adresse" in reponse["personneRecherche"]) == (scope == datapass.ADRESSE)


async def test_reference_demande_unique(service_for):
    refs = {
        (await service_for().spi(demande("spi", {"numeroSPI": seed.SPI_DUBOIS}))).body["referenceDemande"]
        for _ in range(5)
    }
    assert len(refs) == 5 and all(len(ref) == 18 for ref in refs)


async def test_seeded_identifiers_are_valid(ficoba_session):
    from schwifty import BIC
    from stdnum.fr import siren, siret

    from dgfip_sandbox.apis.ficoba.identifiers import is_valid_iban
    from dgfip_sandbox.store.accounts import Compte

    pms = (await ficoba_session.execute(select(Personne).where(Personne.kind == "PM"))).scalars().all()
    for pm in pms:
        if pm.siret in seed.DOCUMENTED_INVALID_SIRETS:
            continue
        assert siren.is_valid(pm.siren) and siret.is_valid(pm.siret) and pm.siret.startswith(pm.siren), pm.siret
    for (iban,) in (await ficoba_session.execute(select(Compte.iban))).all():
        assert is_valid_iban(iban), iban
    for code, _label, bic in seed.ETABLISSEMENTS:
        assert code in BIC(bic).domestic_bank_codes, (code, bic)
    natures = set((await ficoba_session.execute(select(Compte.code_nature))).scalars())
    assert {101, 201, 205, 206, 213, 401, 500} <= natures
