"""Cached taxpayers and serialised answers are invalidated by change, never by time: a write to the
taxpayers' tables (here through another connection, as another process would) is seen by the very
next call, and a consumer's DataPass scopes are part of what an answer is cached under."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select, update

from dgfip_sandbox.seed import personas_impot as P
from dgfip_sandbox.store.consumers import Consumer
from dgfip_sandbox.store.taxpayers import TaxSituation

pytestmark = pytest.mark.anyio

PATH = f"/impotparticulier/1.0/spi/{P.SPI_COUPLE_DEC1}/situations/ir/assiettes/annrev/2025"


async def test_a_taxpayer_changed_elsewhere_is_answered_on_the_next_call(sandbox) -> None:
    client = await sandbox.client("mairie-demo")
    first = await client.get(PATH)
    assert first.status_code == 200, first.text
    assert (await client.get(PATH)).json() == first.json()  # served from the caches

    async with sandbox.state.sessionmaker() as session:
        situation = (
            await session.execute(
                select(TaxSituation).where(TaxSituation.spi_dec1 == P.SPI_COUPLE_DEC1, TaxSituation.annrev == 2025)
            )
        ).scalar_one()
        payload = {**situation.payload, "rfr": first.json()["rfr"] + 1}
    if sandbox.settings.sqlalchemy_url.startswith("sqlite"):
        # A connection of its own, outside SQLAlchemy: what another process does.
        with sqlite3.connect(sandbox.state.engine.url.database) as other:
            other.execute("UPDATE tax_situations SET payload = json(?) WHERE id = ?", (_json(payload), situation.id))
    else:
        async with sandbox.state.sessionmaker() as session, session.begin():
            await session.execute(update(TaxSituation).where(TaxSituation.id == situation.id).values(payload=payload))

    assert (await client.get(PATH)).json()["rfr"] == first.json()["rfr"] + 1


async def test_an_answer_is_cached_per_datapass_scopes(sandbox) -> None:
    client = await sandbox.client("mairie-demo")
    full = (await client.get(PATH)).json()
    assert "rfr" in full
    async with sandbox.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(Consumer)
            .where(Consumer.name == "mairie-demo")
            .values(datapass_scopes=["dgfip_annee_n_moins_1", "dgfip_sitfam"])
        )
    narrowed = (await client.get(PATH)).json()
    assert "sitFam" in narrowed
    assert "rfr" not in narrowed


def _json(value: object) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
