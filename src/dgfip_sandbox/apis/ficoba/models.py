"""API FICOBA's response bodies, as DGFIP's swagger ``FICOBA_API`` v2 names them.

One class per published component schema of a response (``ReponseListeFinaleComptes…``, ``EtatSante``,
``ReponseErreur``), with the published field names and JSON types; the routes declare them for their
answers and the served OpenAPI document takes its schemas from them. Request bodies are validated by
``schemas.py`` (strict models, FICOBA's CAF/CAT codes). Every field is optional, as published.
Written from the swagger with datamodel-code-generator, then kept by hand.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field


class _Published(BaseModel):
    """A published schema, closed: the served document says exactly which fields the sandbox returns
    (``additionalProperties: false``), so that Schemathesis notices any field it does not declare."""

    model_config = ConfigDict(extra="forbid")


class EtatSante(_Published):
    descriptif: Annotated[
        str | None,
        Field(
            description="L'API est opérationnelle",
            examples=["L'API est opérationnelle"],
        ),
    ] = None


class ReponseErreur(_Published):
    code: str | None = None
    message: str | None = None
    horodatage: str | None = None


class ResultatErreurApiSante(_Published):
    erreur: ReponseErreur | None = None


class AdresseGuichet(_Published):
    libAdr1: str | None = None
    libAdr2: str | None = None
    libAdr3: str | None = None
    libAdr4: str | None = None


class CaracteristiqueCompte(_Published):
    codeCaracteristique: int | None = None
    libelleCaracteristique: str | None = None


class DemandeRestit(_Published):
    dateDemande: str | None = None
    motif: str | None = None
    siretDemandeur: str | None = None
    sirenDemandeur: str | None = None
    justification: str | None = None
    # The request's criteria, echoed as sent (the protocol's answer examples show them); not in the
    # swagger's DemandeRestit: docs/ficoba.md, Departures.
    criteresRecherche: dict[str, Any] | None = None


class DeviseCompte(_Published):
    codeDevise: str | None = None


class EtablissementBancaire(_Published):
    numeroEtablissement: str | None = None
    libelleEtablissement: str | None = None
    bicEtablissement: str | None = None


class GuichetDto(_Published):
    numeroGuichet: str | None = None
    libelleGuichet: str | None = None
    adresse: AdresseGuichet | None = None


class NatureCompteDto(_Published):
    codeNature: int | None = None
    libelleNature: str | None = None


class ReponseVerifCompte(_Published):
    ibanExistant: str | None = None
    dateCloture: str | None = None


class TitulaireCompte(BaseModel):
    """Published as a bare object: a personne physique or morale (annexe 3; ``anneNaissance`` sic)."""


class TypeCompte(_Published):
    codeType: int | None = None
    libelleType: str | None = None


class Adresse(_Published):
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


class PersonneMorale(_Published):
    raisonSociale: str | None = None
    sigle: str | None = None
    enseigne: str | None = None
    siret: str | None = None
    categorieJuridique: int | None = None
    siren: str | None = None
    adresse: Adresse | None = None
    scoreAppariement: float | None = None


class CommuneNaissance(_Published):
    codeCommune: str | None = None
    libelleCommune: str | None = None


class DepartementNaissance(_Published):
    codeDepartement: str | None = None
    libelleDepartement: str | None = None


class PaysNaissance(_Published):
    codePays: str | None = None
    libellePays: str | None = None


class PersonnePhysique(_Published):
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


class CompteMultiDet(_Published):
    iban: str | None = None
    nature: str | None = None
    dateOuverture: str | None = None
    dateFiscale: str | None = None
    codeMotifOuverture: str | None = None
    libelleMotifOuverture: str | None = None
    codeEtab: str | None = None
    guichet: GuichetDto | None = None


class ReponseMultiDetention(_Published):
    caracteristiquesDemande: DemandeRestit | None = None
    referenceDemande: str | None = None
    nombreReponses: str | None = None
    messageInformatif: ReponseErreur | None = None
    # The count, under the swagger's name and under the protocol's (``nRep``), with the same value
    # (searches.py): docs/ficoba.md, Departures.
    getnRep: str | None = None
    nRep: str | None = None
    comptes: list[CompteMultiDet] | None = None


class CompteCaracteristiques(_Published):
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


class EtablissementGestionnaire(_Published):
    etablissement: EtablissementBancaire | None = None
    guichet: GuichetDto | None = None


class CompteStructure(_Published):
    caracteristiqueCompte: CompteCaracteristiques | None = None
    etablissementGestionnaire: EtablissementGestionnaire | None = None
    ayantsDroits: list[TitulaireCompte] | None = None


class ReponseListeComptes(_Published):
    caracteristiquesDemande: DemandeRestit | None = None
    referenceDemande: str | None = None
    nombreReponses: str | None = None
    messageInformatif: ReponseErreur | None = None
    comptes: list[CompteStructure] | None = None
    verificationCompte: ReponseVerifCompte | None = None


class ReponseListeFinaleComptes(_Published):
    caracteristiquesDemande: DemandeRestit | None = None
    referenceDemande: str | None = None
    nombreReponses: str | None = None
    messageInformatif: ReponseErreur | None = None
    reponses: ReponseListeComptes | None = None


class ReponseListeComptesPourPM(_Published):
    caracteristiquesDemande: DemandeRestit | None = None
    referenceDemande: str | None = None
    nombreReponses: str | None = None
    messageInformatif: ReponseErreur | None = None
    personneRecherche: PersonneMorale | None = None
    nombreComptes: str | None = None
    comptes: list[CompteStructure] | None = None


class ReponseListeFinaleComptesPourPM(_Published):
    caracteristiquesDemande: DemandeRestit | None = None
    referenceDemande: str | None = None
    nombreReponses: str | None = None
    messageInformatif: ReponseErreur | None = None
    reponses: list[ReponseListeComptesPourPM] | None = None


class ReponseListeComptesPourPP(_Published):
    caracteristiquesDemande: DemandeRestit | None = None
    referenceDemande: str | None = None
    nombreReponses: str | None = None
    messageInformatif: ReponseErreur | None = None
    personneRecherche: PersonnePhysique | None = None
    nombreComptes: str | None = None
    comptes: list[CompteStructure] | None = None


class ReponseListeFinaleComptesPourPP(_Published):
    caracteristiquesDemande: DemandeRestit | None = None
    referenceDemande: str | None = None
    nombreReponses: str | None = None
    messageInformatif: ReponseErreur | None = None
    reponses: list[ReponseListeComptesPourPP] | None = None
