"""Build one avis d'impôt sur le revenu (published field names) from a foyer's declared income.

The computation is a simplified but coherent French IR: category net incomes (10 % abatement on
salaries and pensions, 30 % on micro-foncier, 34 % on micro-BNC), revenu brut global, deductible
charges, revenu imposable, barème by quotient familial with the ceiling on the advantage of the extra
half-parts, décote, reductions and credits, flat tax on capital income, revenu fiscal de référence.
Amounts are whole euros. Barèmes are those of income years 2021–2024; 2025 reuses 2024's.
It is good enough for a sandbox whose numbers must agree with each other, not to compute anyone's tax.
"""

from __future__ import annotations

from dataclasses import dataclass
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
_NB_PAC_KEYS = ("nbPacF", "nbPacH", "nbPacJ", "nbPacN", "nbPacR", "nbPacP")  # those counted in nbPac


def bareme(annrev: int) -> tuple[tuple[tuple[float, float], ...], int, tuple[int, int]]:
    found = BAREMES.get(annrev)
    if found is None:
        found = BAREMES[max(BAREMES)] if annrev > max(BAREMES) else BAREMES[min(BAREMES)]
    return found


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


def _abat(amount: int, rate: float, low: int, high: int) -> int:
    if amount <= 0:
        return 0
    return amount - min(amount, max(low, min(high, round(amount * rate))))


@dataclass(slots=True)
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


def _items(*pairs: tuple[str, int]) -> list[dict[str, str]]:
    return [{"code": code, "valeur": str(amount)} for code, amount in pairs if amount]


@dataclass(frozen=True, slots=True)
class Household:
    """What every avis of a foyer shares from year to year (situation, parts, dependants), computed once."""

    sitfam: str
    couple: bool
    parent_isole: bool
    parts: float
    base_parts: float
    pac_out: dict[str, int]
    sit_par: dict[str, str]


def household(
    *,
    sitfam: str,
    pac: dict[str, int],
    couple: bool,
    parent_isole: bool = False,
    case_p: bool = False,
    case_l: bool = False,
) -> Household:
    parts = nb_parts(sitfam, pac, parent_isole=parent_isole, case_p=case_p)
    base_parts = 2.0 if sitfam in ("M", "O") else 1.0
    if parent_isole and sitfam in ("C", "D") and (pac.get("nbPacF", 0) + pac.get("nbPacJ", 0)):
        base_parts = 1.5  # the case T half-part has its own, higher ceiling: keep it outside the cap
    if pac:
        pac_out = {"nbPac": sum(pac.get(k, 0) for k in _NB_PAC_KEYS)}
        pac_out.update({k: pac[k] for k in PAC_KEYS if pac.get(k)})
    else:
        pac_out = {"nbPac": 0}
    sit_par: dict[str, str] = {}
    if case_p:
        sit_par["sitPartP"] = "P"
    if case_l:
        sit_par["indEnfSeul5ansMin"] = "L"
    return Household(sitfam, couple, parent_isole, parts, base_parts, pac_out, sit_par)


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
    foyer = household(sitfam=sitfam, pac=pac, couple=couple, parent_isole=parent_isole, case_p=case_p, case_l=case_l)
    return avis_for(annrev, incomes, foyer)


def avis_for(annrev: int, incomes: Incomes, foyer: Household) -> dict[str, Any]:
    """``build_avis`` for one year of a ``household`` (the seed computes the household once per foyer)."""
    # The seed's hot path (400,000 avis for 100,000 foyers): locals, no helper calls per field; the
    # values, and the order of every list and dict, are those of the plain formulation kept in git history.
    s1, s2 = incomes.salaires
    p1, p2 = incomes.pensions
    pac_sal = incomes.pac_salaires
    rentes = incomes.rentes
    interets = incomes.interets
    dividendes = incomes.dividendes
    plus_values = incomes.plus_values
    foncier_micro = incomes.foncier_micro
    deficit_foncier = incomes.deficit_foncier
    bnc_micro = incomes.bnc_micro
    pension_enfant_majeur = incomes.pension_enfant_majeur
    pension_autre = incomes.pension_autre
    e1, e2 = incomes.epargne_retraite
    dons = incomes.dons
    emploi_domicile = incomes.emploi_domicile
    net_s1 = _abat(s1, 0.10, 495, 14171) if s1 > 0 else 0
    net_s2 = _abat(s2, 0.10, 495, 14171) if s2 > 0 else 0
    net_s3 = _abat(pac_sal, 0.10, 495, 14171) if pac_sal > 0 else 0
    net_p1 = _abat(p1, 0.10, 442, 4321) if p1 > 0 else 0
    net_p2 = _abat(p2, 0.10, 442, 4321) if p2 > 0 else 0
    net_rentes = round(rentes * 0.7)
    net_tspr = net_s1 + net_s2 + net_s3 + net_p1 + net_p2 + net_rentes
    net_foncier = round(foncier_micro * 0.7) - deficit_foncier
    net_bnc = round(bnc_micro * 0.66)
    rbg = max(0, net_tspr + net_foncier + net_bnc)
    ind_deficit = "O" if deficit_foncier else "N"
    epargne = e1 + e2
    charges = pension_enfant_majeur + pension_autre + epargne
    rev_imposable = max(0, rbg - charges)
    capital = interets + dividendes + plus_values
    rfr = rev_imposable + capital + epargne

    parts = foyer.parts
    brackets, ceiling, (single, both) = bareme(annrev)
    full = _tax_for(rev_imposable, parts, brackets)
    base = _tax_for(rev_imposable, foyer.base_parts, brackets)
    # Barème tax with the ceiling on the quotient familial advantage (before décote), then the décote.
    tax_bareme = round(max(full, base - ceiling * (parts - foyer.base_parts) * 2))
    the_decote = max(0, min(tax_bareme, round((both if foyer.couple else single) - DECOTE_RATE * tax_bareme)))
    imp_av_imput = tax_bareme - the_decote
    reduction_dons = min(imp_av_imput, round(dons * 0.66))
    credit_emploi = round(min(emploi_domicile, 12000) * 0.5)
    flat_tax = round(capital * PFU_IR_RATE)
    mont_tot_ir = imp_av_imput - reduction_dons - credit_emploi + flat_tax

    # Stored compactly (see store.taxpayers.expand_payload): [code, dec1, dec2, pacs, total], "" for 0.
    facture: list[list[str]] = []
    append = facture.append
    if s1 or s2 or pac_sal:
        append(
            [
                "0020",
                str(s1) if s1 else "",
                str(s2) if s2 else "",
                str(pac_sal) if pac_sal else "",
                str(s1 + s2 + pac_sal),
            ]
        )
    if p1 or p2:
        append(["0150", str(p1) if p1 else "", str(p2) if p2 else "", "", str(p1 + p2)])
    if bnc_micro:
        append(["0739", str(bnc_micro), "", "", str(bnc_micro)])
    if net_s1 + net_s2 + net_s3 + net_p1 + net_p2:
        d1, d2 = net_s1 + net_p1, net_s2 + net_p2
        append(
            ["0240", str(d1) if d1 else "", str(d2) if d2 else "", str(net_s3) if net_s3 else "", str(d1 + d2 + net_s3)]
        )
    if rentes:
        append(["0902", "", "", "", str(net_rentes)])
    if bnc_micro:
        append(["0748", str(net_bnc) if net_bnc else "", "", "", str(net_bnc)])
    if interets or dividendes:
        append(["0940", "", "", "", str(interets + dividendes)])
    if plus_values:
        append(["3012", "", "", "", str(plus_values)])
    if foncier_micro or deficit_foncier:
        append(["1000", "", "", "", str(net_foncier)])
    if pension_enfant_majeur:
        append(["1320", "", "", "", str(pension_enfant_majeur)])
    if pension_autre:
        append(["1330", "", "", "", str(pension_autre)])
    if e1:
        append(["1400", str(e1), "", "", str(e1)])
    if e2:
        append(["1402", "", str(e2), "", str(e2)])
    if the_decote:
        append(["1830", "", "", "", str(the_decote)])

    sit_par = dict(foyer.sit_par)
    # Only the non-empty categories are stored, each with its non-zero amounts.
    rev: dict[str, list[dict[str, str]]] = {}
    tspr = [
        {"code": code, "valeur": str(amount)}
        for code, amount in (("1AJ", s1), ("1BJ", s2), ("1CJ", pac_sal), ("1AS", p1), ("1BS", p2), ("1AW", rentes))
        if amount
    ]
    if tspr:
        rev["tspr"] = tspr
    if interets or dividendes:
        rev["rcm"] = _items(("2TR", interets), ("2DC", dividendes))
    if plus_values:
        rev["pv"] = [{"code": "3VG", "valeur": str(plus_values)}]
    if foncier_micro or deficit_foncier:
        rev["fonc"] = _items(("4BE", foncier_micro), ("4BC", deficit_foncier))
    if bnc_micro:
        rev["pro"] = [{"code": "5HQ", "valeur": str(bnc_micro)}]
    if pension_enfant_majeur or pension_autre or e1 or e2:
        rev["chges"] = _items(("6GI", pension_enfant_majeur), ("6GU", pension_autre), ("6NS", e1), ("6NT", e2))
    if dons or emploi_domicile:
        rev["rici"] = _items(("7UF", dons), ("7DB", emploi_domicile))
    avis: dict[str, Any] = {
        "rfr": rfr,
        "sitFam": foyer.sitfam,
        "nbPart": parts,
        "pac": dict(foyer.pac_out),
        "sitParIso": "T" if foyer.parent_isole else "",
        "pensAlPer": 0,
        "indDeficit": ind_deficit,
        "revenuBrutGlobal": rbg,
        "sitPart": "".join(sit_par.values()),
        "sitParDeclaree": sit_par,
        "indOptionImpotSepar": "N",
        "impAvImput": imp_av_imput,
        "montTotIr": mont_tot_ir,
        "revImposable": rev_imposable,
        "rev": rev,
        "facture": facture,
    }
    # "absente si un usager ne déclare aucun revenu" (functional presentation §7, ligne 14).
    if rbg > 0:
        avis["mntRevbareme"] = tax_bareme
    return avis
