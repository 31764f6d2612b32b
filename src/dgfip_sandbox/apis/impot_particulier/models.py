"""API Impôt particulier's response bodies, as DGFIP's swagger (``api-impot-particulier.json``) names them.

One class per published component schema (``…JAXBbean``), with the published field names and JSON types;
the routes declare them for their 200 answers (router.RESOURCES), and the served OpenAPI document takes its
schemas from them. Every field is optional, as published (no ``required`` list): the service omits what the
consumer's DataPass scopes do not grant. Written from the swagger with datamodel-code-generator, then kept
by hand.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Published(BaseModel):
    """A published schema, closed: the served document says exactly which fields the sandbox returns
    (``additionalProperties: false``), so that Schemathesis notices any field it does not declare."""

    model_config = ConfigDict(extra="forbid")


class AftJAXBbean(_Published):
    complementAdresse: str | None = None
    voie: str | None = None
    getcommune: str | None = None
    getcodePostal: str | None = None


class CodeRevJAXBbean(_Published):
    code: str | None = None
    valeur: str | None = None


class DateNaisDecJAXBbean(_Published):
    jour: str | None = None
    mois: str | None = None
    annee: str | None = None


class PacJAXBbean(_Published):
    nbPac: int | None = None
    nbPacF: int | None = None
    nbPacG: int | None = None
    nbPacH: int | None = None
    nbPacI: int | None = None
    nbPacR: int | None = None
    nbPacJ: int | None = None
    nbPacN: int | None = None
    nbPacP: int | None = None


class RevsJAXBbean(_Published):
    tspr: list[CodeRevJAXBbean] | None = None
    rcm: list[CodeRevJAXBbean] | None = None
    pv: list[CodeRevJAXBbean] | None = None
    fonc: list[CodeRevJAXBbean] | None = None
    pro: list[CodeRevJAXBbean] | None = None
    chges: list[CodeRevJAXBbean] | None = None
    rici: list[CodeRevJAXBbean] | None = None
    alpha: list[CodeRevJAXBbean] | None = None
    div: list[CodeRevJAXBbean] | None = None


class SitPartJAXBbean(_Published):
    sitPartP: str | None = None
    sitPartF: str | None = None
    sitPartW: str | None = None
    sitComb: str | None = None
    pensVeufGuerre: str | None = None
    indEnfSeul5ansMin: str | None = None
    indNonSeul: str | None = None


class SituationsIRAssiettesMillesimeJAXBbean(_Published):
    annRevenu: int | None = None
    rfr: int | None = None
    sitFam: str | None = None
    nbPart: float | None = None
    pac: PacJAXBbean | None = None
    nmNaiDec1: str | None = None
    nmUsaDec1: str | None = None
    prnmDec1: str | None = None
    dateNaisDec1: DateNaisDecJAXBbean | None = None
    dptNaissDec1: str | None = None
    lieuNaissDec1: str | None = None
    nmNaiDec2: str | None = None
    nmUsaDec2: str | None = None
    prnmDec2: str | None = None
    dateNaisDec2: DateNaisDecJAXBbean | None = None
    dptNaissDec2: str | None = None
    lieuNaissDec2: str | None = None
    aft: str | None = None
    aftDetail: AftJAXBbean | None = None
    sitParIso: str | None = None
    pensAlPer: int | None = None
    indDeficit: str | None = None
    revenuBrutGlobal: int | None = None
    sitPart: str | None = None
    sitParDeclaree: SitPartJAXBbean | None = None
    indOptionImpotSepar: str | None = None
    mntRevbareme: int | None = None
    datRec: str | None = None
    datEtab: str | None = None
    impAvImput: int | None = None
    montTotIr: int | None = None
    revImposable: int | None = None
    numRole: str | None = None
    fipNum: str | None = None
    rev: RevsJAXBbean | None = None


class OuvertureLepJAXBbean(_Published):
    statut: str | None = None


class SituationIRAssietteMultiJAXBbean(_Published):
    rfr: int | None = None
    sitFam: str | None = None
    nbPart: float | None = None
    pac: PacJAXBbean | None = None
    nmNaiDec1: str | None = None
    nmUsaDec1: str | None = None
    prnmDec1: str | None = None
    dateNaisDec1: DateNaisDecJAXBbean | None = None
    dptNaissDec1: str | None = None
    lieuNaissDec1: str | None = None
    nmNaiDec2: str | None = None
    nmUsaDec2: str | None = None
    prnmDec2: str | None = None
    dateNaisDec2: DateNaisDecJAXBbean | None = None
    dptNaissDec2: str | None = None
    lieuNaissDec2: str | None = None
    aft: str | None = None
    aftDetail: AftJAXBbean | None = None
    sitParIso: str | None = None
    pensAlPer: int | None = None
    indDeficit: str | None = None
    revenuBrutGlobal: int | None = None
    rev: RevsJAXBbean | None = None
    sitPart: str | None = None
    sitParDeclaree: SitPartJAXBbean | None = None
    indOptionImpotSepar: str | None = None
    mntRevbareme: int | None = None
    spiDec1: str | None = None
    spiDec2: str | None = None
    datRec: str | None = None
    datEtab: str | None = None
    impAvImput: int | None = None
    montTotIr: int | None = None
    revImposable: int | None = None
    numRole: str | None = None
    fipNum: str | None = None
    dateDebutPeriode: str | None = None
    dateFinPeriode: str | None = None
    typeAvis: int | None = None
    dateDecesdec1: str | None = None
    dateDecesdec2: str | None = None


class SituationsIRAssiettesMultipleJAXBbean(_Published):
    situationsIR: list[SituationIRAssietteMultiJAXBbean] | None = None


class SituationsIRAssiettesJAXBbean(_Published):
    rfr: int | None = None
    sitFam: str | None = None
    nbPart: float | None = None
    pac: PacJAXBbean | None = None
    nmNaiDec1: str | None = None
    nmUsaDec1: str | None = None
    prnmDec1: str | None = None
    dateNaisDec1: DateNaisDecJAXBbean | None = None
    dptNaissDec1: str | None = None
    lieuNaissDec1: str | None = None
    nmNaiDec2: str | None = None
    nmUsaDec2: str | None = None
    prnmDec2: str | None = None
    dateNaisDec2: DateNaisDecJAXBbean | None = None
    dptNaissDec2: str | None = None
    lieuNaissDec2: str | None = None
    aft: str | None = None
    aftDetail: AftJAXBbean | None = None
    sitParIso: str | None = None
    pensAlPer: int | None = None
    indDeficit: str | None = None
    revenuBrutGlobal: int | None = None
    sitPart: str | None = None
    sitParDeclaree: SitPartJAXBbean | None = None
    indOptionImpotSepar: str | None = None
    mntRevbareme: int | None = None
    datRec: str | None = None
    datEtab: str | None = None
    impAvImput: int | None = None
    montTotIr: int | None = None
    revImposable: int | None = None
    numRole: str | None = None
    fipNum: str | None = None
    rev: RevsJAXBbean | None = None


class SituationIRfactureJAXBbean(_Published):
    numLigne: int | None = None
    codeLigne: str | None = None
    libelleLigne: str | None = None
    colonne1: str | None = None
    colonne2: str | None = None
    colonne3: str | None = None
    colonne4: str | None = None


class SituationsIRAssiettesFacturesJAXBbean(_Published):
    rfr: int | None = None
    sitFam: str | None = None
    nbPart: float | None = None
    pac: PacJAXBbean | None = None
    nmNaiDec1: str | None = None
    nmUsaDec1: str | None = None
    prnmDec1: str | None = None
    dateNaisDec1: DateNaisDecJAXBbean | None = None
    dptNaissDec1: str | None = None
    lieuNaissDec1: str | None = None
    nmNaiDec2: str | None = None
    nmUsaDec2: str | None = None
    prnmDec2: str | None = None
    dateNaisDec2: DateNaisDecJAXBbean | None = None
    dptNaissDec2: str | None = None
    lieuNaissDec2: str | None = None
    aft: str | None = None
    aftDetail: AftJAXBbean | None = None
    sitParIso: str | None = None
    pensAlPer: int | None = None
    indDeficit: str | None = None
    revenuBrutGlobal: int | None = None
    sitPart: str | None = None
    sitParDeclaree: SitPartJAXBbean | None = None
    indOptionImpotSepar: str | None = None
    mntRevbareme: int | None = None
    datRec: str | None = None
    datEtab: str | None = None
    impAvImput: int | None = None
    montTotIr: int | None = None
    revImposable: int | None = None
    numRole: str | None = None
    fipNum: str | None = None
    facture: list[SituationIRfactureJAXBbean] | None = None
    rev: RevsJAXBbean | None = None


class SituationIfiIsfJAXBbean(_Published):
    indicateurIfiIsf: str | None = None


class LocTHJAXBbean(_Published):
    natureLocal: str | None = None
    affectation: str | None = None
    invariant: str | None = None


class SituationTHJAXBbean(_Published):
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
    locaux: list[LocTHJAXBbean] | None = None


class SituationsTHJAXBbean(_Published):
    situationsTH: list[SituationTHJAXBbean] | None = None
