"""The Alembic chain creates exactly the schema the models describe (for every model module)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import create_async_engine

from dgfip_sandbox.settings import normalize_database_url
from dgfip_sandbox.store.migrate import alembic_config
from dgfip_sandbox.store.models import metadata
from tests.services import (
    create_postgres_database,
    drop_postgres_database,
    postgres_url_or_skip,
    unique_database_name,
)


def test_one_linear_chain() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))
    assert len(script.get_heads()) == 1, f"several Alembic heads: {script.get_heads()}"


def test_head_matches_models(tmp_path: Path) -> None:
    path = tmp_path / "schema.db"
    command.upgrade(alembic_config(f"sqlite+aiosqlite:///{path}"), "head")
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    config = alembic_config(f"sqlite+aiosqlite:///{tmp_path / 'cycle.db'}")
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")


def test_postgresql_upgrade_head_matches_models() -> None:
    """On a database of its own on the PostgreSQL server (skipped with the reason when none is
    reachable, a failure under DGFIP_SANDBOX_REQUIRE_SERVICES=1)."""
    server = postgres_url_or_skip()
    name = unique_database_name("dgfip_migration_check")
    url = normalize_database_url(create_postgres_database(server, name))
    try:
        command.upgrade(alembic_config(url), "head")
        diff = asyncio.run(_compare_with_models(url))
    finally:
        drop_postgres_database(server, name)
    assert diff == [], f"models and migrations differ on PostgreSQL: {diff}"


async def _compare_with_models(url: str) -> list[object]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), metadata)
            )
    finally:
        await engine.dispose()
