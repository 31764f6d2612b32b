"""Fingerprint of the seeded data: migrate a fresh database, run every seeder for ``--size`` foyers, then
hash every table of the metadata, row by row in primary-key order, values normalised so that SQLite and
PostgreSQL give the same digest.

    python benchmarks/seed_fingerprint.py --size 2000 [--postgres postgresql://postgres@127.0.0.1:5432/test]

Left out, because they are random or clock-dependent by design (not seeded data): secrets, their hashes
and sealed forms, key sets, creation times, and the change counters of ``store_changes`` (a generation
number, whose only meaning is "changed since"). ``tests/impot_particulier/test_seed_fingerprint.py``
checks the digests recorded here.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import JSON, Table, select  # noqa: E402

from dgfip_sandbox.seed import seeders, workers  # noqa: E402
from dgfip_sandbox.settings import Settings  # noqa: E402
from dgfip_sandbox.store.database import create_engine, create_sessionmaker  # noqa: E402
from dgfip_sandbox.store.migrate import upgrade_to_head  # noqa: E402
from dgfip_sandbox.store.models import metadata  # noqa: E402

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


def _print(label: str, digests: dict[str, tuple[int, str]]) -> None:
    print(f"{label}: {overall(digests)}")
    for name, (count, digest) in digests.items():
        if count:
            print(f"  {name:28} {count:8d} {digest[:16]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=300)
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--worker-from", type=int, default=None, help="seed size from which a worker process generates (default: 5000)"
    )
    args = parser.parse_args()
    if args.worker_from is not None:
        workers.WORKER_FROM = args.worker_from
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            _print("SQLite", fingerprint(Settings(var_dir=Path(folder), seed_size=args.size)))
    if args.postgres:
        from tests.services import create_postgres_database, drop_postgres_database, unique_database_name

        name = unique_database_name("seed_fp")
        url = create_postgres_database(args.postgres, name)
        try:
            with tempfile.TemporaryDirectory() as folder:
                settings = Settings(var_dir=Path(folder), seed_size=args.size, database_url=url)
                _print("PostgreSQL", fingerprint(settings))
        finally:
            drop_postgres_database(args.postgres, name)


if __name__ == "__main__":
    main()
