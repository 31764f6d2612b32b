"""Named personas of API Impôt particulier: fixed SPIs, each showing one documented case.

Their SPIs start with ``10000000``; the random population never draws them (population.py excludes
them), and ``SPI_INCONNU`` is a well-formed SPI that is never seeded (4102).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from dgfip_sandbox.seed.avis import Incomes
from dgfip_sandbox.seed.foyers import AddressSpec, BirthPlace, DeathSpec, FoyerSpec, PersonSpec
from dgfip_sandbox.seed.referentiels import COMMUNES
from dgfip_sandbox.spi import spi_from_base

API = "impot_particulier"


def _spi(n: int) -> str:
    return spi_from_base(f"10000000{n:02d}")


def _commune(name: str) -> tuple[str, str, str, str]:
    return next(c for c in COMMUNES if c[2] == name)


def _born_in(name: str) -> BirthPlace:
    insee, _cp, commune, dept = _commune(name)
    return {
        "code_pays_naissance": "99100",
        "departement_naissance": dept,
        "commune_naissance": insee,
        "lieu_naissance": commune,
    }


SPI_COUPLE_DEC1 = _spi(1)
SPI_COUPLE_DEC2 = _spi(2)
SPI_VEUVE = _spi(3)
SPI_DECEDE = _spi(4)
SPI_TARDIF = _spi(5)
SPI_PRIMO = _spi(6)
SPI_IFI = _spi(7)
SPI_IFI_DEC2 = _spi(8)
SPI_FAMILLE_NOMBREUSE = _spi(9)
SPI_FAMILLE_NOMBREUSE_DEC2 = _spi(10)
SPI_LEP_ELIGIBLE = _spi(11)
SPI_LEP_NON_ELIGIBLE = _spi(12)
SPI_PARENT_ISOLE = _spi(13)
SPI_PACSE_DEC1 = _spi(14)
SPI_PACSE_DEC2 = _spi(15)
SPI_NE_A_L_ETRANGER = _spi(16)
SPI_NON_IMPOSABLE = _spi(17)
SPI_SANS_REVENUS = _spi(18)
SPI_DEFICIT = _spi(19)
SPI_LEP_REUNION = _spi(20)
SPI_INCONNU = spi_from_base("1999999999")

DEATH_DATE = date(2024, 6, 14)
LATE_AVIS_DATE = date(2026, 12, 15)


def _address(n: int, voie: str, commune: str, complement: str = "", type_voie: str = "RUE") -> AddressSpec:
    return AddressSpec(numero=n, type_voie=type_voie, nom_voie=voie, commune=_commune(commune), complement=complement)


PERSONA_FOYERS: tuple[FoyerSpec, ...] = (
    FoyerSpec(
        persona="couple_marie",
        sitfam="M",
        dec1=PersonSpec(SPI_COUPLE_DEC1, "M", "DUPONT", "JEAN PIERRE", date(1978, 4, 12), **_born_in("LYON")),
        dec2=PersonSpec(
            SPI_COUPLE_DEC2, "F", "MARTIN", "CLAIRE", date(1980, 9, 3), nom_usage="DUPONT", **_born_in("NANTES")
        ),
        address=_address(10, "DU CENTRE", "NOISY LE GRAND", complement="BAT 3 APT 93"),
        incomes=Incomes(salaires=(42000, 35000), interets=800, epargne_retraite=(2000, 0), dons=300),
        pac={"nbPacF": 2},
    ),
    FoyerSpec(
        persona="deces_conjoint",
        sitfam="M",
        dec1=PersonSpec(
            SPI_DECEDE, "M", "LEROY", "BERNARD", date(1950, 2, 20), date_deces=DEATH_DATE, **_born_in("REIMS")
        ),
        dec2=PersonSpec(
            SPI_VEUVE, "F", "ROUSSEL", "MONIQUE ANNE", date(1952, 11, 5), nom_usage="LEROY", **_born_in("AMIENS")
        ),
        address=_address(4, "DES LILAS", "AMIENS", type_voie="ALLEE"),
        incomes=Incomes(pensions=(24000, 14000), interets=1200),
        death=DeathSpec(annrev=2024, when=DEATH_DATE, rank=1),
        nature_local="MA",
    ),
    FoyerSpec(
        persona="declaration_tardive",
        sitfam="C",
        dec1=PersonSpec(SPI_TARDIF, "M", "GARNIER", "THOMAS", date(1991, 7, 30), **_born_in("TOURS")),
        dec2=None,
        address=_address(27, "GAMBETTA", "TOURS", type_voie="BOULEVARD"),
        incomes=Incomes(salaires=(31000, 0)),
        late_etablissement={2025: LATE_AVIS_DATE},
    ),
    FoyerSpec(
        persona="primo_declarant",
        sitfam="C",
        dec1=PersonSpec(SPI_PRIMO, "F", "FONTAINE", "LEA", date(2004, 3, 18), **_born_in("RENNES")),
        dec2=None,
        address=_address(3, "DES ECOLES", "RENNES", complement="APT 12"),
        incomes=Incomes(salaires=(9000, 0)),
        years=(2025,),
        th_years=(),
    ),
    FoyerSpec(
        persona="ifi",
        sitfam="M",
        dec1=PersonSpec(SPI_IFI, "M", "DE OLIVEIRA", "ANTOINE", date(1962, 1, 9), **_born_in("BORDEAUX")),
        dec2=PersonSpec(
            SPI_IFI_DEC2,
            "F",
            "BLANCHARD",
            "ANNE-SOPHIE",
            date(1965, 5, 27),
            nom_usage="DE OLIVEIRA",
            **_born_in("PARIS"),
        ),
        address=_address(8, "FOCH", "PARIS", type_voie="AVENUE"),
        incomes=Incomes(
            salaires=(180000, 60000),
            dividendes=30000,
            interets=4000,
            foncier_micro=14000,
            emploi_domicile=6000,
            dons=2000,
        ),
        ifi_years=frozenset({2022, 2023, 2024, 2025}),
        nature_local="ME",
    ),
    FoyerSpec(
        persona="famille_nombreuse",
        sitfam="M",
        dec1=PersonSpec(SPI_FAMILLE_NOMBREUSE, "M", "LEFEBVRE", "NICOLAS", date(1975, 12, 2), **_born_in("LILLE")),
        dec2=PersonSpec(
            SPI_FAMILLE_NOMBREUSE_DEC2,
            "F",
            "ROBIN",
            "SANDRINE",
            date(1977, 6, 14),
            nom_usage="LEFEBVRE",
            **_born_in("LILLE"),
        ),
        address=_address(52, "DU MOULIN", "LILLE", type_voie="CHEMIN"),
        incomes=Incomes(salaires=(38000, 21000), pac_salaires=3000),
        pac={"nbPacF": 4, "nbPacG": 1, "nbPacH": 1, "nbPacJ": 1},
        nature_local="MA",
    ),
    FoyerSpec(
        persona="lep_eligible",
        sitfam="C",
        dec1=PersonSpec(SPI_LEP_ELIGIBLE, "F", "MOREL", "CELINE", date(1988, 10, 21), **_born_in("LILLE")),
        dec2=None,
        address=_address(15, "DE LA GARE", "LILLE"),
        incomes=Incomes(salaires=(19000, 0)),
    ),
    FoyerSpec(
        persona="lep_non_eligible",
        sitfam="C",
        dec1=PersonSpec(SPI_LEP_NON_ELIGIBLE, "M", "GIRARD", "MAXIME", date(1985, 2, 2), **_born_in("DIJON")),
        dec2=None,
        address=_address(6, "PASTEUR", "DIJON"),
        incomes=Incomes(salaires=(45000, 0), interets=600),
    ),
    FoyerSpec(
        persona="parent_isole",
        sitfam="D",
        dec1=PersonSpec(SPI_PARENT_ISOLE, "F", "BONNET", "JULIE MARIE", date(1986, 8, 8), **_born_in("GRENOBLE")),
        dec2=None,
        address=_address(21, "DES TILLEULS", "GRENOBLE"),
        incomes=Incomes(salaires=(31000, 0)),
        pac={"nbPacF": 2},
        parent_isole=True,
    ),
    FoyerSpec(
        persona="pacses",
        sitfam="O",
        dec1=PersonSpec(SPI_PACSE_DEC1, "M", "FAURE", "HUGO", date(1993, 4, 4), **_born_in("TOULOUSE")),
        dec2=PersonSpec(SPI_PACSE_DEC2, "M", "MERCIER", "PAUL", date(1992, 1, 30), **_born_in("MONTPELLIER")),
        address=_address(9, "DES ROSES", "TOULOUSE", type_voie="IMPASSE"),
        incomes=Incomes(salaires=(36000, 33000)),
    ),
    FoyerSpec(
        persona="ne_a_l_etranger",
        sitfam="C",
        dec1=PersonSpec(
            SPI_NE_A_L_ETRANGER,
            "M",
            "BENALI",
            "KARIM",
            date(1979, 12, 25),
            code_pays_naissance="99350",
            departement_naissance="99",
            lieu_naissance="MAROC",
        ),
        dec2=None,
        address=_address(33, "DE LA REPUBLIQUE", "MARSEILLE", type_voie="AVENUE"),
        incomes=Incomes(salaires=(28000, 0)),
    ),
    FoyerSpec(
        persona="non_imposable",
        sitfam="V",
        dec1=PersonSpec(
            SPI_NON_IMPOSABLE, "F", "GUERIN", "MARTINE", date(1944, 9, 9), nom_usage="PERRIN", **_born_in("LIMOGES")
        ),
        dec2=None,
        address=_address(2, "DE L EGLISE", "GUERET", type_voie="PLACE"),
        incomes=Incomes(pensions=(14000, 0)),
        nature_local="MA",
    ),
    FoyerSpec(
        persona="sans_revenus",
        sitfam="C",
        dec1=PersonSpec(SPI_SANS_REVENUS, "M", "DUMAS", "LUCAS", date(2001, 5, 5), **_born_in("CAEN")),
        dec2=None,
        address=_address(11, "DU STADE", "CAEN"),
        incomes=Incomes(),
    ),
    FoyerSpec(
        persona="deficit_foncier",
        sitfam="C",
        dec1=PersonSpec(SPI_DEFICIT, "F", "ROUSSEAU", "HELENE", date(1970, 3, 3), **_born_in("ANGERS")),
        dec2=None,
        address=_address(40, "VICTOR HUGO", "ANGERS"),
        incomes=Incomes(salaires=(52000, 0), deficit_foncier=8000),
    ),
    FoyerSpec(
        persona="lep_reunion",
        sitfam="C",
        dec1=PersonSpec(SPI_LEP_REUNION, "M", "PAYET", "JEAN-MARC", date(1983, 11, 11), **_born_in("SAINT DENIS")),
        dec2=None,
        address=_address(5, "DES ACACIAS", "SAINT DENIS"),
        incomes=Incomes(salaires=(27500, 0)),
    ),
)


def _persona(spi: str, case: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"spi": spi, "case": case, "description": description, "api": API, **extra}


PERSONAS: list[dict[str, Any]] = [
    _persona(
        SPI_COUPLE_DEC1,
        "couple_marie",
        "Couple marié (M), 2 enfants à charge, salaires : toutes les ressources IR répondent pour 2022 à 2025, TH 2021–2022.",
        banner=True,
    ),
    _persona(
        SPI_COUPLE_DEC2,
        "declarant_2",
        "Déclarante 2 du couple marié, interrogée par son propre SPI : même foyer, mêmes réponses.",
    ),
    _persona(
        SPI_VEUVE,
        "deces_conjoint",
        "Conjoint décédé le 14/06/2024 : deux avis pour 2024, donc 410 (4101) sur les ressources standard en 2024 ; dernieresituation renvoie la période après décès (V), multiple les deux périodes.",
    ),
    _persona(
        SPI_DECEDE,
        "conjoint_decede",
        "Le déclarant décédé le 14/06/2024 : 2024 comme le conjoint survivant, 410 (4101) pour 2025.",
    ),
    _persona(
        SPI_TARDIF,
        "declaration_tardive",
        "Avis des revenus 2025 établi le 15/12/2026 seulement : 2025 répond 410 (4101) avant cette date ; deuxans renvoie alors 2024.",
    ),
    _persona(
        SPI_PRIMO,
        "primo_declarant",
        "Première déclaration pour les revenus 2025 : 410 (4101) pour les années antérieures et pour la TH.",
    ),
    _persona(
        SPI_INCONNU,
        "spi_inconnu",
        "SPI bien formé qui ne correspond à aucun usager : 410 (4102) sur toutes les ressources.",
    ),
    _persona(
        SPI_IFI,
        "ifi",
        "Couple redevable de l'IFI : indicateurIfiIsf « O » pour 2022 à 2025 (les autres foyers répondent 410 4101).",
    ),
    _persona(
        SPI_FAMILLE_NOMBREUSE,
        "famille_nombreuse",
        "Couple marié avec 6 personnes à charge (4 mineurs dont un invalide, un enfant en résidence alternée, un majeur rattaché) : nbPart 7.",
    ),
    _persona(SPI_LEP_ELIGIBLE, "lep_eligible", "Revenu fiscal de référence sous le plafond LEP : statut « O »."),
    _persona(
        SPI_LEP_NON_ELIGIBLE, "lep_non_eligible", "Revenu fiscal de référence au-dessus du plafond LEP : statut « N »."
    ),
    _persona(SPI_PARENT_ISOLE, "parent_isole", "Divorcée, 2 enfants, case T (sitParIso « T ») : nbPart 2,5."),
    _persona(SPI_PACSE_DEC1, "pacses", "Couple pacsé (O), sans enfant."),
    _persona(
        SPI_NE_A_L_ETRANGER,
        "ne_a_l_etranger",
        "Né au Maroc (code pays 99350) : dptNaissDec1 « 99 », lieuNaissDec1 « MAROC ».",
    ),
    _persona(
        SPI_NON_IMPOSABLE,
        "non_imposable",
        "Veuve retraitée non imposable : impôt annulé par la décote (ligne 1830), LEP éligible.",
    ),
    _persona(SPI_SANS_REVENUS, "sans_revenus", "Aucun revenu déclaré : rfr 0 et mntRevbareme absent."),
    _persona(SPI_DEFICIT, "deficit_foncier", "Déficit foncier imputé : indDeficit « O »."),
    _persona(
        SPI_LEP_REUNION,
        "lep_reunion",
        "RFR au-dessus du plafond LEP de métropole mais sous celui de La Réunion : « N » avec le département 75, « O » avec 974.",
    ),
]
