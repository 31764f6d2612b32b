"""Fingerprint of the seeded data: migrate a fresh database, run every seeder for ``--size`` foyers, then
hash every table (tests/seed_fingerprint.py says how), on SQLite and optionally PostgreSQL.

    python benchmarks/seed_fingerprint.py --size 2000 [--worker-from 0] [--postgres postgresql://postgres@127.0.0.1:5432/test]

The digests must equal those recorded in tests/seed_fingerprint.py (``RECORDED``), checked by
tests/test_seed_fingerprint.py for 300 foyers.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.seed_fingerprint import RECORDED, fingerprint, overall  # noqa: E402

from dgfip_sandbox.seed import population, workers  # noqa: E402
from dgfip_sandbox.settings import Settings  # noqa: E402


def _print(label: str, size: int, digests: dict[str, tuple[int, str]]) -> None:
    digest = overall(digests)
    recorded = RECORDED.get(size)
    verdict = "" if recorded is None else (" (as recorded)" if digest == recorded else f" (RECORDED: {recorded})")
    print(f"{label}: {digest}{verdict}")
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
    parser.add_argument("--foyers-per-chunk", type=int, default=None, help="population chunk (default: 1250)")
    args = parser.parse_args()
    if args.worker_from is not None:
        workers.WORKER_FROM = args.worker_from
    if args.foyers_per_chunk is not None:
        population.FOYERS_PER_CHUNK = args.foyers_per_chunk
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            _print("SQLite", args.size, fingerprint(Settings(var_dir=Path(folder), seed_size=args.size)))
    if args.postgres:
        from tests.services import create_postgres_database, drop_postgres_database, unique_database_name

        name = unique_database_name("seed_fp")
        url = create_postgres_database(args.postgres, name)
        try:
            with tempfile.TemporaryDirectory() as folder:
                settings = Settings(var_dir=Path(folder), seed_size=args.size, database_url=url)
                _print("PostgreSQL", args.size, fingerprint(settings))
        finally:
            drop_postgres_database(args.postgres, name)


if __name__ == "__main__":
    main()
