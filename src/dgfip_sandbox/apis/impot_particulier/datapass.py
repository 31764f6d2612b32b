"""DataPass scopes of API Impôt particulier: which fields and which years a consumer may receive.

DGFIP returns "les seules données validées lors du parcours de raccordement" (functional presentation
§6.1): each consumer's habilitation lists DataPass scopes, and a response keeps only the fields those
scopes grant. The scope names are DataPass's (``dgfip_rfr`` …); the scope → field mapping below
follows the scope labels and the field descriptions of the functional presentation §7. DGFIP does not
publish the mapping itself: docs/impot-particulier.md lists it and the sandbox's own choices.

Year scopes are literal: with N the current (Paris) year, ``dgfip_annee_n_moins_k`` lets the consumer
ask for income year N-k, and ``dgfip_annee_n_moins_2_si_indispo_n_moins_1`` for N-1, or for N-2 while
N-1 is not available (not taxed yet, or no avis yet for that taxpayer). Whether the year is taxed is a
separate rule (calendar.py) answered with 4101.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dgfip_sandbox.apis.impot_particulier.calendar import paris_today

YEAR_N_1 = "dgfip_annee_n_moins_1"
YEAR_N_2 = "dgfip_annee_n_moins_2"
YEAR_N_3 = "dgfip_annee_n_moins_3"
YEAR_N_2_IF_N_1_MISSING = "dgfip_annee_n_moins_2_si_indispo_n_moins_1"
YEAR_SCOPES = (YEAR_N_1, YEAR_N_2, YEAR_N_3, YEAR_N_2_IF_N_1_MISSING)

DECES = "dgfip_annee_df_au_3112_si_deces_ctb_mp"
IFI = "dgfip_indiIFI"
LEP = "dgfip_IndLep"
# Not a DataPass scope: DGFIP serves the avis fields (datRec, impAvImput, montTotIr …) and the other
# fields absent from DataPass's list only on a specific request ("expression de besoin spécifique").
# A sandbox consumer holding this pseudo-scope receives them.
BESOINS_SPECIFIQUES = "sandbox_besoins_specifiques"
# DataPass removed these TH scopes in February 2023; the TH resource is frozen at 2022 and they are
# the only scopes that ever granted the local's data.
TH_LOCAL_SCOPES = ("dgfip_locaux_th_ident", "dgfip_locaux_th_Nat", "dgfip_locaux_th_Tax", "dgfip_locaux_th_Aff")

# Top-level IR fields granted by one scope (any of several when a tuple).
IR_FIELDS: dict[str, tuple[str, ...]] = {
    "rfr": ("dgfip_rfr",),
    "sitFam": ("dgfip_sitfam",),
    "nbPart": ("dgfip_nbpart",),
    "sitParIso": ("dgfip_pariso",),
    "aft": ("dgfip_aft",),
    "aftDetail": ("dgfip_aft",),
    "mntRevbareme": ("dgfip_mntRevbareme",),
    "indDeficit": ("dgfip_inddeficit",),
    "revenuBrutGlobal": ("dgfip_rbg",),
    "nmNaiDec1": ("dgfip_nmNaiDec1",),
    "nmUsaDec1": ("dgfip_nmUsaDec1",),
    "prnmDec1": ("dgfip_prnmDec1",),
    "dateNaisDec1": ("dgfip_dateNaisDec1",),
    "dptNaissDec1": ("dgfip_dateNaisDec1",),
    "lieuNaissDec1": ("dgfip_dateNaisDec1",),
    "nmNaiDec2": ("dgfip_nmNaiDec2",),
    "nmUsaDec2": ("dgfip_nmUsaDec2",),
    "prnmDec2": ("dgfip_prnmDec2",),
    "dateNaisDec2": ("dgfip_dateNaisDec2",),
    "dptNaissDec2": ("dgfip_dateNaisDec2",),
    "lieuNaissDec2": ("dgfip_dateNaisDec2",),
    "spiDec1": ("dgfip_nmNaiDec1", "dgfip_nmUsaDec1", "dgfip_prnmDec1", "dgfip_dateNaisDec1"),
    "spiDec2": ("dgfip_nmNaiDec2", "dgfip_nmUsaDec2", "dgfip_prnmDec2", "dgfip_dateNaisDec2"),
    "dateDecesdec1": (DECES,),
    "dateDecesdec2": (DECES,),
    "pensAlPer": (BESOINS_SPECIFIQUES,),
    "sitPart": (BESOINS_SPECIFIQUES,),
    "sitParDeclaree": (BESOINS_SPECIFIQUES,),
    "indOptionImpotSepar": (BESOINS_SPECIFIQUES,),
    "datRec": (BESOINS_SPECIFIQUES,),
    "datEtab": (BESOINS_SPECIFIQUES,),
    "impAvImput": (BESOINS_SPECIFIQUES,),
    "montTotIr": (BESOINS_SPECIFIQUES,),
    "revImposable": (BESOINS_SPECIFIQUES,),
    "numRole": (BESOINS_SPECIFIQUES,),
    "fipNum": (BESOINS_SPECIFIQUES,),
}
# Fields that describe the answer itself rather than the taxpayer: always kept.
STRUCTURAL_FIELDS = frozenset({"annRevenu", "dateDebutPeriode", "dateFinPeriode", "typeAvis"})

PAC_ALL = "dgfip_pac"
PAC_NB = "dgfip_pac_nbPac"

# rev.<category> → scope; rev.tspr splits between salaries/pensions and rentes viagères à titre onéreux.
RENTES_CODES = frozenset({"1AW", "1BW", "1CW", "1DW"})
REV_CATEGORIES: dict[str, str] = {
    "rcm": "dgfip_RevDecl_Cat2_Rcm",
    "pv": "dgfip_RevDecl_Cat3_PMV",
    "fonc": "dgfip_RevDecl_Cat4_Ref",
    "pro": "dgfip_RevDecl_Cat5_NonSal",
    "rici": BESOINS_SPECIFIQUES,
    "alpha": BESOINS_SPECIFIQUES,
    "div": BESOINS_SPECIFIQUES,
}
CHARGES_CODES: dict[str, str] = {
    "6GI": "dgfip_PaDeduc_EnfMaj",
    "6GJ": "dgfip_PaDeduc_EnfMaj",
    "6GU": "dgfip_PaDeduc_Autres",
    "6GP": "dgfip_PaDeduc_Autres",
    "6NS": "dgfip_EpargRetrDeduc",
    "6NT": "dgfip_EpargRetrDeduc",
    "6RS": "dgfip_EpargRetrDeduc",
    "6RT": "dgfip_EpargRetrDeduc",
}


def _codes(scope: str, *codes: str) -> dict[str, str]:
    return {code: scope for code in codes}


# facture codeLigne → scope (functional presentation §7: revenus bruts, nets, charges déductibles).
FACTURE_LINES: dict[str, str] = {
    **_codes(
        "dgfip_RevDecl_Cat1_Tspr",
        "0020",
        "0021",
        "0022",
        "0024",
        "0025",
        "0026",
        "0027",
        "0030",
        "0040",
        "0041",
        "0070",
        "0150",
        "0170",
        "0171",
        "0175",
        "0180",
    ),
    **_codes(
        "dgfip_RevDecl_Cat5_NonSal",
        "0361",
        "0369",
        "0370",
        "0440",
        "0530",
        "0570",
        "0600",
        "0640",
        "0706",
        "0707",
        "0721",
        "0722",
        "0739",
        "0760",
        "0790",
        "0820",
    ),
    **_codes("dgfip_RevNets_Cat1_Tspr", "0240"),
    **_codes("dgfip_RevNets_Cat1_RentOn", "0902"),
    **_codes("dgfip_RevNets_Cat2_Rcm", "0940"),
    **_codes("dgfip_RevNets_Cat3_PMV", "3012", "6898", "6899", "0991", "4802", "4803"),
    **_codes("dgfip_RevNets_Cat4_Ref", "1000", "1010"),
    **_codes(
        "dgfip_RevNets_Cat5_NonSal",
        "0363",
        "0470",
        "0550",
        "0591",
        "0620",
        "0670",
        "0710",
        "0711",
        "0725",
        "0726",
        "0748",
        "0780",
        "0810",
        "0825",
    ),
    **_codes("dgfip_PaDeduc_EnfMaj", "1320"),
    **_codes("dgfip_PaDeduc_Autres", "1330", "1340"),
    **_codes("dgfip_EpargRetrDeduc", "1400", "1402"),
    # The décote is the reduction of the barème tax: DataPass has no scope for it; the sandbox ties it
    # to the barème amount's scope.
    **_codes("dgfip_mntRevbareme", "1830"),
}

TH_FIELDS: dict[str, str] = {
    "codeDsf": "dgfip_aft",
    "codeCommune": "dgfip_aft",
    "codeAft": "dgfip_aft",
    "numVoie": "dgfip_aft",
    "btq": "dgfip_aft",
    "libelleVoie": "dgfip_aft",
    "libelleCommune": "dgfip_aft",
    "libelleEdition1": "dgfip_aft",
    "libelleEdition2": "dgfip_aft",
    "regimeTax": "dgfip_locaux_th_Tax",
    "natureImp": "dgfip_locaux_th_Tax",
}
TH_LOCAL_FIELDS: dict[str, str] = {
    "invariant": "dgfip_locaux_th_ident",
    "natureLocal": "dgfip_locaux_th_Nat",
    "affectation": "dgfip_locaux_th_Aff",
}


def _granted(required: Iterable[str], scopes: frozenset[str]) -> bool:
    return any(scope in scopes for scope in required)


def filter_ir(situation: Mapping[str, Any], scopes: frozenset[str]) -> dict[str, Any]:
    """Keep the fields of one IR situation (assiettes, factures, dernière, multiple item) that ``scopes`` grant."""
    out: dict[str, Any] = {}
    for name, value in situation.items():
        if name in STRUCTURAL_FIELDS:
            out[name] = value
        elif name in IR_FIELDS:
            if _granted(IR_FIELDS[name], scopes):
                out[name] = value
        elif name == "pac":
            if PAC_ALL in scopes:
                out[name] = value
            elif PAC_NB in scopes and "nbPac" in value:
                out[name] = {"nbPac": value["nbPac"]}
        elif name == "rev":
            rev = _filter_rev(value, scopes)
            if rev is not None:
                out[name] = rev
        elif name == "facture" and (
            any(scope in scopes for scope in set(FACTURE_LINES.values())) or BESOINS_SPECIFIQUES in scopes
        ):
            out[name] = [line for line in value if _facture_line_granted(line["codeLigne"], scopes)]
        # Any other field is unknown to the mapping and never leaves the sandbox.
    return out


def _facture_line_granted(code: str, scopes: frozenset[str]) -> bool:
    return FACTURE_LINES.get(code, BESOINS_SPECIFIQUES) in scopes


def _filter_rev(rev: Mapping[str, list[dict[str, str]]], scopes: frozenset[str]) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    tspr_salaries = "dgfip_RevDecl_Cat1_Tspr" in scopes
    tspr_rentes = "dgfip_RevDecl_Cat1_RentOn" in scopes
    if tspr_salaries or tspr_rentes:
        out["tspr"] = [
            item for item in rev.get("tspr", []) if (tspr_rentes if item["code"] in RENTES_CODES else tspr_salaries)
        ]
    for category, scope in REV_CATEGORIES.items():
        if scope in scopes:
            out[category] = list(rev.get(category, []))
    charges_scopes = set(CHARGES_CODES.values()) | {BESOINS_SPECIFIQUES}
    if charges_scopes & scopes:
        out["chges"] = [
            item for item in rev.get("chges", []) if CHARGES_CODES.get(item["code"], BESOINS_SPECIFIQUES) in scopes
        ]
    return out or None


def filter_th(situation: Mapping[str, Any], scopes: frozenset[str]) -> dict[str, Any]:
    out = {name: value for name, value in situation.items() if name in TH_FIELDS and TH_FIELDS[name] in scopes}
    local_scopes = set(TH_LOCAL_FIELDS.values()) & scopes
    if local_scopes:
        out["locaux"] = [
            {k: v for k, v in local.items() if TH_LOCAL_FIELDS.get(k) in scopes}
            for local in situation.get("locaux", [])
        ]
    return out


def grants_any_th_field(scopes: frozenset[str]) -> bool:
    return bool((set(TH_FIELDS.values()) | set(TH_LOCAL_FIELDS.values())) & scopes)


@dataclass(frozen=True)
class YearRights:
    """The income years a consumer may ask for on ``now`` (see the module docstring)."""

    current_year: int
    fixed: frozenset[int]
    n_1_or_n_2: bool

    @property
    def any(self) -> bool:
        return bool(self.fixed) or self.n_1_or_n_2

    def allows(self, annrev: int, *, n_1_available: bool) -> bool:
        if annrev in self.fixed:
            return True
        if self.n_1_or_n_2:
            if annrev == self.current_year - 1:
                return True
            if annrev == self.current_year - 2:
                return not n_1_available
        return False

    def candidates(self) -> list[int]:
        """Every year that may be allowed, most recent first."""
        years = set(self.fixed)
        if self.n_1_or_n_2:
            years |= {self.current_year - 1, self.current_year - 2}
        return sorted(years, reverse=True)

    def describe(self) -> str:
        years = sorted(self.fixed)
        parts = [str(y) for y in years]
        if self.n_1_or_n_2:
            parts.append(
                f"{self.current_year - 1} (ou {self.current_year - 2} si {self.current_year - 1} indisponible)"
            )
        return ", ".join(parts) if parts else "aucune"


def year_rights(scopes: frozenset[str], now: datetime) -> YearRights:
    n = paris_today(now).year
    fixed = {n - k for scope, k in ((YEAR_N_1, 1), (YEAR_N_2, 2), (YEAR_N_3, 3)) if scope in scopes}
    return YearRights(current_year=n, fixed=frozenset(fixed), n_1_or_n_2=YEAR_N_2_IF_N_1_MISSING in scopes)


# DataPass's published list for API Impôt particulier (authorization definitions, 2026).
PUBLISHED_SCOPES: tuple[str, ...] = (
    *YEAR_SCOPES,
    "dgfip_nmUsaDec1",
    "dgfip_nmNaiDec1",
    "dgfip_prnmDec1",
    "dgfip_dateNaisDec1",
    "dgfip_nmUsaDec2",
    "dgfip_nmNaiDec2",
    "dgfip_prnmDec2",
    "dgfip_dateNaisDec2",
    "dgfip_aft",
    "dgfip_sitfam",
    "dgfip_nbpart",
    PAC_NB,
    PAC_ALL,
    "dgfip_pariso",
    DECES,
    "dgfip_rfr",
    "dgfip_mntRevbareme",
    "dgfip_inddeficit",
    IFI,
    "dgfip_rbg",
    "dgfip_RevDecl_Cat1_Tspr",
    "dgfip_RevDecl_Cat1_RentOn",
    "dgfip_RevDecl_Cat2_Rcm",
    "dgfip_RevDecl_Cat3_PMV",
    "dgfip_RevDecl_Cat4_Ref",
    "dgfip_RevDecl_Cat5_NonSal",
    "dgfip_RevNets_Cat1_Tspr",
    "dgfip_RevNets_Cat1_RentOn",
    "dgfip_RevNets_Cat2_Rcm",
    "dgfip_RevNets_Cat3_PMV",
    "dgfip_RevNets_Cat4_Ref",
    "dgfip_RevNets_Cat5_NonSal",
    "dgfip_PaDeduc_EnfMaj",
    "dgfip_PaDeduc_Autres",
    "dgfip_EpargRetrDeduc",
    LEP,
)
