"""The one model of the integrator's test data (a YAML or JSON file, the admin API's body, the plugin's
arguments): foyers fiscaux, FICOBA accounts with the rights of persons and legal entities on them, and
FranceConnect identities.

Field names: the avis, its ``pac``, ``aftDetail``, ``rev``, ``sitParDeclaree``, ``facture`` and the
taxe d'habitation take DGFIP's published names and types (the swagger of API Impôt particulier:
``SituationsIRAssiettesFacturesJAXBbean``, ``PacJAXBbean``, ``AftJAXBbean``, ``RevsJAXBbean``,
``CodeRevJAXBbean``, ``SitPartJAXBbean``, ``SituationIRfactureJAXBbean``, ``SituationTHJAXBbean``,
``LocTHJAXBbean``); an unknown field is refused. Everything else is in French snake case.

What is left out is computed: an SPI (valid key), an avis from the declared incomes (seed/avis.py),
IBAN and clé RIB (schwifty), SIREN and SIRET (Luhn); a published field given explicitly overrides
the computed one. Checks that need the clock (the taxation calendar) or the database (unknown
guichet, SPI already taken) are made when the data is written (testdata/rows.py, testdata/service.py).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from stdnum import luhn

from dgfip_sandbox.apis.ficoba import nomenclatures as nom
from dgfip_sandbox.apis.ficoba.identifiers import is_valid_iban
from dgfip_sandbox.apis.impot_particulier.service import FACTURES_ORDER
from dgfip_sandbox.spi import spi_problem

Montant = Annotated[int, Field(ge=0, le=10**10)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _check_spi(value: str | None) -> str | None:
    if value is None:
        return None
    problem = spi_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# ---------------------------------------------------------------------------------------------------
# API Impôt particulier


class Declarant(_Strict):
    """A déclarant: the SPI is drawn (valid key) when not given."""

    spi: str | None = None
    nom_naissance: str = Field(min_length=1, max_length=100)
    nom_usage: str | None = Field(default=None, max_length=100)
    prenoms: str = Field(min_length=1, max_length=200)
    sexe: Literal["M", "F"]
    date_naissance: date
    code_pays_naissance: str = Field(default="99100", pattern=r"^99\d{3}$")
    departement_naissance: str | None = Field(default=None, pattern=r"^(\d{2}|2[AB]|97\d|99)$")
    commune_naissance: str | None = Field(default=None, pattern=r"^(\d{5}|2[AB]\d{3})$")  # INSEE code
    lieu_naissance: str | None = Field(default=None, max_length=100)
    date_deces: date | None = None

    _spi = field_validator("spi")(_check_spi)

    @field_validator("nom_naissance", "nom_usage", "prenoms", "lieu_naissance")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value

    @model_validator(mode="after")
    def _birth_place(self) -> Declarant:
        if self.code_pays_naissance == "99100" and self.commune_naissance and not self.departement_naissance:
            code = self.commune_naissance
            self.departement_naissance = code[:3] if code.startswith("97") else code[:2]
        if self.code_pays_naissance != "99100" and self.departement_naissance is None:
            self.departement_naissance = "99"
        if self.date_deces is not None and self.date_deces < self.date_naissance:
            raise ValueError("date_deces : antérieure à la date de naissance")
        return self


class Adresse(_Strict):
    """The foyer's address at 1 January of the year after the income year (``aft``/``aftDetail``)."""

    numero: int = Field(default=1, ge=1, le=9999)
    type_voie: str = Field(default="RUE", max_length=10)
    nom_voie: str = Field(default="DE LA PAIX", max_length=80)
    code_commune: str = Field(default="75102", pattern=r"^(\d{5}|2[AB]\d{3})$")  # INSEE code
    code_postal: str = Field(default="75002", pattern=r"^\d{5}$")
    commune: str = Field(default="PARIS", max_length=80)
    complement: str = Field(default="", max_length=80)

    @property
    def departement(self) -> str:
        return self.code_commune[:3] if self.code_commune.startswith("97") else self.code_commune[:2]


class Pac(_Strict):
    """PacJAXBbean: the counts of personnes à charge (``nbPac`` is computed when not given)."""

    nbPac: int | None = Field(default=None, ge=0, le=30)
    nbPacF: int = Field(default=0, ge=0, le=30)
    nbPacG: int = Field(default=0, ge=0, le=30)
    nbPacH: int = Field(default=0, ge=0, le=30)
    nbPacI: int = Field(default=0, ge=0, le=30)
    nbPacR: int = Field(default=0, ge=0, le=30)
    nbPacJ: int = Field(default=0, ge=0, le=30)
    nbPacN: int = Field(default=0, ge=0, le=30)
    nbPacP: int = Field(default=0, ge=0, le=30)

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in self.model_dump(exclude={"nbPac"}).items() if v}


class AftDetail(_Strict):
    complementAdresse: str | None = None
    voie: str | None = None
    getcommune: str | None = None
    getcodePostal: str | None = None


class CodeRev(_Strict):
    code: str = Field(pattern=r"^[0-9][A-Z]{2}$")
    valeur: str = Field(pattern=r"^-?\d{1,12}$")


class Revs(_Strict):
    tspr: list[CodeRev] | None = None
    rcm: list[CodeRev] | None = None
    pv: list[CodeRev] | None = None
    fonc: list[CodeRev] | None = None
    pro: list[CodeRev] | None = None
    chges: list[CodeRev] | None = None
    rici: list[CodeRev] | None = None
    alpha: list[CodeRev] | None = None
    div: list[CodeRev] | None = None


class SitPart(_Strict):
    sitPartP: str | None = None
    sitPartF: str | None = None
    sitPartW: str | None = None
    sitComb: str | None = None
    pensVeufGuerre: str | None = None
    indEnfSeul5ansMin: str | None = None
    indNonSeul: str | None = None


class LigneFacture(_Strict):
    """SituationIRfactureJAXBbean (``numLigne`` is the position; ``libelleLigne`` the code's label)."""

    numLigne: int | None = None
    codeLigne: str = Field(pattern=r"^\d{4}$")
    libelleLigne: str | None = None
    colonne1: str = ""
    colonne2: str = ""
    colonne3: str = ""
    colonne4: str = ""


class Revenus(_Strict):
    """What the foyer declared for the year (euros), from which the avis is computed (seed/avis.py):
    pairs are (déclarant 1, déclarant 2)."""

    salaires: tuple[Montant, Montant] = (0, 0)  # 1AJ, 1BJ
    pensions: tuple[Montant, Montant] = (0, 0)  # 1AS, 1BS
    rentes: Montant = 0  # 1AW
    pac_salaires: Montant = 0  # 1CJ
    interets: Montant = 0  # 2TR
    dividendes: Montant = 0  # 2DC
    plus_values: Montant = 0  # 3VG
    foncier_micro: Montant = 0  # 4BE
    deficit_foncier: Montant = 0  # 4BC
    bnc_micro: Montant = 0  # 5HQ
    pension_enfant_majeur: Montant = 0  # 6GI
    pension_autre: Montant = 0  # 6GU
    epargne_retraite: tuple[Montant, Montant] = (0, 0)  # 6NS, 6NT
    dons: Montant = 0  # 7UF
    emploi_domicile: Montant = 0  # 7DB


# The avis' published fields a data file may set: those of the published schema (in its order) but the
# déclarants' état civil (…Dec1, …Dec2), which comes from ``declarants``.
AVIS_PUBLISHED_FIELDS = tuple(f for f in FACTURES_ORDER if not f.endswith(("Dec1", "Dec2")))


class Avis(_Strict):
    """One avis d'impôt sur le revenu: income year ``annee`` (the avis is issued in ``annee + 1``)."""

    annee: int = Field(ge=1900, le=2100)
    revenus: Revenus = Field(default_factory=Revenus)
    ifi: bool = False  # liable to the IFI that year (situations/ifiisf: indicateurIfiIsf "O")
    # Published fields (override the computed ones)
    rfr: int | None = Field(default=None, ge=0)
    sitFam: Literal["M", "O", "C", "D", "V"] | None = None
    nbPart: float | None = Field(default=None, ge=1, le=30, multiple_of=0.25)
    pac: Pac | None = None
    aft: str | None = None
    aftDetail: AftDetail | None = None
    sitParIso: Literal["", "T"] | None = None
    pensAlPer: int | None = Field(default=None, ge=0)
    indDeficit: Literal["O", "N"] | None = None
    revenuBrutGlobal: int | None = None
    sitPart: str | None = None
    sitParDeclaree: SitPart | None = None
    indOptionImpotSepar: Literal["O", "N"] | None = None
    mntRevbareme: int | None = Field(default=None, ge=0)
    datRec: date | None = None
    datEtab: date | None = None
    impAvImput: int | None = None
    montTotIr: int | None = None
    revImposable: int | None = Field(default=None, ge=0)
    numRole: str | None = Field(default=None, pattern=r"^\d{3}$")
    fipNum: str | None = Field(default=None, pattern=r"^\d{13}$")
    rev: Revs | None = None
    facture: list[LigneFacture] | None = None

    def published(self) -> dict[str, Any]:
        """The published fields given explicitly, in the avis' stored shapes (store/taxpayers.py)."""
        given = self.model_dump(include=set(AVIS_PUBLISHED_FIELDS), exclude_none=True, mode="json")
        if self.facture is not None:
            given["facture"] = [
                [line.codeLigne, line.colonne1, line.colonne2, line.colonne3, line.colonne4] for line in self.facture
            ]
        if self.pac is not None:
            counts = self.pac.counts()
            given["pac"] = {"nbPac": self.pac.nbPac if self.pac.nbPac is not None else sum(counts.values()), **counts}
        return given


class LocalTh(_Strict):
    natureLocal: str = Field(default="AP", max_length=2)
    affectation: str = Field(default="H", max_length=1)
    invariant: str | None = Field(default=None, pattern=r"^\d{10}$")


class TaxeHabitation(_Strict):
    """SituationTHJAXBbean of one year (the resource stopped after 2022); unset fields from the address."""

    annee: int = Field(ge=1900, le=2100)
    codeDsf: str | None = None
    codeCommune: str | None = None
    codeAft: str | None = None
    numVoie: str | None = None
    btq: str | None = None
    libelleVoie: str | None = None
    libelleCommune: str | None = None
    regimeTax: str | None = None
    natureImp: str | None = None
    libelleEdition1: str | None = None
    libelleEdition2: str | None = None
    locaux: list[LocalTh] | None = None


class Foyer(_Strict):
    """A foyer fiscal: one or two déclarants, their personnes à charge, an avis per income year."""

    nom: str | None = Field(default=None, max_length=60)  # a label of the integrator's (Foyer.persona)
    declarants: list[Declarant] = Field(min_length=1, max_length=2)
    situation_famille: Literal["M", "O", "C", "D", "V"] | None = None  # default M for two, C for one
    pac: Pac = Field(default_factory=Pac)
    parent_isole: bool = False
    adresse: Adresse = Field(default_factory=Adresse)
    avis: list[Avis] = Field(default_factory=list)
    taxe_habitation: list[TaxeHabitation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _coherent(self) -> Foyer:
        if self.situation_famille is None:
            self.situation_famille = "M" if len(self.declarants) == 2 else "C"
        if len(self.declarants) == 2 and self.situation_famille not in ("M", "O"):
            raise ValueError("situation_famille : deux déclarants supposent M (mariés) ou O (pacsés)")
        if len(self.declarants) == 1 and self.situation_famille in ("M", "O"):
            raise ValueError("situation_famille : M ou O supposent deux déclarants")
        spis = [d.spi for d in self.declarants if d.spi]
        if len(spis) != len(set(spis)):
            raise ValueError("declarants : les deux déclarants ont le même SPI")
        for field_name, years in (
            ("avis", [a.annee for a in self.avis]),
            ("taxe_habitation", [t.annee for t in self.taxe_habitation]),
        ):
            if len(years) != len(set(years)):
                raise ValueError(f"{field_name} : une année figure deux fois")
        return self


# ---------------------------------------------------------------------------------------------------
# API FICOBA

DROITS_PAR_NOM: dict[str, int] = {
    "titulaire": nom.TITULAIRE,
    "procuration": nom.PROCURATION,
    "mandataire": nom.MANDATAIRE,
    "etci_ei": nom.ETCI_EI,
    "beneficiaire_effectif": nom.BENEFICIAIRE_EFFECTIF,
}


class AdresseFicoba(_Strict):
    numero_voie: str | None = Field(default=None, pattern=r"^\d{1,4}$")
    indice_repetition: str | None = Field(default=None, max_length=3)
    code_nature_voie: str | None = Field(default=None, max_length=4)
    libelle_voie: str | None = Field(default=None, max_length=80)
    libelle_compl_adr: str | None = Field(default=None, max_length=50)
    code_postal: str | None = Field(default=None, pattern=r"^\d{5}$")
    code_departement: str | None = Field(default=None, pattern=r"^(\d{2}|2[AB]|97\d)$")
    code_commune: str | None = Field(default=None, pattern=r"^\d{2,3}$")
    libelle_commune: str | None = Field(default=None, max_length=80)
    code_pays: str = Field(default="99100", pattern=r"^99\d{3}$")


class Personne(_Strict):
    """A person (``spi`` alone: the déclarant of that SPI, or FICOBA's person already on file; else the
    état civil) or a legal entity (``raison_sociale``; SIREN and SIRET computed when not given)."""

    spi: str | None = None
    nom_naissance: str | None = Field(default=None, max_length=80)
    nom_usage: str | None = Field(default=None, max_length=80)
    prenoms: str | None = Field(default=None, max_length=80)
    sexe: Literal["M", "F", "1", "2", "3", "4"] | None = None
    date_naissance: date | None = None
    code_pays_naissance: str = Field(default="99100", pattern=r"^99\d{3}$")
    code_departement_naissance: str | None = Field(default=None, pattern=r"^(\d{2}|2[AB]|97\d)$")
    code_commune_naissance: str | None = Field(default=None, pattern=r"^\d{2,3}$")
    libelle_commune_naissance: str | None = Field(default=None, max_length=35)
    date_deces: date | None = None
    raison_sociale: str | None = Field(default=None, max_length=80)
    sigle: str | None = Field(default=None, max_length=80)
    enseigne: str | None = Field(default=None, max_length=80)
    categorie_juridique: str | None = Field(default=None, pattern=r"^\d{4}$")
    siren: str | None = None
    siret: str | None = None
    numero_rna: str | None = Field(default=None, pattern=r"^W\d{9}$")
    adresse: AdresseFicoba = Field(default_factory=AdresseFicoba)

    _spi = field_validator("spi")(_check_spi)

    @field_validator("siren")
    @classmethod
    def _siren(cls, value: str | None) -> str | None:
        if value is not None and not (len(value) == 9 and value.isdigit() and luhn.is_valid(value)):
            raise ValueError("SIREN invalide (9 chiffres, clé de Luhn)")
        return value

    @field_validator("siret")
    @classmethod
    def _siret(cls, value: str | None) -> str | None:
        if value is not None and not (len(value) == 14 and value.isdigit() and luhn.is_valid(value)):
            raise ValueError("SIRET invalide (14 chiffres, clé de Luhn)")
        return value

    @property
    def morale(self) -> bool:
        return self.raison_sociale is not None

    @model_validator(mode="after")
    def _kind(self) -> Personne:
        if self.morale:
            if self.siren and self.siret and not self.siret.startswith(self.siren):
                raise ValueError("siret : ne commence pas par le SIREN")
            return self
        if self.spi is None and not (self.nom_naissance and self.prenoms and self.date_naissance and self.sexe):
            raise ValueError(
                "donnez un spi, ou nom_naissance, prenoms, sexe et date_naissance "
                "(ou raison_sociale pour une personne morale)"
            )
        return self


class Droit(_Strict):
    droit: Literal["titulaire", "procuration", "mandataire", "etci_ei", "beneficiaire_effectif"] = "titulaire"
    personne: Personne
    debut: date | None = None  # default: the account's opening
    fin: date | None = None  # default: the account's closing


# The account's codes and their reference tables (protocole technique Ficoba3 v8).
_COMPTE_CODES: dict[str, tuple[str, dict[Any, str]]] = {
    "nature": ("nature de compte inconnue (annexe 1", nom.NATURES),
    "type": ("type de compte inconnu (annexe 2", nom.TYPES),
    "caracteristique": ("caractéristique inconnue (annexe 3", nom.CARACTERISTIQUES),
    "motif_ouverture": ("motif d'ouverture inconnu (§8.5.3.2", nom.MOTIFS_OUVERTURE),
}


class Compte(_Strict):
    """An account (or a safe-deposit box, nature 500, numbered ``FC…``) at a guichet FICOBA knows."""

    iban: str | None = None
    banque: str | None = Field(default=None, pattern=r"^\d{5}$")
    guichet: str | None = Field(default=None, pattern=r"^\d{5}$")
    numero: str | None = Field(default=None, pattern=r"^[0-9A-Z]{11}$")
    nature: int = 101
    type: int = 1
    caracteristique: int = 1
    motif_ouverture: str = "0"
    ouverture: date = date(2020, 1, 2)
    cloture: date | None = None
    date_fiscale: date | None = None
    succession: bool = False
    non_resident: bool = False
    devise: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    droits: list[Droit] = Field(min_length=1, max_length=20)

    @field_validator("iban")
    @classmethod
    def _iban(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.replace(" ", "").upper()
        if not is_valid_iban(value):
            raise ValueError("IBAN invalide (FR ou FC, 27 caractères, clés IBAN et RIB)")
        return value

    @field_validator("nature", "type", "caracteristique", "motif_ouverture")
    @classmethod
    def _code(cls, value: Any, info: ValidationInfo) -> Any:
        what, table = _COMPTE_CODES[info.field_name or ""]
        if value not in table:
            raise ValueError(f"{what} : {', '.join(map(str, table))})")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Compte:
        if self.iban is not None:
            if self.iban.startswith("FC") != (self.nature == nom.COFFRE_FORT):
                raise ValueError("iban : un coffre-fort (nature 500) se numérote FC…, un compte FR…")
            bank, branch = self.iban[4:9], self.iban[9:14]
            if (self.banque or bank) != bank or (self.guichet or branch) != branch:
                raise ValueError("banque / guichet : ne correspondent pas à l'IBAN")
            self.banque, self.guichet = bank, branch
        elif (self.banque is None) != (self.guichet is None):
            raise ValueError("banque et guichet : donnez les deux, ou aucun")
        if self.cloture is not None and self.cloture < self.ouverture:
            raise ValueError("cloture : antérieure à l'ouverture")
        if not any(d.droit == "titulaire" for d in self.droits):
            raise ValueError("droits : un compte a au moins un titulaire")
        return self


# ---------------------------------------------------------------------------------------------------
# FranceConnect


class Identite(_Strict):
    """A citizen of the demo identity provider (password ``123``). With ``spi``: linked to that
    déclarant, whose état civil fills the identité pivot unless given (the réconciliation finds him)."""

    login: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.@-]{1,60}$")  # default: the SPI
    spi: str | None = None
    given_name: str | None = Field(default=None, max_length=200)
    family_name: str | None = Field(default=None, max_length=100)
    preferred_username: str | None = Field(default=None, max_length=100)
    birthdate: date | None = None
    gender: Literal["male", "female"] | None = None
    birthplace: str | None = Field(default=None, pattern=r"^(\d{5}|2[AB]\d{3}|)$")
    birthcountry: str | None = Field(default=None, pattern=r"^99\d{3}$")
    email: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=300)

    _spi = field_validator("spi")(_check_spi)

    @model_validator(mode="after")
    def _enough(self) -> Identite:
        if self.spi is None:
            missing = [f for f in ("login", "given_name", "family_name", "birthdate", "gender") if not getattr(self, f)]
            if missing:
                raise ValueError(f"sans spi, donnez {', '.join(missing)}")
        return self


class DataFile(_Strict):
    """A data file: ``foyers``, ``comptes``, ``identites`` (each optional)."""

    foyers: list[Foyer] = Field(default_factory=list)
    comptes: list[Compte] = Field(default_factory=list)
    identites: list[Identite] = Field(default_factory=list)
