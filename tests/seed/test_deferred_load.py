"""A bulk load under ``store.bulk.deferred_indexes`` is still checked: a row whose parent is missing fails
the load (on PostgreSQL when its foreign key is added back, on SQLite at once), and the indexes and keys
are all there afterwards, on both databases."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import Table, inspect
from sqlalchemy.exc import IntegrityError

from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.bulk import deferred_indexes, insert_rows
from dgfip_sandbox.store.database import create_engine, create_sessionmaker
from dgfip_sandbox.store.migrate import upgrade_to_head
from dgfip_sandbox.store.taxpayers import Declarant, Foyer

from ..services import create_postgres_database, drop_postgres_database, unique_database_name

DECLARANTS = cast(Table, Declarant.__table__)
FOYERS = cast(Table, Foyer.__table__)


def _declarant(spi: str, foyer_id: int) -> dict[str, object]:
    return {
        "spi": spi,
        "foyer_id": foyer_id,
        "rank": 1,
        "nom_naissance": "MARTIN",
        "prenoms": "ANNE",
        "sexe": "F",
        "date_naissance": date(1980, 1, 1),
        "code_pays_naissance": "99100",
    }


async def _load(settings: Settings, foyer_ids: list[int], declarant_foyers: list[int]) -> None:
    engine = create_engine(settings.sqlalchemy_url)
    try:
        async with create_sessionmaker(engine)() as session:
            async with deferred_indexes(session, [FOYERS, DECLARANTS]):
                await insert_rows(session, FOYERS, [{"id": i, "persona": None} for i in foyer_ids])
                rows = [_declarant(f"{3000000000 + n:010d}{n:03d}", f) for n, f in enumerate(declarant_foyers)]
                await insert_rows(session, DECLARANTS, rows)
            await session.commit()
    finally:
        await engine.dispose()


async def _schema(settings: Settings) -> tuple[set[str], set[str], int]:
    engine = create_engine(settings.sqlalchemy_url)
    try:
        async with engine.connect() as connection:

            def read(sync: object) -> tuple[set[str], set[str]]:
                found = inspect(sync)
                indexes = {str(index["name"]) for index in found.get_indexes("declarants")}
                keys = {str(fk["referred_table"]) for fk in found.get_foreign_keys("declarants")}
                return indexes, keys

            indexes, keys = await connection.run_sync(read)
            count = (await connection.exec_driver_sql("SELECT count(*) FROM declarants")).scalar_one()
            return indexes, keys, int(count)
    finally:
        await engine.dispose()


def test_a_missing_parent_fails_the_load_and_leaves_the_schema_whole(
    tmp_path: Path, test_postgres_server: str | None
) -> None:
    name = url = None
    if test_postgres_server:
        name = unique_database_name("bulk_fk")
        url = create_postgres_database(test_postgres_server, name)
    try:
        settings = Settings(var_dir=tmp_path, database_url=url, _env_file=None)
        upgrade_to_head(settings.sqlalchemy_url)
        with pytest.raises((IntegrityError, sqlite3.IntegrityError)):  # SQLite's driver loads the rows itself
            asyncio.run(_load(settings, [1, 2], [1, 2, 999]))
        indexes, keys, count = asyncio.run(_schema(settings))
        assert count == 0  # nothing half-written
        assert "ix_declarants_foyer_id" in indexes and keys == {"foyers"}
        asyncio.run(_load(settings, [1, 2], [1, 2, 2]))  # a sound load goes through
        indexes, keys, count = asyncio.run(_schema(settings))
        assert count == 3 and "ix_declarants_foyer_id" in indexes and keys == {"foyers"}
    finally:
        if name and test_postgres_server:
            drop_postgres_database(test_postgres_server, name)
