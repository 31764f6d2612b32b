"""A small seeded database shared by the service tests (read-only), and a session per test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.seed.population import seed
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.database import create_engine, create_sessionmaker
from dgfip_sandbox.store.migrate import upgrade_to_head

NOW = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
IP_SEED_SIZE = 200


async def _seed(settings: Settings) -> None:
    engine = create_engine(settings.sqlalchemy_url)
    try:
        async with create_sessionmaker(engine)() as session:
            await seed(session, settings)
            await session.commit()
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def ip_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root: Path = tmp_path_factory.mktemp("impot-particulier")
    settings = Settings(var_dir=root, seed_size=IP_SEED_SIZE, _env_file=None)
    upgrade_to_head(settings.sqlalchemy_url)
    asyncio.run(_seed(settings))
    return settings


@pytest.fixture
async def db(ip_settings: Settings) -> AsyncIterator[AsyncSession]:
    engine = create_engine(ip_settings.sqlalchemy_url)
    try:
        async with create_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()
