"""Fixtures for FICOBA's service-level tests: a migrated SQLite store holding a few déclarants (as the
Impôt particulier seeder would leave them) and FICOBA's seeded file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.apis.ficoba import datapass
from dgfip_sandbox.apis.ficoba.searches import FicobaService
from dgfip_sandbox.clock import FrozenClock
from dgfip_sandbox.seed import ficoba as ficoba_seed
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.consumers import ConsumerRecord
from dgfip_sandbox.store.database import create_engine, create_sessionmaker
from dgfip_sandbox.store.migrate import upgrade_to_head
from dgfip_sandbox.store.taxpayers import Declarant, Foyer

NOW = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)

# (foyer, rank, spi, nom, usage, prénoms, sexe, naissance, pays, département, commune, lieu)
DECLARANTS = [
    (1, 1, "1000000000001", "LEFEVRE", None, "ANNE SOPHIE", "F", date(1980, 5, 17), "99100", "33", "33063", "BORDEAUX"),
    (1, 2, "1000000000002", "BERNARD", None, "MARC", "M", date(1978, 1, 2), "99100", "31", "31555", "TOULOUSE"),
    (2, 1, "2000000000003", "NGUYEN", "MARTIN", "THI HOA", "F", date(1969, 12, 24), "99243", None, None, "VIET NAM"),
    (3, 1, "3000000000004", "ÉLOÏSE-D'ARC", None, "JEANNE", "F", date(1990, 7, 14), "99100", "75", "75115", "PARIS"),
]


def _settings(tmp: Path) -> Settings:
    return Settings(var_dir=tmp, database_url=f"sqlite+aiosqlite:///{tmp / 'ficoba.db'}", seed=20261125, seed_size=200)


@pytest.fixture(scope="session")
def ficoba_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    settings = _settings(tmp_path_factory.mktemp("ficoba"))
    upgrade_to_head(settings.sqlalchemy_url)

    async def populate() -> None:
        engine = create_engine(settings.sqlalchemy_url)
        sessionmaker = create_sessionmaker(engine)
        async with sessionmaker() as session, session.begin():
            await session.execute(insert(Foyer), [{"id": i, "persona": None} for i in (1, 2, 3)])
            await session.execute(
                insert(Declarant),
                [
                    {
                        "foyer_id": f,
                        "rank": r,
                        "spi": spi,
                        "nom_naissance": n,
                        "nom_usage": u,
                        "prenoms": p,
                        "sexe": s,
                        "date_naissance": born,
                        "code_pays_naissance": pays,
                        "departement_naissance": dept,
                        "commune_naissance": commune,
                        "lieu_naissance": lieu,
                        "date_deces": None,
                    }
                    for f, r, spi, n, u, p, s, born, pays, dept, commune, lieu in DECLARANTS
                ],
            )
        async with sessionmaker() as session, session.begin():
            await ficoba_seed.seed(session, settings)
        await engine.dispose()

    asyncio.run(populate())
    yield settings


@pytest.fixture
async def ficoba_session(ficoba_settings: Settings) -> AsyncIterator[AsyncSession]:
    engine = create_engine(ficoba_settings.sqlalchemy_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            yield session
    finally:
        await engine.dispose()


def consumer(
    name: str = "test",
    *,
    siret: str | None = "13002526500013",
    scopes=datapass.ACCOUNT_SCOPES,
    modalities=datapass.ALL_MODALITIES,
    motifs=("0003", "0021", "0100"),
) -> ConsumerRecord:
    return ConsumerRecord(
        id=1,
        name=name,
        organisation="Test",
        application="Test",
        client_id=name,
        client_secret_hash="x",
        active=True,
        oauth_scopes=frozenset(),
        datapass_scopes=frozenset(scopes),
        allowed_ips=(),
        quota_per_minute=200,
        id_teleservice=None,
        siret=siret,
        ficoba_modalities=frozenset(modalities),
        ficoba_motifs=frozenset(motifs),
    )


@pytest.fixture
def service_for(ficoba_session: AsyncSession):
    def make(record: ConsumerRecord | None = None) -> FicobaService:
        return FicobaService(ficoba_session, clock=FrozenClock(NOW), consumer=record or consumer())

    return make
