"""The integrator's own test data: every write of ``dgfip-sandbox data``, the admin API's ``/api/data``,
the plugin's ``sandbox.foyer(...)`` / ``compte(...)`` / ``identite(...)`` and ``up --data``, and the
registry of what they created.

A ``TestDataEntry`` names one created object by its key (a foyer by its first déclarant's SPI, an
account by its IBAN, a FranceConnect identity by its login) and lists the rows written for it, so
that ``remove`` deletes exactly those rows (and the FICOBA persons it created that no account holds
any more) and ``list`` shows what the seed did not create. The rows come ready-made from
``testdata/rows.py``; this module only reads and writes them, inside the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, UniqueConstraint, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from dgfip_sandbox.store.accounts import Compte, Droit, Guichet, Personne
from dgfip_sandbox.store.base import Base
from dgfip_sandbox.store.franceconnect import FcCitizen, aware
from dgfip_sandbox.store.taxpayers import Declarant, Foyer, TaxSituation, ThSituation

FOYER, COMPTE, IDENTITE = "foyer", "compte", "identite"
KINDS = (FOYER, COMPTE, IDENTITE)


class TestDataEntry(Base):
    """One object created from test data (not by the seed)."""

    __tablename__ = "test_data_entries"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_test_data_entries_kind_key"),)
    __test__ = False  # not a pytest test class

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # foyer | compte | identite
    key: Mapped[str] = mapped_column(String(60))  # SPI of the first déclarant | IBAN | login
    source: Mapped[str] = mapped_column(String(200))  # file name, "api", "pytest"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rows: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # ids written: foyer_id, personne_ids …


# ---------------------------------------------------------------------------------------------------
# Reading


async def existing_spis(session: AsyncSession, spis: list[str]) -> set[str]:
    if not spis:
        return set()
    return set((await session.execute(select(Declarant.spi).where(Declarant.spi.in_(spis)))).scalars())


async def declarants_by_spi(session: AsyncSession, spis: list[str]) -> dict[str, Declarant]:
    if not spis:
        return {}
    rows = (await session.execute(select(Declarant).where(Declarant.spi.in_(spis)))).scalars()
    return {row.spi: row for row in rows}


async def existing_ibans(session: AsyncSession, ibans: list[str]) -> set[str]:
    if not ibans:
        return set()
    return set((await session.execute(select(Compte.iban).where(Compte.iban.in_(ibans)))).scalars())


async def existing_logins(session: AsyncSession, logins: list[str]) -> set[str]:
    if not logins:
        return set()
    return set((await session.execute(select(FcCitizen.login).where(FcCitizen.login.in_(logins)))).scalars())


async def guichet_ids(session: AsyncSession) -> dict[tuple[str, str], int]:
    """(code banque, code guichet) → guichet id, for every guichet FICOBA knows."""
    rows = await session.execute(select(Guichet.etablissement_code, Guichet.code, Guichet.id))
    return {(bank, code): gid for bank, code, gid in rows.all()}


async def ficoba_person_ids_by_spi(session: AsyncSession, spis: list[str]) -> dict[str, int]:
    """The FICOBA person already on file for each SPI (the first one, when several)."""
    if not spis:
        return {}
    rows = await session.execute(
        select(Personne.spi, func.min(Personne.id))
        .where(Personne.spi.in_(spis), Personne.kind == "PP")
        .group_by(Personne.spi)
    )
    return {spi: pid for spi, pid in rows.all() if spi}


async def next_citizen_position(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.coalesce(func.max(FcCitizen.position), -1))) or 0) + 1


async def list_entries(
    session: AsyncSession, *, kind: str | None = None, source: str | None = None
) -> list[TestDataEntry]:
    query = select(TestDataEntry).order_by(TestDataEntry.id)
    if kind is not None:
        query = query.where(TestDataEntry.kind == kind)
    if source is not None:
        query = query.where(TestDataEntry.source == source[:200])
    return list((await session.execute(query)).scalars())


async def find_entry(session: AsyncSession, key: str) -> TestDataEntry | None:
    return (await session.execute(select(TestDataEntry).where(TestDataEntry.key == key))).scalars().first()


def entry_as_dict(entry: TestDataEntry) -> dict[str, Any]:
    return {
        "kind": entry.kind,
        "key": entry.key,
        "source": entry.source,
        "created_at": aware(entry.created_at).isoformat() if entry.created_at else None,
    }


# ---------------------------------------------------------------------------------------------------
# Writing (inside the caller's transaction: a file is written whole or not at all)


async def write_foyer(session: AsyncSession, rows: dict[str, list[dict[str, Any]]], persona: str | None) -> int:
    """The foyer and its déclarants, avis and TH rows (``foyer_id`` filled in here); its id."""
    foyer = Foyer(persona=persona)
    session.add(foyer)
    await session.flush()
    for model, name in ((Declarant, "declarants"), (TaxSituation, "tax_situations"), (ThSituation, "th_situations")):
        if rows[name]:
            await session.execute(insert(model), [{**row, "foyer_id": foyer.id} for row in rows[name]])
    return foyer.id


async def write_personne(session: AsyncSession, values: dict[str, Any]) -> int:
    personne = Personne(**values)
    session.add(personne)
    await session.flush()
    return personne.id


async def write_compte(session: AsyncSession, values: dict[str, Any], droits: list[dict[str, Any]]) -> int:
    """The account and its rights (each right's ``personne_id`` already known); the account's id."""
    compte = Compte(**values)
    session.add(compte)
    await session.flush()
    await session.execute(insert(Droit), [{**droit, "compte_id": compte.id} for droit in droits])
    return compte.id


async def write_citizen(session: AsyncSession, citizen: FcCitizen) -> int:
    session.add(citizen)
    await session.flush()
    return citizen.id


def record(session: AsyncSession, *, kind: str, key: str, source: str, now: datetime, rows: dict[str, Any]) -> None:
    session.add(TestDataEntry(kind=kind, key=key, source=source[:200], created_at=now, rows=rows))


async def remove_entry(session: AsyncSession, entry: TestDataEntry) -> None:
    """Delete the rows the entry created, then the entry."""
    rows = entry.rows or {}
    if entry.kind == FOYER and rows.get("foyer_id") is not None:
        foyer_id = rows["foyer_id"]
        for model in (TaxSituation, ThSituation, Declarant):
            await session.execute(delete(model).where(model.foyer_id == foyer_id))
        await session.execute(delete(Foyer).where(Foyer.id == foyer_id))
    elif entry.kind == COMPTE and rows.get("compte_id") is not None:
        await session.execute(delete(Droit).where(Droit.compte_id == rows["compte_id"]))
        await session.execute(delete(Compte).where(Compte.id == rows["compte_id"]))
        created = list(rows.get("personne_ids", []))
        if created:
            still_held = select(Droit.personne_id).where(Droit.personne_id.in_(created))
            await session.execute(delete(Personne).where(Personne.id.in_(created), Personne.id.not_in(still_held)))
    elif entry.kind == IDENTITE and rows.get("citizen_id") is not None:
        await session.execute(delete(FcCitizen).where(FcCitizen.id == rows["citizen_id"]))
    await session.delete(entry)
    await session.flush()
