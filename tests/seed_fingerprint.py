"""Fingerprint of the seeded data (``benchmarks/seed_fingerprint.py``, ``test_seed_fingerprint.py``):
every table of the metadata hashed row by row in primary-key order, values normalised so that SQLite and
PostgreSQL give the same digest.

Left out, because they are random or clock-dependent by design (not seeded data): secrets, their hashes
and sealed forms, key sets, creation times, and the change counters of ``store_changes`` (a generation
number, whose only meaning is "changed since").
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import JSON, Table, select

from dgfip_sandbox.seed import seeders
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.database import create_engine, create_sessionmaker
from dgfip_sandbox.store.migrate import upgrade_to_head
from dgfip_sandbox.store.models import metadata

# Digests of the seed as main made it before the seed's speed-up (1e728f5), seed 20261125: the data
# must never change by accident (tests, personas and docs depend on it).
RECORDED = {
    300: "e2d3316006d675edb292a54beaf21e81b38c9075cd1587c115c2bdac887cae42",
    2000: "5dd82c9d7e0c4780ee24b0797cefff1e20a2646094d0d2e576344f36a69dc9f3",
}

VOLATILE_COLUMNS = frozenset(
    {"client_secret_hash", "client_secret_sealed", "password_hash", "jwks", "created_at", "secret_hash"}
)
VOLATILE_TABLES = frozenset({"store_changes"})


def _value(column: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, JSON):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


async def table_digests(settings: Settings) -> dict[str, tuple[int, str]]:
    """{table: (rows, sha256)} of every seeded table (empty tables included, volatile ones left out)."""
    engine = create_engine(settings.sqlalchemy_url)
    digests: dict[str, tuple[int, str]] = {}
    try:
        async with create_sessionmaker(engine)() as session:
            for table in metadata.sorted_tables:
                if table.name in VOLATILE_TABLES:
                    continue
                digests[table.name] = await _digest(session, table)
    finally:
        await engine.dispose()
    return digests


async def _digest(session: Any, table: Table) -> tuple[int, str]:
    columns = [c for c in table.columns if c.name not in VOLATILE_COLUMNS]
    order = list(table.primary_key.columns) or columns
    result = await session.execute(select(*columns).order_by(*order))
    sha = hashlib.sha256()
    count = 0
    for row in result:
        values = [_value(c, v) for c, v in zip(columns, row, strict=True)]
        sha.update(json.dumps(values, ensure_ascii=False, default=str).encode())
        sha.update(b"\n")
        count += 1
    return count, sha.hexdigest()


async def seed_all(settings: Settings) -> None:
    engine = create_engine(settings.sqlalchemy_url)
    try:
        for seeder in seeders():
            async with create_sessionmaker(engine)() as session:
                await seeder(session, settings)
                await session.commit()
    finally:
        await engine.dispose()


def fingerprint(settings: Settings) -> dict[str, tuple[int, str]]:
    upgrade_to_head(settings.sqlalchemy_url)
    asyncio.run(seed_all(settings))
    return asyncio.run(table_digests(settings))


def overall(digests: dict[str, tuple[int, str]]) -> str:
    return hashlib.sha256(json.dumps(sorted(digests.items())).encode()).hexdigest()
