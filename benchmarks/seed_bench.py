"""Seeding time: migrate, then every seeder (Impôt particulier population, FICOBA accounts, FranceConnect)
for ``--size`` foyers, on SQLite (a fresh file) and on PostgreSQL (a fresh database), each timed alone.

    python benchmarks/seed_bench.py --size 100000 --postgres postgresql://postgres@127.0.0.1:5432/test

(from the project's root, in the venv of `pip install -e '.[test]'`). The PostgreSQL figure is skipped
(with the reason) when the server does not answer. Goal: ≤ 60 s each. Both the wall time and this
process's CPU time (and that of the worker processes the seeders start, seed/workers.py) are printed: on a
shared machine the first depends on the load, the others much less.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.services import (  # noqa: E402
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
    unique_database_name,
)

from dgfip_sandbox.seed import seeders, workers  # noqa: E402
from dgfip_sandbox.settings import Settings  # noqa: E402
from dgfip_sandbox.store.database import create_engine, create_sessionmaker  # noqa: E402
from dgfip_sandbox.store.migrate import upgrade_to_head  # noqa: E402


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


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(settings: Settings) -> tuple[float, float, float, dict[str, float]]:
    """(wall seconds, CPU seconds of this process, of its worker processes, wall seconds per step)."""
    started, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    upgrade_to_head(settings.sqlalchemy_url)
    migrated = time.perf_counter() - started
    timings = {"migrations": migrated, **asyncio.run(_seed(settings))}
    return time.perf_counter() - started, time.process_time() - cpu, _children_cpu() - children, timings


def _print(label: str, size: int, total: float, cpu: float, children: float, timings: dict[str, float]) -> None:
    parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items())
    print(
        f"{label}: {size} foyers seeded in {total:.1f} s wall, {cpu:.1f} s CPU of this process + {children:.1f} s "
        f"of its worker processes ({parts})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--postgres", default=None, help="PostgreSQL URL of a database to create others from")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--in-process", action="store_true", help="no worker processes (seed/workers.py), any size")
    args = parser.parse_args()
    if args.in_process:
        workers.WORKER_FROM = sys.maxsize
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings(var_dir=Path(folder), seed_size=args.size)
            _print("SQLite", args.size, *run(settings))
    if args.postgres:
        problem = postgres_reachable(args.postgres)
        if problem:
            print(f"PostgreSQL: skipped ({problem})")
            return
        name = unique_database_name("seed_bench")
        url = create_postgres_database(args.postgres, name)
        try:
            with tempfile.TemporaryDirectory() as folder:
                settings = Settings(var_dir=Path(folder), seed_size=args.size, database_url=url)
                _print("PostgreSQL", args.size, *run(settings))
        finally:
            drop_postgres_database(args.postgres, name)


if __name__ == "__main__":
    main()
