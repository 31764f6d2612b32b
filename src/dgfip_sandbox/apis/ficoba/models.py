"""API FICOBA's response bodies, as DGFIP's swagger ``FICOBA_API`` v2 names them.

One class per published component schema of a response (``ReponseListeFinaleComptes…``, ``EtatSante``,
``ReponseErreur``), with the published field names and JSON types; the routes declare them for their
answers and the served OpenAPI document takes its schemas from them. Request bodies are validated by
``schemas.py`` (strict models, FICOBA's CAF/CAT codes). Every field is optional, as published.
Written from the swagger with datamodel-code-generator, then kept by hand.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field


class EtatSante(BaseModel):
    descriptif: Annotated[
        str | None,
        Field(
            description="L'API est opérationnelle",
            examples=["L'API est opérationnelle"],
        ),
    ] = None


class ReponseErreur(BaseModel):
    code: str | None = None
    message: str | None = None
    horodatage: str | None = None


class ResultatErreurApiSante(BaseModel):
    erreur: ReponseErreur | None = None


class AdresseGuichet(BaseModel):
    libAdr1: str | None = None
    libAdr2: str | None = None
    libAdr3: str | None = None
    libAdr4: str | None = None


class CaracteristiqueCompte(BaseModel):
    codeCaracteristique: int | None = None
    libelleCaracteristique: str | None = None


class DemandeRestit(BaseModel):
    dateDemande: str | None = None
    motif: str | None = None
    siretDemandeur: str | None = None
    sirenDemandeur: str | None = None
    justification: str | None = None


class DeviseCompte(BaseModel):
    codeDevise: str | None = None


class EtablissementBancaire(BaseModel):
    numeroEtablissement: str | None = None
    libelleEtablissement: str | None = None
    bicEtablissement: str | None = None


class GuichetDto(BaseModel):
    numeroGuichet: str | None = None
    libelleGuichet: str | None = None
    adresse: AdresseGuichet | None = None


class NatureCompteDto(BaseModel):
    codeNature: int | None = None
    libelleNature: str | None = None


class ReponseVerifCompte(BaseModel):
    ibanExistant: str | None = None
    dateCloture: str | None = None


class TitulaireCompte(BaseModel):
    pass


class TypeCompte(BaseModel):
    codeType: int | None = None
    libelleType: str | None = None


class Adresse(BaseModel):
    codePaysResidence: str | None = None
    libellePaysResidence: str | None = None
    codeDepartementResidence: str | None = None
    libelleDepartementResidence: str | None = None
    codeCommuneResidence: str | None = None
    libelleCommuneResidence: str | None = None
    codeNatureVoie: str | None = None
    libelleVoie: str | None = None
    numeroVoie: str | None = None
    indiceRepetition: str | None = None
    indicateurCodifAdresse: str | None = None
    codePostal: str | None = None
    libelleComplAdr: str | None = None


class PersonneMorale(BaseModel):
    raisonSociale: str | None = None
    sigle: str | None = None
    enseigne: str | None = None
    siret: str | None = None
    categorieJuridique: int | None = None
    siren: str | None = None
    adresse: Adresse | None = None
    scoreAppariement: float | None = None


class CommuneNaissance(BaseModel):
    codeCommune: str | None = None
    libelleCommune: str | None = None


class DepartementNaissance(BaseModel):
    codeDepartement: str | None = None
    libelleDepartement: str | None = None


class PaysNaissance(BaseModel):
    codePays: str | None = None
    libellePays: str | None = None


class PersonnePhysique(BaseModel):
    nomNaissance: str | None = None
    nomUsage: str | None = None
    prenom: str | None = None
    sexe: str | None = None
    anneeNaissance: str | None = None
    moisNaissance: str | None = None
    jourNaissance: str | None = None
    dateDeces: str | None = None
    paysNaissance: PaysNaissance | None = None
    departementNaissance: DepartementNaissance | None = None
    communeNaissance: CommuneNaissance | None = None
    numeroSpi: int | None = None
    adresse: Adresse | None = None
    scoreAppariement: float | None = None


class CompteMultiDet(BaseModel):
    iban: str | None = None
    nature: str | None = None
    dateOuverture: str | None = None
    dateFiscale: str | None = None
    codeMotifOuverture: str | None = None
    libelleMotifOuverture: str | None = None
    codeEtab: str | None = None
    guichet: GuichetDto | None = None


class ReponseMultiDetention(BaseModel):
    caracteristiquesDemande: DemandeRestit | None = None
    referenceDemande: str | None = None
    nombreReponses: str | None = None
    messageInformatif: ReponseErreur | None = None
    getnRep: str | None = None
    comptes: list[CompteMultiDet] | None = None


class CompteCaracteristiques(BaseModel):
    iban: str | None = None
    dateOuverture: str | None = None
    dateFiscale: str | None = None
    codeMotifOuverture: str | None = None
    libelleMotifOuverture: str | None = None
    dateCloture: str | None = None
    nature: NatureCompteDto | None = None
    type: TypeCompte | None = None
    formatCompte: str | None = None
    caracteristique: CaracteristiqueCompte | None = None
    succession: str | None = None
    resident: str | None = None
    devise: DeviseCompte | None = None


class EtablissementGestionnaire(BaseModel):
    etablissement: EtablissementBancaire | None = None
    guichet: GuichetDto | None = None


class CompteStructure(BaseModel):
    caracteristiqueCompte: CompteCaracteristiques | None = None
    etablissementGestionnaire: EtablissementGestionnaire | None = None
    ayantsDroits: list[TitulaireCompte] | None = None


class ReponseListeComptes(BaseModel):
    caracteristiquesDemande: DemandeRestit | None = None
    referenceDemande: str | None = None
    nombreReponses: str | None = None
    messageInformatif: ReponseErreur | None = None
    comptes: list[CompteStructure] | None = None
    verificationCompte: ReponseVerifCompte | None = None


class ReponseListeFinaleComptes(BaseModel):
    caracteristiquesDemande: DemandeRestit | None = None
    referenceDemande: str | None = None
    nombreReponses: str | None = None
    messageInformatif: ReponseErreur | None = None
    reponses: ReponseListeComptes | None = None


class ReponseListeComptesPourPM(BaseModel):
    caracteristiquesDemande: DemandeRestit | None = None
    referenceDemande: str | None = None
    nombreReponses: str | None = None
    messageInformatif: ReponseErreur | None = None
    personneRecherche: PersonneMorale | None = None
    nombreComptes: str | None = None
    comptes: list[CompteStructure] | None = None


class ReponseListeFinaleComptesPourPM(BaseModel):
    caracteristiquesDemande: DemandeRestit | None = None
    referenceDemande: str | None = None
    nombreReponses: str | None = None
    messageInformatif: ReponseErreur | None = None
    reponses: list[ReponseListeComptesPourPM] | None = None


class ReponseListeComptesPourPP(BaseModel):
    caracteristiquesDemande: DemandeRestit | None = None
    referenceDemande: str | None = None
    nombreReponses: str | None = None
    messageInformatif: ReponseErreur | None = None
    personneRecherche: PersonnePhysique | None = None
    nombreComptes: str | None = None
    comptes: list[CompteStructure] | None = None


class ReponseListeFinaleComptesPourPP(BaseModel):
    caracteristiquesDemande: DemandeRestit | None = None
    referenceDemande: str | None = None
    nombreReponses: str | None = None
    messageInformatif: ReponseErreur | None = None
    reponses: list[ReponseListeComptesPourPP] | None = None
