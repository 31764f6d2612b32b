"""How long a data file takes to load (``dgfip-sandbox data add`` / ``up --data``): N foyers with two avis
each, N accounts held by their déclarants, N FranceConnect identities, in one transaction, on a
prepared SQLite sandbox (``--seed-size`` foyers seeded first).

    PYTHONPATH=src python benchmarks/testdata_bench.py --foyers 200 --seed-size 200
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from dgfip_sandbox.bootstrap import prepare_sandbox
from dgfip_sandbox.clock import FrozenClock
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.spi import spi_from_base
from dgfip_sandbox.store.database import create_engine, create_sessionmaker
from dgfip_sandbox.testdata.files import parse_data
from dgfip_sandbox.testdata.service import TestDataService

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def data_file(count: int) -> dict:
    foyers, comptes, identites = [], [], []
    for index in range(count):
        spi = spi_from_base(f"31{index:08d}")
        person = {
            "spi": spi,
            "nom_naissance": f"BENCH{index}",
            "prenoms": "CAMILLE",
            "sexe": "F",
            "date_naissance": f"19{60 + index % 40}-0{1 + index % 9}-1{index % 9}",
        }
        foyers.append(
            {
                "declarants": [person],
                "avis": [
                    {"annee": 2024, "revenus": {"salaires": [30000 + index, 0]}},
                    {"annee": 2025, "rfr": 20000 + index},
                ],
            }
        )
        comptes.append({"droits": [{"personne": {"spi": spi}}], "nature": 101})
        identites.append({"spi": spi, "login": f"bench{index}"})
    return {"foyers": foyers, "comptes": comptes, "identites": identites}


async def load(settings: Settings, count: int) -> tuple[float, float]:
    engine = create_engine(settings.sqlalchemy_url)
    try:
        service = TestDataService(create_sessionmaker(engine), clock=FrozenClock(NOW))
        started = time.perf_counter()
        model = parse_data(data_file(count))
        parsed = time.perf_counter()
        await service.add(model, source="bench.json")
        return parsed - started, time.perf_counter() - parsed
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--foyers", type=int, default=200)
    parser.add_argument("--seed-size", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = Settings(var_dir=root / "var", certs_dir=root / "certs", seed_size=args.seed_size, _env_file=None)
        prepare_sandbox(settings, now=NOW)
        validate, write = asyncio.run(load(settings, args.foyers))
    total = validate + write
    print(
        f"{args.foyers} foyers + {args.foyers} comptes + {args.foyers} identités: validation {validate * 1000:.0f} ms, "
        f"writing {write * 1000:.0f} ms, total {total:.2f} s ({total / (3 * args.foyers) * 1000:.1f} ms per object)"
    )


if __name__ == "__main__":
    main()
