"""How the demo FS shows an API Impôt particulier answer: one row per returned field, French labels
and French formats (amounts in euros with French digit grouping, dates as jj/mm/aaaa, codes spelled
out). A field the table does not know still gets a row, labelled with its JSON name.

Field names and their order are the published schema's (SituationsIRAssiettesJAXBbean); the codes
come from DGFIP's functional presentation: ``sitFam`` M/O/C/D/V, ``pac`` letters of the 2042 form
(F, G, H, I, R, J, N, P), ``rev`` categories of revenus.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

LABELS: dict[str, str] = {
    "annRevenu": "Année des revenus",
    "rfr": "Revenu fiscal de référence",
    "sitFam": "Situation de famille",
    "nbPart": "Nombre de parts",
    "pac": "Personnes à charge",
    "nmNaiDec1": "Nom de naissance du déclarant 1",
    "nmUsaDec1": "Nom d'usage du déclarant 1",
    "prnmDec1": "Prénom(s) du déclarant 1",
    "dateNaisDec1": "Date de naissance du déclarant 1",
    "dptNaissDec1": "Département de naissance du déclarant 1",
    "lieuNaissDec1": "Lieu de naissance du déclarant 1",
    "nmNaiDec2": "Nom de naissance du déclarant 2",
    "nmUsaDec2": "Nom d'usage du déclarant 2",
    "prnmDec2": "Prénom(s) du déclarant 2",
    "dateNaisDec2": "Date de naissance du déclarant 2",
    "dptNaissDec2": "Département de naissance du déclarant 2",
    "lieuNaissDec2": "Lieu de naissance du déclarant 2",
    "aft": "Adresse fiscale au 1er janvier",
    "aftDetail": "Adresse fiscale (détail)",
    "sitParIso": "Parent isolé",
    "pensAlPer": "Pensions alimentaires perçues",
    "indDeficit": "Déficit fiscal",
    "revenuBrutGlobal": "Revenu brut global",
    "sitPart": "Situations particulières",
    "sitParDeclaree": "Situations particulières déclarées",
    "indOptionImpotSepar": "Option pour l'imposition séparée",
    "mntRevbareme": "Impôt sur les revenus soumis au barème",
    "datRec": "Date de mise en recouvrement",
    "datEtab": "Date d'établissement",
    "impAvImput": "Impôt avant imputations",
    "montTotIr": "Montant total de l'impôt sur le revenu",
    "revImposable": "Revenu imposable",
    "numRole": "Numéro de rôle",
    "fipNum": "Numéro fiscal de l'avis",
    "rev": "Revenus déclarés (cases de la déclaration)",
}

AMOUNTS = frozenset({"rfr", "pensAlPer", "revenuBrutGlobal", "mntRevbareme", "impAvImput", "montTotIr", "revImposable"})
DATES = frozenset({"datRec", "datEtab"})
YES_NO = frozenset({"indDeficit", "indOptionImpotSepar"})

SITUATIONS_DE_FAMILLE = {"M": "Marié(e)s", "O": "Pacsé(e)s", "C": "Célibataire", "D": "Divorcé(e)", "V": "Veuf(ve)"}
PAC_CODES = {
    "nbPacF": "enfants mineurs (F)",
    "nbPacG": "enfants invalides (G)",
    "nbPacH": "enfants en résidence alternée (H)",
    "nbPacI": "enfants invalides en résidence alternée (I)",
    "nbPacR": "personnes invalides vivant sous le toit (R)",
    "nbPacJ": "enfants majeurs célibataires rattachés (J)",
    "nbPacN": "enfants majeurs mariés ou pacsés rattachés (N)",
    "nbPacP": "petits-enfants rattachés (P)",
}
REV_CATEGORIES = {
    "tspr": "Traitements, salaires, pensions et rentes",
    "rcm": "Revenus de capitaux mobiliers",
    "pv": "Plus-values",
    "fonc": "Revenus fonciers",
    "pro": "Revenus professionnels non salariés",
    "chges": "Charges déductibles",
    "rici": "Réductions et crédits d'impôt",
    "alpha": "Cases alphanumériques",
    "div": "Divers",
}
ADDRESS_PARTS = ("complementAdresse", "voie", "getcodePostal", "getcommune")


@dataclass(frozen=True)
class Row:
    field: str
    label: str
    value: str


def euros(value: Any) -> str:
    """``70344`` → ``70 344 €`` (narrow no-break space between thousands, as French typography)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:,}".replace(",", "\u202f") + "\u00a0€"


def french_number(value: Any) -> str:
    """``2.5`` → ``2,5``; ``3.0`` → ``3``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace(".", ",")


def french_date(value: Any) -> str:
    if isinstance(value, dict) and {"jour", "mois", "annee"} <= set(value):
        return "/".join(str(value[k] or "????") for k in ("jour", "mois", "annee"))
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":  # ISO 8601 date
        return f"{text[8:10]}/{text[5:7]}/{text[0:4]}"
    return text


def _pac(value: Any) -> str:
    if not isinstance(value, dict):
        return str(value)
    total = value.get("nbPac", 0)
    details = [f"{n} {label}" for code, label in PAC_CODES.items() if (n := value.get(code))]
    text = f"{total} personne{'s' if total and int(total) > 1 else ''} à charge"
    return f"{text} : {', '.join(details)}" if details else text


def _address(value: Any) -> str:
    if not isinstance(value, dict):
        return str(value)
    parts = [str(value[k]) for k in ADDRESS_PARTS if value.get(k) and k != "getcommune"]
    # getcodePostal already ends with the commune ("93160 NOISY LE GRAND"); add the commune only when it does not.
    commune = value.get("getcommune")
    if commune and not any(str(p).endswith(str(commune)) for p in parts):
        parts.append(str(commune))
    return ", ".join(parts)


def _revenus(value: Any) -> str:
    if not isinstance(value, dict):
        return str(value)
    lines = []
    for category, items in value.items():
        if not items:
            continue
        boxes = ", ".join(
            f"{item.get('code')} : {euros(item.get('valeur')) if str(item.get('valeur', '')).lstrip('-').isdigit() else item.get('valeur')}"
            for item in items
        )
        lines.append(f"{REV_CATEGORIES.get(category, category)} — {boxes}")
    return " ; ".join(lines) if lines else "aucun"


def format_value(field: str, value: Any) -> str:
    if field in AMOUNTS:
        return euros(value)
    if field == "nbPart":
        return french_number(value)
    if field == "sitFam":
        return f"{SITUATIONS_DE_FAMILLE.get(str(value), 'code inconnu')} ({value})"
    if field == "pac":
        return _pac(value)
    if field.startswith("dateNais") or field in DATES:
        return french_date(value)
    if field == "aftDetail":
        return _address(value)
    if field == "rev":
        return _revenus(value)
    if field == "sitParIso":
        return {"": "non", "T": "oui (case T)"}.get(str(value), str(value))
    if field in YES_NO:
        return {"O": "oui", "N": "non"}.get(str(value), str(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def situation_rows(data: Any) -> list[Row]:
    """The rows of the table for an answer body (empty when the body is not a JSON object)."""
    if not isinstance(data, dict):
        return []
    return [
        Row(str(name), LABELS.get(str(name), str(name)), format_value(str(name), value)) for name, value in data.items()
    ]
