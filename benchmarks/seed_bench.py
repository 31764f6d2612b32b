"""Seeding time: migrate, then every seeder (Impôt particulier population, FICOBA accounts, FranceConnect)
for ``--size`` foyers, on SQLite (a fresh file) and on PostgreSQL (a fresh database), each timed alone.

    PYTHONPATH=src python benchmarks/seed_bench.py --size 100000
    PYTHONPATH=src python benchmarks/seed_bench.py --size 100000 --postgres postgresql://postgres@127.0.0.1:5432/test

The PostgreSQL figure is skipped (with the reason) when the server does not answer. Goal: ≤ 60 s each.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

from dgfip_sandbox.seed import seeders
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.database import create_engine, create_sessionmaker
from dgfip_sandbox.store.migrate import upgrade_to_head


async def _seed(settings: Settings) -> dict[str, float]:
    engine = create_engine(settings.sqlalchemy_url)
    sessionmaker = create_sessionmaker(engine)
    timings: dict[str, float] = {}
    try:
        for seeder in seeders():
            started = time.perf_counter()
            async with sessionmaker() as session:
                await seeder(session, settings)
                await session.commit()
            timings[seeder.__module__.rsplit(".", 2)[-2 if seeder.__module__.endswith(".seed") else -1]] = (
                time.perf_counter() - started
            )
    finally:
        await engine.dispose()
    return timings


def run(settings: Settings) -> tuple[float, dict[str, float]]:
    started = time.perf_counter()
    upgrade_to_head(settings.sqlalchemy_url)
    migrated = time.perf_counter() - started
    timings = {"migrations": migrated, **asyncio.run(_seed(settings))}
    return time.perf_counter() - started, timings


def _postgres_database(admin_url: str) -> tuple[str, str] | None:
    import asyncpg

    base = admin_url.replace("postgresql://", "postgres://")
    name = f"seed_bench_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        connection = await asyncpg.connect(base)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    try:
        asyncio.run(create())
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"PostgreSQL: skipped ({exc})")
        return None
    return base.rsplit("/", 1)[0] + f"/{name}", name


def _drop_postgres_database(admin_url: str, name: str) -> None:
    import asyncpg

    async def drop() -> None:
        connection = await asyncpg.connect(admin_url.replace("postgresql://", "postgres://"))
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        finally:
            await connection.close()

    asyncio.run(drop())


def _print(label: str, size: int, total: float, timings: dict[str, float]) -> None:
    parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items())
    print(f"{label}: {size} foyers seeded in {total:.1f} s ({parts})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--postgres", default=None, help="PostgreSQL URL of a database to create others from")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings(var_dir=Path(folder), seed_size=args.size)
            total, timings = run(settings)
            _print("SQLite", args.size, total, timings)
    if args.postgres:
        created = _postgres_database(args.postgres)
        if created is not None:
            url, name = created
            try:
                with tempfile.TemporaryDirectory() as folder:
                    settings = Settings(var_dir=Path(folder), seed_size=args.size, database_url=url)
                    total, timings = run(settings)
                    _print("PostgreSQL", args.size, total, timings)
            finally:
                _drop_postgres_database(args.postgres, name)


if __name__ == "__main__":
    main()
