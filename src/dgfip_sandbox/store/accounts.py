"""FICOBA's file: établissements, guichets, accounts (and safe-deposit boxes), the people and legal
entities who hold rights on them, and the counter behind ``referenceDemande``.

People are linked to API Impôt particulier's ``declarants`` by SPI value only (no foreign key): FICOBA
is fed by the banks' declarations, not by the tax file, and holds its own copy of each état civil.

Searches by état civil / dénomination run on normalised keys (``*_norm`` columns, see
``apis/ficoba/matching.normalise``) held in indexed columns, so that they stay an index lookup as the
file grows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    insert,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from dgfip_sandbox.store.base import Base


class Etablissement(Base):
    __tablename__ = "ficoba_etablissements"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)  # code banque (5 digits)
    libelle: Mapped[str] = mapped_column(String(50))
    bic: Mapped[str] = mapped_column(String(11))


class Guichet(Base):
    __tablename__ = "ficoba_guichets"
    __table_args__ = (UniqueConstraint("etablissement_code", "code", name="uq_ficoba_guichets_etab_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    etablissement_code: Mapped[str] = mapped_column(ForeignKey("ficoba_etablissements.code"))
    code: Mapped[str] = mapped_column(String(5))
    libelle: Mapped[str] = mapped_column(String(50))
    lib_adr1: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lib_adr2: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lib_adr3: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lib_adr4: Mapped[str | None] = mapped_column(String(100), nullable=True)

    etablissement: Mapped[Etablissement] = relationship(lazy="joined")


class Personne(Base):
    """A personne physique (kind "PP") or morale ("PM") known to FICOBA, with its address."""

    __tablename__ = "ficoba_personnes"
    __table_args__ = (
        Index("ix_ficoba_personnes_nom_annee", "nom_norm", "annee_naissance"),
        Index("ix_ficoba_personnes_usage_annee", "nom_usage_norm", "annee_naissance"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(2))  # "PP" | "PM"
    spi: Mapped[str | None] = mapped_column(String(13), nullable=True, index=True)

    # Personne physique
    nom_naissance: Mapped[str | None] = mapped_column(String(80), nullable=True)
    nom_usage: Mapped[str | None] = mapped_column(String(80), nullable=True)
    prenoms: Mapped[str | None] = mapped_column(String(80), nullable=True)
    sexe: Mapped[str | None] = mapped_column(String(1), nullable=True)  # 1 M, 2 F, 3 inconnu, 4 non défini
    annee_naissance: Mapped[str | None] = mapped_column(String(4), nullable=True)
    mois_naissance: Mapped[str | None] = mapped_column(String(2), nullable=True)  # "00" if unknown
    jour_naissance: Mapped[str | None] = mapped_column(String(2), nullable=True)  # "00" if unknown
    code_pays_naissance: Mapped[str | None] = mapped_column(String(5), nullable=True)
    code_departement_naissance: Mapped[str | None] = mapped_column(String(3), nullable=True)
    code_commune_naissance: Mapped[str | None] = mapped_column(String(3), nullable=True)
    libelle_commune_naissance: Mapped[str | None] = mapped_column(String(35), nullable=True)
    date_deces: Mapped[date | None] = mapped_column(Date, nullable=True)

    # Personne morale
    raison_sociale: Mapped[str | None] = mapped_column(String(80), nullable=True)
    sigle: Mapped[str | None] = mapped_column(String(80), nullable=True)
    enseigne: Mapped[str | None] = mapped_column(String(80), nullable=True)
    categorie_juridique: Mapped[str | None] = mapped_column(String(4), nullable=True)
    type_repertoire: Mapped[str | None] = mapped_column(String(70), nullable=True)
    siren: Mapped[str | None] = mapped_column(String(9), nullable=True, index=True)
    siret: Mapped[str | None] = mapped_column(String(14), nullable=True, index=True)
    numero_copro: Mapped[str | None] = mapped_column(String(10), nullable=True)
    numero_rna: Mapped[str | None] = mapped_column(String(10), nullable=True)
    numero_lei: Mapped[str | None] = mapped_column(String(20), nullable=True)

    # Adresse (résidence / siège)
    code_pays_residence: Mapped[str] = mapped_column(String(5), default="99100")
    code_departement_residence: Mapped[str | None] = mapped_column(String(3), nullable=True)
    code_commune_residence: Mapped[str | None] = mapped_column(String(3), nullable=True)
    libelle_commune_residence: Mapped[str | None] = mapped_column(String(80), nullable=True)
    numero_voie: Mapped[str | None] = mapped_column(String(4), nullable=True)
    indice_repetition: Mapped[str | None] = mapped_column(String(3), nullable=True)
    code_nature_voie: Mapped[str | None] = mapped_column(String(4), nullable=True)
    libelle_voie: Mapped[str | None] = mapped_column(String(80), nullable=True)
    libelle_compl_adr: Mapped[str | None] = mapped_column(String(50), nullable=True)
    code_postal: Mapped[str | None] = mapped_column(String(5), nullable=True)

    # Normalised search keys (upper case, accents and special characters turned into spaces)
    nom_norm: Mapped[str | None] = mapped_column(String(80), nullable=True)
    nom_usage_norm: Mapped[str | None] = mapped_column(String(80), nullable=True)
    prenoms_norm: Mapped[str | None] = mapped_column(String(80), nullable=True)
    raison_sociale_norm: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    sigle_norm: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    enseigne_norm: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)


class Compte(Base):
    __tablename__ = "ficoba_comptes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iban: Mapped[str] = mapped_column(String(27), unique=True)  # FR… accounts, FC… safe-deposit boxes
    guichet_id: Mapped[int] = mapped_column(ForeignKey("ficoba_guichets.id"), index=True)
    date_ouverture: Mapped[date] = mapped_column(Date)
    date_fiscale: Mapped[date | None] = mapped_column(Date, nullable=True)
    code_motif_ouverture: Mapped[str] = mapped_column(String(1), default="0")
    date_cloture: Mapped[date | None] = mapped_column(Date, nullable=True)
    code_nature: Mapped[int] = mapped_column(Integer, index=True)
    code_type: Mapped[int] = mapped_column(Integer)
    code_caracteristique: Mapped[int] = mapped_column(Integer, default=1)
    succession: Mapped[bool] = mapped_column(default=False)
    non_resident: Mapped[bool] = mapped_column(default=False)
    devise: Mapped[str] = mapped_column(String(3), default="EUR")

    guichet: Mapped[Guichet] = relationship(lazy="joined")
    droits: Mapped[list[Droit]] = relationship(back_populates="compte", order_by="Droit.id")


class Droit(Base):
    """A person's right on an account: 1 titulaire, 2 procuration, 6 mandataire, 8 etci ei, 9 bénéficiaire effectif."""

    __tablename__ = "ficoba_droits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    compte_id: Mapped[int] = mapped_column(ForeignKey("ficoba_comptes.id", ondelete="CASCADE"), index=True)
    personne_id: Mapped[int] = mapped_column(ForeignKey("ficoba_personnes.id", ondelete="CASCADE"), index=True)
    droit: Mapped[int] = mapped_column(Integer)
    date_debut: Mapped[date] = mapped_column(Date)
    date_fin: Mapped[date | None] = mapped_column(Date, nullable=True)
    date_maj: Mapped[date] = mapped_column(Date)

    compte: Mapped[Compte] = relationship(back_populates="droits")
    personne: Mapped[Personne] = relationship(lazy="joined")


class Demande(Base):
    """One row per search: its id is the number in ``referenceDemande`` (unique across replicas)."""

    __tablename__ = "ficoba_demandes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    consumer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    route: Mapped[str] = mapped_column(String(20))


# --------------------------------------------------------------------------------------------------
# Queries


async def new_demande(session: AsyncSession, *, at: datetime, consumer_id: int | None, route: str) -> int:
    result = await session.execute(
        insert(Demande).values(at=at, consumer_id=consumer_id, route=route).returning(Demande.id)
    )
    return int(result.scalar_one())


async def compte_by_iban(session: AsyncSession, iban: str) -> Compte | None:
    return (
        await session.execute(select(Compte).where(Compte.iban == iban).options(selectinload(Compte.droits)))
    ).scalar_one_or_none()


async def personnes_by_spi(session: AsyncSession, spi: str) -> list[Personne]:
    rows = await session.execute(
        select(Personne).where(Personne.spi == spi, Personne.kind == "PP").order_by(Personne.id)
    )
    return list(rows.scalars().all())


async def personnes_morales_by_siren(session: AsyncSession, *, siren: str | None, siret: str | None) -> list[Personne]:
    query = select(Personne).where(Personne.kind == "PM")
    query = query.where(Personne.siret == siret) if siret else query.where(Personne.siren == siren)
    return list((await session.execute(query.order_by(Personne.id))).scalars().all())


async def personnes_physiques_candidates(
    session: AsyncSession, *, nom: str, annee_min: str, annee_max: str, limit: int = 500
) -> list[Personne]:
    """People whose normalised birth or usage name is ``nom``, born between the two years (inclusive).

    Both conditions use the composite indexes (nom_norm|nom_usage_norm, annee_naissance).
    """
    query = (
        select(Personne)
        .where(
            Personne.kind == "PP",
            or_(
                (Personne.nom_norm == nom) & Personne.annee_naissance.between(annee_min, annee_max),
                (Personne.nom_usage_norm == nom) & Personne.annee_naissance.between(annee_min, annee_max),
            ),
        )
        .order_by(Personne.id)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars().all())


async def personnes_morales_candidates(
    session: AsyncSession, *, raison_sociale: str | None, sigle: str | None, enseigne: str | None, limit: int = 500
) -> list[Personne]:
    conditions = []
    if raison_sociale:
        conditions.append(Personne.raison_sociale_norm == raison_sociale)
    if sigle:
        conditions.append(Personne.sigle_norm == sigle)
    if enseigne:
        conditions.append(Personne.enseigne_norm == enseigne)
    if not conditions:
        return []
    query = select(Personne).where(Personne.kind == "PM", or_(*conditions)).order_by(Personne.id).limit(limit)
    return list((await session.execute(query)).scalars().all())


async def comptes_of(
    session: AsyncSession, personne_ids: Iterable[int], *, droits: Sequence[int] | None = None
) -> dict[int, list[Compte]]:
    """Accounts on which each person holds a right (any right unless ``droits`` is given), with every
    right on them loaded; keyed by person id, accounts in opening order."""
    ids = list(dict.fromkeys(personne_ids))
    if not ids:
        return {}
    query = select(Droit.personne_id, Droit.compte_id).where(Droit.personne_id.in_(ids))
    if droits is not None:
        query = query.where(Droit.droit.in_(list(droits)))
    links = (await session.execute(query)).all()
    compte_ids = {compte_id for _, compte_id in links}
    comptes: dict[int, Compte] = {}
    if compte_ids:
        rows = await session.execute(
            select(Compte).where(Compte.id.in_(compte_ids)).options(selectinload(Compte.droits))
        )
        comptes = {c.id: c for c in rows.scalars().all()}
    result: dict[int, list[Compte]] = {pid: [] for pid in ids}
    for personne_id, compte_id in links:
        if compte_id in comptes and comptes[compte_id] not in result[personne_id]:
            result[personne_id].append(comptes[compte_id])
    for comptes_list in result.values():
        comptes_list.sort(key=lambda c: (c.date_ouverture, c.id))
    return result
