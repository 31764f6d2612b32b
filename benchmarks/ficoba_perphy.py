"""perPhy latency as FICOBA's file grows: p50 with the default population, then with 100,000 more persons.

Service level, in-process (no HTTP, no gateway): a migrated SQLite file seeded by every registered
seeder (default ``seed_size``), then the same set of état-civil searches timed before and after adding
``--extra`` synthetic persons (composite surnames, one current account each). The figure of merit is the
ratio of the two medians (target ≤ 1.5: the searches are index lookups on the normalised keys).

    PYTHONPATH=src /work/venv/bin/python benchmarks/ficoba_perphy.py [--extra 100000] [--queries 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select

from dgfip_sandbox.apis.ficoba import datapass, schemas
from dgfip_sandbox.apis.ficoba.searches import FicobaService
from dgfip_sandbox.clock import FrozenClock
from dgfip_sandbox.seed import ficoba as ficoba_seed
from dgfip_sandbox.seed import seeders
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store import accounts
from dgfip_sandbox.store.consumers import ConsumerRecord
from dgfip_sandbox.store.database import create_engine, create_sessionmaker
from dgfip_sandbox.store.migrate import upgrade_to_head

NOW = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
CONSUMER = ConsumerRecord(
    id=1,
    name="bench",
    organisation="bench",
    application="bench",
    client_id="bench",
    client_secret_hash="x",
    active=True,
    oauth_scopes=frozenset(),
    datapass_scopes=frozenset(datapass.ACCOUNT_SCOPES),
    allowed_ips=(),
    quota_per_minute=200,
    id_teleservice=None,
    siret="13002526500013",
    ficoba_modalities=frozenset({datapass.PERSONNE_PHYSIQUE}),
    ficoba_motifs=frozenset({"0003"}),
)


def _demande(nom: str, prenoms: str, annee: str) -> schemas.DemandePerPhy:
    body = {
        "dateDemande": "2026-11-25",
        "motif": "0003",
        "siretDemandeur": CONSUMER.siret,
        "justification": "benchmark",
        "criteresRecherche": {"etatCivil": {"nom": nom, "prenoms": prenoms, "anneeNaissance": annee}},
    }
    return schemas.parse(schemas.DemandePerPhy, json.dumps(body).encode())


async def _p50(sessionmaker, demandes: list[schemas.DemandePerPhy]) -> tuple[float, int]:
    timings, found = [], 0
    for demande in demandes:
        async with sessionmaker() as session:
            service = FicobaService(session, clock=FrozenClock(NOW), consumer=CONSUMER)
            start = time.perf_counter()
            reponse = await service.per_phy(demande)
            timings.append(time.perf_counter() - start)
            found += reponse.outcome == "OK"
            await session.rollback()
    return statistics.median(timings) * 1000, found


async def _grow(sessionmaker, extra: int, seed: int) -> None:
    rng = random.Random(f"bench:{seed}")
    async with sessionmaker() as session, session.begin():
        guichets = await ficoba_seed._guichets(session)
        batch = ficoba_seed.Batch(
            next_personne=(await session.scalar(select(func.max(accounts.Personne.id))) or 0) + 1,
            next_compte=(await session.scalar(select(func.max(accounts.Compte.id))) or 0) + 1,
            next_droit=(await session.scalar(select(func.max(accounts.Droit.id))) or 0) + 1,
        )
        batch.ibans.update((await session.execute(select(accounts.Compte.iban))).scalars())
        builder = ficoba_seed.Builder(rng, guichets, batch)
        for person in ficoba_seed.synthetic_people(rng, extra):
            person["nom_naissance"] = f"{rng.choice(ficoba_seed.NOMS)}-{rng.choice(ficoba_seed.NOMS)}"
            pid = batch.personne(**person, **builder.address())
            iban, guichet = builder.new_iban()
            opened = date(2010, 1, 1)
            compte = batch.compte(iban=iban, guichet_id=guichet, ouverture=opened, nature=101)
            batch.droit(compte, pid, 1, opened)
        await ficoba_seed.insert_batch(session, batch)


async def run(settings: Settings, extra: int, queries: int) -> dict[str, float]:
    engine = create_engine(settings.sqlalchemy_url)
    sessionmaker = create_sessionmaker(engine)
    for seeder in seeders():
        async with sessionmaker() as session, session.begin():
            await seeder(session, settings)
    async with sessionmaker() as session:
        base = await session.scalar(select(func.count()).select_from(accounts.Personne))
        rows = (
            await session.execute(
                select(accounts.Personne.nom_naissance, accounts.Personne.prenoms, accounts.Personne.annee_naissance)
                .where(accounts.Personne.kind == "PP")
                .order_by(accounts.Personne.id)
            )
        ).all()
    rng = random.Random(settings.seed)
    demandes = [_demande(*row) for row in rng.choices(rows, k=queries)]
    await _p50(sessionmaker, demandes[:20])  # warm-up
    before, found_before = await _p50(sessionmaker, demandes)
    start = time.perf_counter()
    await _grow(sessionmaker, extra, settings.seed)
    grow_seconds = time.perf_counter() - start
    async with sessionmaker() as session:
        total = await session.scalar(select(func.count()).select_from(accounts.Personne))
    await _p50(sessionmaker, demandes[:20])
    after, found_after = await _p50(sessionmaker, demandes)
    await engine.dispose()
    return {
        "persons_default": base,
        "persons_grown": total,
        "queries": queries,
        "found_default": found_before,
        "found_grown": found_after,
        "p50_ms_default": round(before, 3),
        "p50_ms_grown": round(after, 3),
        "ratio": round(after / before, 3),
        "grow_seconds": round(grow_seconds, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(var_dir=Path(tmp), database_url=f"sqlite+aiosqlite:///{tmp}/bench.db", _env_file=None)
        upgrade_to_head(settings.sqlalchemy_url)  # Alembic runs its own event loop: before ours
        result = asyncio.run(run(settings, args.extra, args.queries))
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["ratio"] <= 1.5 else 1)
