"""The demo FS's table of an API Impôt particulier answer: French labels, French formats, every field."""

from __future__ import annotations

from dgfip_sandbox.apis.impot_particulier.service import ASSIETTES_ORDER
from dgfip_sandbox.demo_fs.display import LABELS, euros, format_value, french_date, french_number, situation_rows

NNBSP, NBSP = "\u202f", "\u00a0"

ANSWER = {
    "rfr": 70344,
    "sitFam": "M",
    "nbPart": 2.5,
    "pac": {
        "nbPac": 2,
        "nbPacF": 1,
        "nbPacG": 0,
        "nbPacH": 1,
        "nbPacI": 0,
        "nbPacR": 0,
        "nbPacJ": 0,
        "nbPacN": 0,
        "nbPacP": 0,
    },
    "nmNaiDec1": "DUPONT",
    "dateNaisDec1": {"jour": "12", "mois": "04", "annee": "1978"},
    "aft": "BAT 3 APT 93 10 RUE DU CENTRE 93160 NOISY LE GRAND",
    "aftDetail": {
        "complementAdresse": "BAT 3 APT 93",
        "voie": "10 RUE DU CENTRE",
        "getcommune": "NOISY LE GRAND",
        "getcodePostal": "93160 NOISY LE GRAND",
    },
    "sitParIso": "T",
    "indDeficit": "O",
    "datRec": "2026-07-31",
    "rev": {"tspr": [{"code": "1AJ", "valeur": "42146"}], "rcm": [], "alpha": [{"code": "0AM", "valeur": "X"}]},
    "champFutur": {"a": 1},
}


def test_every_published_assiettes_field_has_a_french_label():
    assert set(ASSIETTES_ORDER) <= set(LABELS)


def test_rows_keep_the_answer_order_and_show_every_field():
    rows = situation_rows(ANSWER)
    assert [r.field for r in rows] == list(ANSWER)
    by_field = {r.field: r for r in rows}
    assert by_field["rfr"].label == "Revenu fiscal de référence"
    assert by_field["rfr"].value == f"70{NNBSP}344{NBSP}€"
    assert by_field["sitFam"].value == "Marié(e)s (M)"
    assert by_field["nbPart"].value == "2,5"
    assert by_field["pac"].value == (
        "2 personnes à charge : 1 enfants mineurs (F), 1 enfants en résidence alternée (H)"
    )
    assert by_field["dateNaisDec1"].value == "12/04/1978"
    assert by_field["aftDetail"].value == "BAT 3 APT 93, 10 RUE DU CENTRE, 93160 NOISY LE GRAND"
    assert by_field["sitParIso"].value == "oui (case T)"
    assert by_field["indDeficit"].value == "oui"
    assert by_field["datRec"].value == "31/07/2026"
    assert by_field["rev"].value == (
        f"Traitements, salaires, pensions et rentes — 1AJ : 42{NNBSP}146{NBSP}€ ; Cases alphanumériques — 0AM : X"
    )
    # A field the table does not know: its JSON name and its JSON value.
    assert (by_field["champFutur"].label, by_field["champFutur"].value) == ("champFutur", '{"a": 1}')


def test_formats_and_odd_values():
    assert euros(0) == f"0{NBSP}€" and euros("n/a") == "n/a"
    assert french_number(3.0) == "3" and french_number(1.25) == "1,25"
    assert french_date({"jour": "01", "mois": "02", "annee": None}) == "01/02/????"
    assert french_date("1978-04-12") == "12/04/1978" and french_date("12/04/1978") == "12/04/1978"
    assert format_value("sitFam", "Z") == "code inconnu (Z)"
    assert format_value("sitParIso", "") == "non"
    assert format_value("pac", {"nbPac": 0}) == "0 personne à charge"
    assert format_value("rev", {"tspr": []}) == "aucun"


def test_no_rows_for_what_is_not_an_object():
    assert situation_rows("Passerelle injoignable") == [] and situation_rows(None) == [] and situation_rows([1]) == []
