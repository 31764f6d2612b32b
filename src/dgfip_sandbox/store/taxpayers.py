"""Taxpayers of API Impôt particulier: foyers fiscaux, déclarants (by SPI) and their tax situations.

``declarants`` is also what FICOBA (accounts of the same people) and FranceConnect (citizens whose
état civil matches a déclarant) link to.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dgfip_sandbox.store.base import Base


class Foyer(Base):
    __tablename__ = "foyers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    persona: Mapped[str | None] = mapped_column(String(60), nullable=True, index=True)


class Declarant(Base):
    __tablename__ = "declarants"

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
