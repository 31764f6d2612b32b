"""Fixtures of the FranceConnect tests: a migrated SQLite DB in a tmp dir, a small population of
déclarants, the FranceConnect seeder, the app on a frozen clock, and an httpx client on it."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from dgfip_sandbox.assembly import build_franceconnect_app
from dgfip_sandbox.clock import FrozenClock
from dgfip_sandbox.franceconnect import seed as fc_seed
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.database import create_engine, create_sessionmaker
from dgfip_sandbox.store.migrate import upgrade_to_head
from dgfip_sandbox.store.taxpayers import Declarant, Foyer

from .fc_flow import FlowDriver

# (persona, rank, spi, nom, prenoms, sexe, naissance, pays, commune, date_deces)
POPULATION = [
    ("celibataire", 1, "0123456789012", "DUPONT", "JEAN PIERRE", "M", date(1980, 5, 12), "99100", "75056", None),
    ("couple_marie", 1, "1234567890123", "LEFEBVRE", "ELODIE MARIE", "F", date(1975, 11, 2), "99100", "13055", None),
    ("couple_marie", 2, "1234567890124", "LEFEBVRE", "MARC", "M", date(1973, 1, 20), "99100", "13055", None),
    ("ne_a_l_etranger", 1, "2345678901234", "NGUYEN", "VAN ANH", "F", date(1990, 7, 8), "99243", None, None),
    (None, 1, "3456789012345", "BERNARD", "LUC", "M", date(1966, 2, 28), "99100", "69123", None),
    ("veuf", 1, "0987654321098", "PETIT", "ANNE", "F", date(1950, 4, 4), "99100", "33063", date(2025, 3, 1)),
]


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "var_dir": tmp_path / "var",
        "certs_dir": tmp_path / "certs",
        "database_url": f"sqlite:///{tmp_path / 'sandbox.db'}",
        "fc_host": "127.0.0.1",
        "fc_port": 8444,
        "demo_fs_port": 8446,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def _populate(settings: Settings, population: list[tuple]) -> None:
    engine = create_engine(settings.sqlalchemy_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            foyers: dict[str, Foyer] = {}
            for persona, rank, spi, nom, prenoms, sexe, born, pays, commune, deces in population:
                key = persona or spi
                if key not in foyers:
                    foyers[key] = Foyer(persona=persona)
                    session.add(foyers[key])
                    await session.flush()
                session.add(
                    Declarant(
                        spi=spi,
                        foyer_id=foyers[key].id,
                        rank=rank,
                        nom_naissance=nom,
                        nom_usage=None,
                        prenoms=prenoms,
                        sexe=sexe,
                        date_naissance=born,
                        code_pays_naissance=pays,
                        departement_naissance=commune[:2] if commune else None,
                        commune_naissance=commune,
                        lieu_naissance=None,
                        date_deces=deces,
                    )
                )
        async with create_sessionmaker(engine)() as session, session.begin():
            await fc_seed.seed(session, settings)
    finally:
        await engine.dispose()


def prepare_database(settings: Settings, population: list[tuple] = POPULATION) -> None:
    upgrade_to_head(settings.sqlalchemy_url)
    asyncio.run(_populate(settings, population))


@pytest.fixture(scope="session")
def fc_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated and seeded once per session; each test gets a copy (migrating per test cost ~3 s)."""
    root = tmp_path_factory.mktemp("fc-template")
    prepare_database(make_settings(root))
    return root


@pytest.fixture
def fc_settings(fc_template: Path, tmp_path: Path) -> Settings:
    shutil.copytree(fc_template, tmp_path, dirs_exist_ok=True)
    return make_settings(tmp_path)


@pytest.fixture
def fc_clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC))


@pytest.fixture
async def fc_client(fc_settings: Settings, fc_clock: FrozenClock):
    app = build_franceconnect_app(fc_settings, clock=fc_clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=fc_settings.franceconnect_base_url
    ) as client:
        yield client
    await app.state.franceconnect.engine.dispose()


@pytest.fixture
def flow(fc_client: httpx.AsyncClient, fc_settings: Settings, fc_clock: FrozenClock) -> FlowDriver:
    return FlowDriver(fc_client, fc_settings, fc_clock)
