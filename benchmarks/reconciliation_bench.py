"""FranceConnect's réconciliation (``find_spi``: the one déclarant of an identité pivot) on a prepared
sandbox, by default a fresh one of ``--size`` foyers on SQLite; or on the database of an existing
``var/`` (``--var``, migrated to head first):

    python benchmarks/reconciliation_bench.py --size 100000 [--calls 20]
    python benchmarks/reconciliation_bench.py --var /path/to/var [--calls 20]

Each of the seeded FranceConnect citizens who match a déclarant is reconciled ``--calls`` times in one
session; prints the mean time per call in milliseconds. A benchmark, not a test: nothing asserts a
duration.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from dgfip_sandbox.franceconnect.reconciliation import find_spi
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.database import create_engine, create_sessionmaker
from dgfip_sandbox.store.franceconnect import list_citizens
from dgfip_sandbox.store.migrate import upgrade_to_head

sys.path.insert(0, str(Path(__file__).resolve().parent))
import seed_bench  # noqa: E402 - beside this file

IDENTITY_FIELDS = ("given_name", "family_name", "birthdate", "gender", "birthcountry")


async def _reconcile(settings: Settings, calls: int) -> tuple[int, float]:
    engine = create_engine(settings.sqlalchemy_url)
    try:
        async with create_sessionmaker(engine)() as session:
            citizens = [c for c in await list_citizens(session) if c.case == "fc_match"]
            identities = [{field: getattr(c, field) for field in IDENTITY_FIELDS} for c in citizens]
            started = time.perf_counter()
            for _ in range(calls):
                for identity in identities:
                    await find_spi(session, identity)
            return len(identities) * calls, time.perf_counter() - started
    finally:
        await engine.dispose()


def _seeded(folder: Path, size: int) -> Settings:
    settings = Settings(var_dir=folder, seed_size=size)
    seed_bench.run(settings)  # migrations and every seeder, as the seeding benchmark runs them
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--var", type=Path, default=None, help="an existing var/ (its database is migrated to head)")
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.var is None:
            settings = _seeded(Path(folder), args.size)
        else:
            settings = Settings(var_dir=args.var)
            upgrade_to_head(settings.sqlalchemy_url)
        count, seconds = asyncio.run(_reconcile(settings, args.calls))
    print(
        f"réconciliation: {count} calls, {seconds / count * 1000:.2f} ms each ({settings.sqlalchemy_url.split('://')[0]})"
    )


if __name__ == "__main__":
    main()
