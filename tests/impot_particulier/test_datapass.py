"""DataPass scopes → fields and years."""

from __future__ import annotations

from datetime import UTC, datetime

from dgfip_sandbox.apis.impot_particulier import datapass
from dgfip_sandbox.apis.impot_particulier.datapass import filter_ir, filter_th, year_rights

SITUATION = {
    "annRevenu": 2025,
    "rfr": 1000,
    "sitFam": "M",
    "nbPart": 2.0,
    "pac": {"nbPac": 1, "nbPacF": 1, "nbPacG": 0},
    "nmNaiDec1": "DUPONT",
    "dateNaisDec1": {"jour": "01", "mois": "02", "annee": "1980"},
    "dptNaissDec1": "75",
    "aft": "1 RUE X 75015 PARIS",
    "aftDetail": {"voie": "1 RUE X"},
    "impAvImput": 10,
    "spiDec1": "1000000001084",
    "secretInternalField": "never",
    "rev": {
        "tspr": [{"code": "1AJ", "valeur": "1"}, {"code": "1AW", "valeur": "2"}],
        "rcm": [{"code": "2TR", "valeur": "3"}],
        "chges": [{"code": "6GI", "valeur": "4"}, {"code": "6DE", "valeur": "5"}],
        "rici": [{"code": "7UF", "valeur": "6"}],
    },
    "facture": [
        {"codeLigne": "0020", "colonne4": "1"},
        {"codeLigne": "0240", "colonne4": "2"},
        {"codeLigne": "1320", "colonne4": "3"},
        {"codeLigne": "1830", "colonne4": "4"},
        {"codeLigne": "1620", "colonne4": "5"},
    ],
}


def test_only_granted_fields_leave() -> None:
    assert filter_ir(SITUATION, frozenset({"dgfip_rfr"})) == {"annRevenu": 2025, "rfr": 1000}
    assert filter_ir(SITUATION, frozenset()) == {"annRevenu": 2025}
    out = filter_ir(SITUATION, frozenset({"dgfip_aft", "dgfip_dateNaisDec1"}))
    assert set(out) == {"annRevenu", "aft", "aftDetail", "dateNaisDec1", "dptNaissDec1", "spiDec1"}


def test_unknown_fields_never_leave() -> None:
    every = frozenset(datapass.PUBLISHED_SCOPES) | {datapass.BESOINS_SPECIFIQUES}
    assert "secretInternalField" not in filter_ir(SITUATION, every)
    assert "impAvImput" not in filter_ir(SITUATION, frozenset(datapass.PUBLISHED_SCOPES))
    assert filter_ir(SITUATION, every)["impAvImput"] == 10


def test_pac_number_only_or_all() -> None:
    assert filter_ir(SITUATION, frozenset({"dgfip_pac_nbPac"}))["pac"] == {"nbPac": 1}
    assert filter_ir(SITUATION, frozenset({"dgfip_pac"}))["pac"] == SITUATION["pac"]


def test_rev_categories_and_codes() -> None:
    rev = filter_ir(SITUATION, frozenset({"dgfip_RevDecl_Cat1_Tspr"}))["rev"]
    assert rev == {"tspr": [{"code": "1AJ", "valeur": "1"}]}
    rev = filter_ir(SITUATION, frozenset({"dgfip_RevDecl_Cat1_RentOn", "dgfip_RevDecl_Cat2_Rcm"}))["rev"]
    assert rev == {"tspr": [{"code": "1AW", "valeur": "2"}], "rcm": [{"code": "2TR", "valeur": "3"}]}
    rev = filter_ir(SITUATION, frozenset({"dgfip_PaDeduc_EnfMaj"}))["rev"]
    assert rev == {"chges": [{"code": "6GI", "valeur": "4"}]}
    assert "rev" not in filter_ir(SITUATION, frozenset({"dgfip_rfr"}))


def test_facture_lines_by_scope() -> None:
    lines = filter_ir(SITUATION, frozenset({"dgfip_RevNets_Cat1_Tspr"}))["facture"]
    assert [line["codeLigne"] for line in lines] == ["0240"]
    lines = filter_ir(SITUATION, frozenset({"dgfip_RevDecl_Cat1_Tspr", "dgfip_PaDeduc_EnfMaj", "dgfip_mntRevbareme"}))[
        "facture"
    ]
    assert [line["codeLigne"] for line in lines] == ["0020", "1320", "1830"]
    assert "facture" not in filter_ir(SITUATION, frozenset({"dgfip_rfr"}))


def test_th_fields() -> None:
    th = {
        "codeDsf": "750",
        "libelleVoie": "RUE X",
        "regimeTax": "P",
        "locaux": [{"natureLocal": "AP", "affectation": "H", "invariant": "1"}],
    }
    assert filter_th(th, frozenset({"dgfip_aft"})) == {"codeDsf": "750", "libelleVoie": "RUE X"}
    assert filter_th(th, frozenset({"dgfip_locaux_th_Nat"})) == {"locaux": [{"natureLocal": "AP"}]}
    assert not datapass.grants_any_th_field(frozenset({"dgfip_rfr"}))


NOV_2026 = datetime(2026, 11, 25, 10, tzinfo=UTC)


def test_year_scopes_are_literal_years() -> None:
    rights = year_rights(frozenset({"dgfip_annee_n_moins_1", "dgfip_annee_n_moins_3"}), NOV_2026)
    assert rights.allows(2025, n_1_available=True) and rights.allows(2023, n_1_available=True)
    assert not rights.allows(2024, n_1_available=True) and not rights.allows(2022, n_1_available=True)
    assert rights.describe() == "2023, 2025"
    assert not year_rights(frozenset({"dgfip_rfr"}), NOV_2026).any


def test_n_moins_2_only_while_n_moins_1_is_unavailable() -> None:
    rights = year_rights(frozenset({"dgfip_annee_n_moins_2_si_indispo_n_moins_1"}), NOV_2026)
    assert rights.allows(2025, n_1_available=True)
    assert not rights.allows(2024, n_1_available=True)
    assert rights.allows(2024, n_1_available=False)
    assert not rights.allows(2023, n_1_available=False)
    # The year changes at midnight, Paris time.
    new_year = year_rights(frozenset({"dgfip_annee_n_moins_1"}), datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    assert new_year.allows(2026, n_1_available=True)
