"""Build one avis d'impôt sur le revenu (published field names) from a foyer's declared income.

The computation is a simplified but coherent French IR: category net incomes (10 % abatement on
salaries and pensions, 30 % on micro-foncier, 34 % on micro-BNC), revenu brut global, deductible
charges, revenu imposable, barème by quotient familial with the ceiling on the advantage of the extra
half-parts, décote, reductions and credits, flat tax on capital income, revenu fiscal de référence.
Amounts are whole euros. Barèmes are those of income years 2021–2024; 2025 reuses 2024's.
It is good enough for a sandbox whose numbers must agree with each other, not to compute anyone's tax.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

INF = float("inf")
# income year → (bracket upper bounds with rates, QF ceiling per half-part, décote forfaits single/couple)
BAREMES: dict[int, tuple[tuple[tuple[float, float], ...], int, tuple[int, int]]] = {
    2021: (((10225, 0.0), (26070, 0.11), (74545, 0.30), (160336, 0.41), (INF, 0.45)), 1592, (790, 1307)),
    2022: (((10777, 0.0), (27478, 0.11), (78570, 0.30), (168994, 0.41), (INF, 0.45)), 1678, (833, 1378)),
    2023: (((11294, 0.0), (28797, 0.11), (82341, 0.30), (177106, 0.41), (INF, 0.45)), 1759, (873, 1444)),
    2024: (((11497, 0.0), (29315, 0.11), (83823, 0.30), (180294, 0.41), (INF, 0.45)), 1791, (889, 1470)),
}
DECOTE_RATE = 0.4525
PFU_IR_RATE = 0.128

PAC_KEYS = ("nbPacF", "nbPacG", "nbPacH", "nbPacI", "nbPacR", "nbPacJ", "nbPacN", "nbPacP")


def bareme(annrev: int) -> tuple[tuple[tuple[float, float], ...], int, tuple[int, int]]:
    return BAREMES.get(annrev, BAREMES[max(BAREMES)] if annrev > max(BAREMES) else BAREMES[min(BAREMES)])


def nb_parts(sitfam: str, pac: dict[str, int], *, parent_isole: bool, case_p: bool = False) -> float:
    """Quotient familial parts from the situation de famille and the dependants."""
    exclusive = pac.get("nbPacF", 0) + pac.get("nbPacJ", 0)
    alternate = pac.get("nbPacH", 0) + pac.get("nbPacP", 0)
    has_children = exclusive + alternate > 0
    parts = 2.0 if sitfam in ("M", "O") or (sitfam == "V" and has_children) else 1.0
    rank = 0
    for _ in range(exclusive):
        rank += 1
        parts += 0.5 if rank <= 2 else 1.0
    for _ in range(alternate):
        rank += 1
        parts += 0.25 if rank <= 2 else 0.5
    parts += 0.5 * pac.get("nbPacG", 0) + 0.25 * pac.get("nbPacI", 0) + 1.0 * pac.get("nbPacR", 0)
    if parent_isole and sitfam in ("C", "D") and has_children:
        parts += 0.5 if exclusive else 0.25
    if case_p:
        parts += 0.5
    return parts


def _tax_for(income: float, parts: float, brackets: tuple[tuple[float, float], ...]) -> float:
    quotient = income / parts
    tax, lower = 0.0, 0.0
    for upper, rate in brackets:
        if quotient > lower:
            tax += (min(quotient, upper) - lower) * rate
        lower = upper
    return tax * parts


def impot_bareme(rev_imposable: int, parts: float, base_parts: float, annrev: int) -> int:
    """Barème tax with the ceiling on the quotient familial advantage (before décote)."""
    brackets, ceiling, _ = bareme(annrev)
    full = _tax_for(rev_imposable, parts, brackets)
    base = _tax_for(rev_imposable, base_parts, brackets)
    capped = base - ceiling * (parts - base_parts) * 2
    return round(max(full, capped))


def decote(tax: int, couple: bool, annrev: int) -> int:
    _, _, (single, both) = bareme(annrev)
    forfait = both if couple else single
    return max(0, min(tax, round(forfait - DECOTE_RATE * tax)))


def _abat(amount: int, rate: float, low: int, high: int) -> int:
    if amount <= 0:
        return 0
    return amount - min(amount, max(low, min(high, round(amount * rate))))


@dataclass
class Incomes:
    """What a foyer declared for one year (amounts in euros)."""

    salaires: tuple[int, int] = (0, 0)  # 1AJ, 1BJ
    pensions: tuple[int, int] = (0, 0)  # 1AS, 1BS
    rentes: int = 0  # 1AW rentes viagères à titre onéreux
    pac_salaires: int = 0  # 1CJ
    interets: int = 0  # 2TR
    dividendes: int = 0  # 2DC
    plus_values: int = 0  # 3VG
    foncier_micro: int = 0  # 4BE recettes micro-foncier
    deficit_foncier: int = 0  # 4BC
    bnc_micro: int = 0  # 5HQ recettes BNC professionnelles, régime spécial
    pension_enfant_majeur: int = 0  # 6GI
    pension_autre: int = 0  # 6GU
    epargne_retraite: tuple[int, int] = (0, 0)  # 6NS, 6NT
    dons: int = 0  # 7UF
    emploi_domicile: int = 0  # 7DB
    extras: dict[str, Any] = field(default_factory=dict)


def _items(*pairs: tuple[str, int]) -> list[dict[str, str]]:
    return [{"code": code, "valeur": str(amount)} for code, amount in pairs if amount]


def build_avis(
    *,
    annrev: int,
    sitfam: str,
    pac: dict[str, int],
    incomes: Incomes,
    couple: bool,
    parent_isole: bool = False,
    case_p: bool = False,
    case_l: bool = False,
) -> dict[str, Any]:
    """The avis' fields (without état civil, address and dates, which the caller adds), in the stored
    compact form (store.taxpayers.expand_payload restores the published shapes)."""
    s1, s2 = incomes.salaires
    p1, p2 = incomes.pensions
    net_sal = [_abat(s, 0.10, 495, 14171) for s in (s1, s2, incomes.pac_salaires)]
    net_pen = [_abat(p, 0.10, 442, 4321) for p in (p1, p2)]
    net_rentes = round(incomes.rentes * 0.7)
    net_tspr = sum(net_sal) + sum(net_pen) + net_rentes
    net_foncier = round(incomes.foncier_micro * 0.7) - incomes.deficit_foncier
    net_bnc = round(incomes.bnc_micro * 0.66)
    rbg = max(0, net_tspr + net_foncier + net_bnc)
    ind_deficit = "O" if incomes.deficit_foncier else "N"
    charges = incomes.pension_enfant_majeur + incomes.pension_autre + sum(incomes.epargne_retraite)
    rev_imposable = max(0, rbg - charges)
    capital = incomes.interets + incomes.dividendes + incomes.plus_values
    rfr = rev_imposable + capital + sum(incomes.epargne_retraite)

    parts = nb_parts(sitfam, pac, parent_isole=parent_isole, case_p=case_p)
    base_parts = 2.0 if sitfam in ("M", "O") else 1.0
    if parent_isole and sitfam in ("C", "D") and (pac.get("nbPacF", 0) + pac.get("nbPacJ", 0)):
        base_parts = 1.5  # the case T half-part has its own, higher ceiling: keep it outside the cap
    tax_bareme = impot_bareme(rev_imposable, parts, base_parts, annrev)
    the_decote = decote(tax_bareme, couple, annrev)
    imp_av_imput = tax_bareme - the_decote
    reduction_dons = min(imp_av_imput, round(incomes.dons * 0.66))
    credit_emploi = round(min(incomes.emploi_domicile, 12000) * 0.5)
    flat_tax = round(capital * PFU_IR_RATE)
    mont_tot_ir = imp_av_imput - reduction_dons - credit_emploi + flat_tax

    pac_out = {"nbPac": sum(pac.get(k, 0) for k in ("nbPacF", "nbPacH", "nbPacJ", "nbPacN", "nbPacR", "nbPacP"))}
    pac_out.update({k: pac[k] for k in PAC_KEYS if pac.get(k)})

    facture: list[list[str]] = []  # stored compactly, see store.taxpayers.expand_payload

    def line(code: str, _label: str, *, dec1: int = 0, dec2: int = 0, pacs: int = 0, total: int | None = None) -> None:
        facture.append(
            [
                code,
                str(dec1) if dec1 else "",
                str(dec2) if dec2 else "",
                str(pacs) if pacs else "",
                str(total if total is not None else dec1 + dec2 + pacs),
            ]
        )

    if s1 or s2 or incomes.pac_salaires:
        line("0020", "Salaires", dec1=s1, dec2=s2, pacs=incomes.pac_salaires)
    if p1 or p2:
        line("0150", "Pensions, retraites, rentes", dec1=p1, dec2=p2)
    if incomes.bnc_micro:
        line("0739", "BNC pro., régime spécial, déclarés", dec1=incomes.bnc_micro)
    if net_sal[0] + net_sal[1] + net_sal[2] + net_pen[0] + net_pen[1]:
        line(
            "0240",
            "Salaires, pensions, rentes nets",
            dec1=net_sal[0] + net_pen[0],
            dec2=net_sal[1] + net_pen[1],
            pacs=net_sal[2],
        )
    if incomes.rentes:
        line("0902", "Rentes viagères à titre onéreux nettes", total=net_rentes)
    if incomes.bnc_micro:
        line("0748", "BNC pro., régime spécial, nets", dec1=net_bnc)
    if incomes.interets or incomes.dividendes:
        line("0940", "Revenus de capitaux mobiliers imposables", total=incomes.interets + incomes.dividendes)
    if incomes.plus_values:
        line("3012", "Plus-values et gains divers", total=incomes.plus_values)
    if incomes.foncier_micro or incomes.deficit_foncier:
        line("1000", "Revenus fonciers nets", total=net_foncier)
    if incomes.pension_enfant_majeur:
        line("1320", "Pension alimentaire versée à enfants majeurs", total=incomes.pension_enfant_majeur)
    if incomes.pension_autre:
        line("1330", "Autres pensions alimentaires", total=incomes.pension_autre)
    if incomes.epargne_retraite[0]:
        line("1400", "Versements épargne retraite déclarant 1", dec1=incomes.epargne_retraite[0])
    if incomes.epargne_retraite[1]:
        line("1402", "Versements épargne retraite déclarant 2", dec2=incomes.epargne_retraite[1])
    if the_decote:
        line("1830", "Décote", total=the_decote)

    sit_par = {
        key: value
        for key, value in (("sitPartP", "P" if case_p else ""), ("indEnfSeul5ansMin", "L" if case_l else ""))
        if value
    }
    avis: dict[str, Any] = {
        "rfr": rfr,
        "sitFam": sitfam,
        "nbPart": parts,
        "pac": pac_out,
        "sitParIso": "T" if parent_isole else "",
        "pensAlPer": 0,
        "indDeficit": ind_deficit,
        "revenuBrutGlobal": rbg,
        "sitPart": "".join(v for v in sit_par.values() if v),
        "sitParDeclaree": sit_par,
        "indOptionImpotSepar": "N",
        "impAvImput": imp_av_imput,
        "montTotIr": mont_tot_ir,
        "revImposable": rev_imposable,
        "rev": {  # only the non-empty categories are stored
            key: items
            for key, items in (
                (
                    "tspr",
                    _items(
                        ("1AJ", s1),
                        ("1BJ", s2),
                        ("1CJ", incomes.pac_salaires),
                        ("1AS", p1),
                        ("1BS", p2),
                        ("1AW", incomes.rentes),
                    ),
                ),
                ("rcm", _items(("2TR", incomes.interets), ("2DC", incomes.dividendes))),
                ("pv", _items(("3VG", incomes.plus_values))),
                ("fonc", _items(("4BE", incomes.foncier_micro), ("4BC", incomes.deficit_foncier))),
                ("pro", _items(("5HQ", incomes.bnc_micro))),
                (
                    "chges",
                    _items(
                        ("6GI", incomes.pension_enfant_majeur),
                        ("6GU", incomes.pension_autre),
                        ("6NS", incomes.epargne_retraite[0]),
                        ("6NT", incomes.epargne_retraite[1]),
                    ),
                ),
                ("rici", _items(("7UF", incomes.dons), ("7DB", incomes.emploi_domicile))),
            )
            if items
        },
        "facture": facture,
    }
    # "absente si un usager ne déclare aucun revenu" (functional presentation §7, ligne 14).
    if rbg > 0:
        avis["mntRevbareme"] = tax_bareme
    return avis
