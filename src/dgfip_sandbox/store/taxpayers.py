"""Taxpayers of API Impôt particulier: foyers fiscaux, déclarants (by SPI) and their tax situations.

``declarants`` is also what FICOBA (accounts of the same people) and FranceConnect (citizens whose
état civil matches a déclarant) link to.

A ``TaxSituation`` is one avis d'impôt sur le revenu: one foyer, one income year (``annrev``), one
period. A year normally has one period; when a married or pacsé déclarant dies during the year there
are two (before and after the death), each with its own déclarants (``spi_dec1``/``spi_dec2``), which
is what the ``dernieresituation`` and ``multiple`` resources are about. Situations are found by SPI
through ``spi_dec1``/``spi_dec2``, so a déclarant who died only appears in the periods he belonged to.

``payload`` holds the avis in DGFIP's published field names (``rfr``, ``sitFam``, ``nbPart``, ``pac``,
``aft``, ``aftDetail``, ``rev``, ``facture`` …) except the déclarants' état civil, which is read from
``declarants`` when answering. To keep 100,000 foyers small, four parts are stored compactly and
restored by ``expand_payload``: ``facture`` lines as ``[codeLigne, colonne1, colonne2, colonne3,
colonne4]`` (``numLigne`` is the position, ``libelleLigne`` comes from ``FACTURE_LIBELLES``), and only
the non-zero ``pac`` counts, non-empty ``rev`` categories and ticked ``sitParDeclaree`` boxes.
``ThSituation`` holds the taxe d'habitation data (fed until 2022).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from dgfip_sandbox.store.base import Base


class Foyer(Base):
    __tablename__ = "foyers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    persona: Mapped[str | None] = mapped_column(String(60), nullable=True, index=True)


class Declarant(Base):
    __tablename__ = "declarants"
    # The réconciliation's exact fields (FranceConnect finds a déclarant by état civil, names compared in
    # Python): without it, each réconciliation read every déclarant (148,000 for 100,000 foyers).
    __table_args__ = (Index("ix_declarants_naissance", "date_naissance", "sexe", "code_pays_naissance"),)

    spi: Mapped[str] = mapped_column(String(13), primary_key=True)
    foyer_id: Mapped[int] = mapped_column(ForeignKey("foyers.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(Integer)  # 1 or 2
    nom_naissance: Mapped[str] = mapped_column(String(100))
    nom_usage: Mapped[str | None] = mapped_column(String(100), nullable=True)
    prenoms: Mapped[str] = mapped_column(String(200))  # upper case, space-separated
    sexe: Mapped[str] = mapped_column(String(1))  # "M" or "F"
    date_naissance: Mapped[date] = mapped_column(Date)
    code_pays_naissance: Mapped[str] = mapped_column(String(5))  # INSEE COG, 99100 = France
    departement_naissance: Mapped[str | None] = mapped_column(String(3), nullable=True)
    commune_naissance: Mapped[str | None] = mapped_column(String(5), nullable=True)  # INSEE code
    lieu_naissance: Mapped[str | None] = mapped_column(String(100), nullable=True)
    date_deces: Mapped[date | None] = mapped_column(Date, nullable=True)


class TaxSituation(Base):
    __tablename__ = "tax_situations"
    __table_args__ = (
        UniqueConstraint("foyer_id", "annrev", "sequence", name="uq_tax_situations_period"),
        Index("ix_tax_situations_dec1_annrev", "spi_dec1", "annrev"),
        Index("ix_tax_situations_dec2_annrev", "spi_dec2", "annrev"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    foyer_id: Mapped[int] = mapped_column(ForeignKey("foyers.id", ondelete="CASCADE"), index=True)
    annrev: Mapped[int] = mapped_column(Integer)  # income year; the avis is issued in annrev + 1
    sequence: Mapped[int] = mapped_column(Integer)  # 1, 2 … periods of the year in date order
    type_avis: Mapped[int] = mapped_column(Integer)
    date_debut: Mapped[date] = mapped_column(Date)
    date_fin: Mapped[date] = mapped_column(Date)
    date_etablissement: Mapped[date] = mapped_column(Date)  # the avis does not exist before this day
    spi_dec1: Mapped[str] = mapped_column(ForeignKey("declarants.spi", ondelete="CASCADE"))
    spi_dec2: Mapped[str | None] = mapped_column(ForeignKey("declarants.spi", ondelete="CASCADE"), nullable=True)
    date_deces_dec1: Mapped[date | None] = mapped_column(Date, nullable=True)
    date_deces_dec2: Mapped[date | None] = mapped_column(Date, nullable=True)
    indicateur_ifi: Mapped[str | None] = mapped_column(String(1), nullable=True)  # "O" when liable to IFI
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class ThSituation(Base):
    """Taxe d'habitation (résidence principale) of a foyer for one year (the resource stopped in 2022)."""

    __tablename__ = "th_situations"
    __table_args__ = (UniqueConstraint("foyer_id", "annee", name="uq_th_situations_foyer_annee"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    foyer_id: Mapped[int] = mapped_column(ForeignKey("foyers.id", ondelete="CASCADE"), index=True)
    annee: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # one SituationTHJAXBbean


# Labels of the facture lines (functional presentation of API Impôt particulier v2.8, §7).
FACTURE_LIBELLES: dict[str, str] = {
    "0020": "Salaires",
    "0150": "Pensions, retraites, rentes",
    "0240": "Salaires, pensions, rentes nets",
    "0739": "BNC pro., régime spécial, déclarés",
    "0748": "BNC pro., régime spécial, nets",
    "0902": "Rentes viagères à titre onéreux nettes",
    "0940": "Revenus de capitaux mobiliers imposables",
    "1000": "Revenus fonciers nets",
    "1320": "Pension alimentaire versée à enfants majeurs",
    "1330": "Autres pensions alimentaires",
    "1400": "Versements épargne retraite déclarant 1",
    "1402": "Versements épargne retraite déclarant 2",
    "1830": "Décote",
    "3012": "Plus-values et gains divers",
}
PAC_KEYS = ("nbPac", "nbPacF", "nbPacG", "nbPacH", "nbPacI", "nbPacR", "nbPacJ", "nbPacN", "nbPacP")
REV_KEYS = ("tspr", "rcm", "pv", "fonc", "pro", "chges", "rici", "alpha", "div")
SIT_PAR_KEYS = ("sitPartP", "sitPartF", "sitPartW", "sitComb", "pensVeufGuerre", "indEnfSeul5ansMin", "indNonSeul")


def expand_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The stored avis with its compact parts restored to the published shapes."""
    out = dict(payload)
    if "pac" in payload:
        out["pac"] = {key: payload["pac"].get(key, 0) for key in PAC_KEYS}
    if "rev" in payload:
        out["rev"] = {key: payload["rev"].get(key, []) for key in REV_KEYS}
    if "sitParDeclaree" in payload:
        out["sitParDeclaree"] = {key: payload["sitParDeclaree"].get(key, "") for key in SIT_PAR_KEYS}
    if "facture" in payload:
        out["facture"] = [
            {
                "numLigne": number,
                "codeLigne": code,
                "libelleLigne": FACTURE_LIBELLES.get(code, ""),
                "colonne1": c1,
                "colonne2": c2,
                "colonne3": c3,
                "colonne4": c4,
            }
            for number, (code, c1, c2, c3, c4) in enumerate(payload["facture"], start=1)
        ]
    return out


async def count_foyers(session: Any) -> tuple[int, int]:
    """``(all, generated)``: the foyers the database holds, and those drawn at random (no persona)."""
    from sqlalchemy import case, func

    row = (await session.execute(select(func.count(), func.sum(case((Foyer.persona.is_(None), 1), else_=0))))).one()
    return int(row[0] or 0), int(row[1] or 0)


async def declarants_born(session: AsyncSession, birthdate: date, sexe: str, country: str) -> Sequence[Declarant]:
    """The déclarants born on ``birthdate`` of ``sexe`` in ``country`` (the réconciliation's exact fields,
    indexed; the names are compared by the caller)."""
    statement = select(Declarant).where(
        Declarant.date_naissance == birthdate, Declarant.sexe == sexe, Declarant.code_pays_naissance == country
    )
    return (await session.execute(statement)).scalars().all()


async def declarants_with_persona(session: AsyncSession, *, personas_only: bool) -> Sequence[Any]:
    """Every déclarant's columns with its foyer's ``persona`` (plain rows, attribute access as on the
    model: 200,000 mapped instances would cost seconds for nothing), in SPI order; with
    ``personas_only``, only those of the foyers that have a persona."""
    statement = select(*Declarant.__table__.columns, Foyer.persona).join(Foyer, Foyer.id == Declarant.foyer_id)
    if personas_only:
        statement = statement.where(Foyer.persona.is_not(None))
    return (await session.execute(statement.order_by(Declarant.spi))).all()
