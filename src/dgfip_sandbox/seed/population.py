"""The fictitious population of API Impôt particulier: the named personas plus ``settings.seed_size``
random foyers drawn from ``random.Random(settings.seed)`` (same seed, same population).

Rows are built as plain dicts and loaded in chunks by ``store.bulk`` (COPY on PostgreSQL, executemany
elsewhere), the secondary indexes built once after the load. The seeder does nothing when foyers
already exist (and refuses an explicit ``seed_size`` other than the one they were drawn with).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.seed import workers
from dgfip_sandbox.seed.avis import Incomes
from dgfip_sandbox.seed.draws import Draws, Weighted
from dgfip_sandbox.seed.foyers import (
    SEED_YEARS,
    TH_YEARS,
    AddressSpec,
    DeathSpec,
    FoyerSpec,
    PersonSpec,
    declarant_row,
    foyer_rows,
    skip_foyer_rows,
)
from dgfip_sandbox.seed.personas_impot import PERSONA_FOYERS, PERSONAS, SPI_INCONNU
from dgfip_sandbox.seed.referentiels import (
    COMMUNES,
    NOMS,
    NOMS_ETRANGERS,
    NOMS_VOIE,
    PAYS,
    PRENOMS_F,
    PRENOMS_M,
    TYPES_VOIE,
)
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.bulk import Records, deferred_indexes, insert_records, prepare_records
from dgfip_sandbox.store.database import advance_sequences
from dgfip_sandbox.store.taxpayers import Declarant, Foyer, TaxSituation, ThSituation

__all__ = ["PERSONAS", "seed", "population_rows", "random_foyers"]

FOYERS_PER_CHUNK = 1250  # about 5,000 avis per chunk written
WORKERS = 2  # population workers of a large seed
TABLES = (
    ("foyers", Foyer),
    ("declarants", Declarant),
    ("tax_situations", TaxSituation),
    ("th_situations", ThSituation),
)


PRENOM_COUNTS = Weighted((1, 2, 3), (60, 30, 10))
SITFAMS = Weighted("MOCDV", (40, 8, 35, 10, 7))
CHILDREN = Weighted((0, 1, 2, 3, 4, 5), (30, 25, 28, 11, 4, 2))
NATURES_LOCAL = Weighted(("AP", "MA", "MP", "ME"), (50, 45, 4, 1))
NOMS_NES_ETRANGER = NOMS_ETRANGERS + NOMS
SEED_YEARS_BUT_LAST = SEED_YEARS[:-1]


class _Drawer:
    """The random foyers' draws (``Draws``: the values ``random.Random``'s methods would give)."""

    def __init__(self, rng: random.Random, taken: set[str]) -> None:
        self.rng = rng
        self.draws = Draws(rng)
        self.taken = taken
        self.refused: list[str] = []  # the SPIs drawn but already taken, in order (see ChunkStarts)

    def spi(self) -> str:
        """``spi.random_spi(rng)``, never one already taken."""
        below = self.draws.below
        while True:
            base = below(4) * 10**9 + below(10**9)
            spi = f"{base:010d}{base % 511:03d}"  # spi.spi_from_base: the check key is the base modulo 511
            if spi not in self.taken:
                self.taken.add(spi)
                return spi
            self.refused.append(spi)

    def prenoms(self, sexe: str) -> str:
        draws = self.draws
        names = PRENOMS_M if sexe == "M" else PRENOMS_F
        count = draws.weighted(PRENOM_COUNTS)
        chosen: list[str] = []
        while len(chosen) < count:
            name = draws.choice(names)
            if name not in chosen:
                chosen.append(name)
        return " ".join(chosen)

    def person(self, sexe: str, *, born_between: tuple[int, int], nom: str | None = None) -> PersonSpec:
        draws = self.draws
        birth = date.fromordinal(date(draws.randint(*born_between), 1, 1).toordinal() + draws.below(365))
        if draws.random() < 0.08:
            code_pays, pays = draws.choice(PAYS)
            nom = nom or draws.choice(NOMS_NES_ETRANGER)
            spi = self.spi()
            return PersonSpec(
                spi,
                sexe,
                nom,
                self.prenoms(sexe),
                birth,
                code_pays_naissance=code_pays,
                departement_naissance="99",
                lieu_naissance=pays,
            )
        insee, _cp, commune, dept = draws.choice(COMMUNES)
        spi = self.spi()
        return PersonSpec(
            spi,
            sexe,
            nom or draws.choice(NOMS),
            self.prenoms(sexe),
            birth,
            code_pays_naissance="99100",
            departement_naissance=dept,
            commune_naissance=insee,
            lieu_naissance=commune,
        )

    def address(self) -> AddressSpec:
        draws = self.draws
        complement = ""
        if draws.random() < 0.3:
            complement = f"BAT {draws.choice('ABCDE')} APT {draws.randint(1, 120)}"
        return AddressSpec(
            numero=draws.randint(1, 180),
            type_voie=draws.choice(TYPES_VOIE),
            nom_voie=draws.choice(NOMS_VOIE),
            commune=draws.choice(COMMUNES),
            complement=complement,
        )

    def income(self, age: int) -> tuple[int, int]:
        """(salary, pension) for one adult in 2025."""
        draws = self.draws
        if age >= 64:
            return 0, int(draws.lognormvariate(9.9, 0.45))
        if draws.random() < 0.08:
            return 0, 0
        return int(draws.lognormvariate(10.25, 0.5)), 0


def random_foyer(drawer: _Drawer) -> FoyerSpec:
    draws = drawer.draws
    random_, uniform, expovariate = draws.random, draws.uniform, draws.expovariate
    sitfam = draws.weighted(SITFAMS)
    couple = sitfam in "MO"
    if sitfam == "V":
        born = (1935, 1965)
    elif sitfam == "C":
        born = (1960, 2005)
    else:
        born = (1945, 1998)
    sexe1 = draws.choice("MF")
    dec1 = drawer.person(sexe1, born_between=born)
    dec2 = None
    if couple:
        sexe2 = ("F" if sexe1 == "M" else "M") if random_() < 0.95 else sexe1
        y = dec1.date_naissance.year
        dec2 = drawer.person(sexe2, born_between=(max(1935, y - 6), min(2005, y + 6)))
        if sexe2 == "F" and sexe1 == "M" and sitfam == "M" and random_() < 0.6:
            dec2 = replace(dec2, nom_usage=dec1.nom_naissance)
        elif sexe1 == "F" and sexe2 == "M" and sitfam == "M" and random_() < 0.6:
            dec1 = replace(dec1, nom_usage=dec2.nom_naissance)
    age1 = 2025 - dec1.date_naissance.year
    pac: dict[str, int] = {}
    young_enough = age1 < 60
    if young_enough and (couple or sitfam in "DV" or random_() < 0.1):
        children = draws.weighted(CHILDREN)
        if children:
            alternate = sum(1 for _ in range(children) if sitfam == "D" and random_() < 0.4)
            majeurs = sum(1 for _ in range(children - alternate) if age1 > 45 and random_() < 0.3)
            pac = {"nbPacF": children - alternate - majeurs, "nbPacH": alternate, "nbPacJ": majeurs}
            if pac["nbPacF"] and random_() < 0.03:
                pac["nbPacG"] = 1
    if random_() < 0.01:
        pac["nbPacR"] = 1
    sal1, pen1 = drawer.income(age1)
    sal2, pen2 = drawer.income(2025 - dec2.date_naissance.year) if dec2 else (0, 0)
    has_children = bool(pac.get("nbPacF") or pac.get("nbPacH") or pac.get("nbPacJ"))
    incomes = Incomes(
        salaires=(sal1, sal2),
        pensions=(pen1, pen2),
        interets=int(expovariate(1 / 600)) if random_() < 0.5 else 0,
        dividendes=int(expovariate(1 / 3000)) if random_() < 0.15 else 0,
        plus_values=int(expovariate(1 / 8000)) if random_() < 0.03 else 0,
        foncier_micro=int(uniform(3000, 15000)) if random_() < 0.1 else 0,
        deficit_foncier=int(uniform(2000, 10700)) if random_() < 0.02 else 0,
        bnc_micro=int(uniform(5000, 60000)) if random_() < 0.05 else 0,
        rentes=int(uniform(1000, 6000)) if random_() < 0.01 else 0,
        pension_enfant_majeur=int(uniform(1000, 6000)) if random_() < 0.02 else 0,
        pension_autre=int(uniform(1200, 9000)) if sitfam == "D" and random_() < 0.3 else 0,
        epargne_retraite=(int(uniform(500, 8000)) if random_() < 0.1 else 0, 0),
        dons=int(expovariate(1 / 250)) if random_() < 0.2 else 0,
        emploi_domicile=int(uniform(500, 8000)) if random_() < 0.1 else 0,
    )
    gross = sal1 + sal2 + pen1 + pen2 + incomes.dividendes
    ifi_years = frozenset(SEED_YEARS) if (gross > 150000 and random_() < 0.6) or random_() < 0.002 else frozenset()
    # Young adults have no avis before their first declaration.
    first_year = max(SEED_YEARS[0], dec1.date_naissance.year + 18)
    years = tuple(y for y in SEED_YEARS if y >= first_year) or (SEED_YEARS[-1],)
    death = None
    if couple and random_() < 0.005:
        year = draws.choice(SEED_YEARS_BUT_LAST)
        when = date(year, 1, 1) + timedelta(days=draws.randint(1, 359))
        rank = draws.choice((1, 2))
        death = DeathSpec(annrev=year, when=when, rank=rank)
        if rank == 1:
            dec1 = replace(dec1, date_deces=when)
        elif dec2 is not None:
            dec2 = replace(dec2, date_deces=when)
    return FoyerSpec(
        persona=None,
        sitfam=sitfam,
        dec1=dec1,
        dec2=dec2,
        address=drawer.address(),
        incomes=incomes,
        pac=pac,
        years=years,
        parent_isole=sitfam in "CD" and has_children,
        case_p=random_() < 0.01,
        ifi_years=ifi_years,
        th_years=tuple(y for y in TH_YEARS if y >= dec1.date_naissance.year + 18) if random_() < 0.9 else (),
        nature_local=draws.weighted(NATURES_LOCAL),
        death=death,
    )


def random_foyers(seed: int, size: int) -> Iterator[FoyerSpec]:
    drawer = _first_drawer(seed)
    for _ in range(size):
        yield random_foyer(drawer)


def _first_drawer(seed: int) -> _Drawer:
    """The drawer of the first random foyer: the personas' SPIs (and the unknown one) already taken."""
    rng = random.Random(seed)  # noqa: S311 - deterministic fictitious data, not a secret
    taken = {spec.dec1.spi for spec in PERSONA_FOYERS} | {spec.dec2.spi for spec in PERSONA_FOYERS if spec.dec2}
    taken.add(SPI_INCONNU)
    return _Drawer(rng, taken)


CHUNK_START_TIMEOUT = 300.0  # seconds a population worker waits for its next chunk start before failing


@dataclass(frozen=True)
class ChunkStarts:
    """Where the population's two random streams stand at the start of each chunk, published by a process
    that draws the whole population anyway (FICOBA's worker, through ``declarant_rows``), so that each
    population worker draws only its own chunks instead of the whole stream. Chunk c >= 1 goes to
    ``queues[c % len(queues)]`` as (c, foyers' generator state, details' generator state, the SPIs drawn
    in the chunk that were already taken); None ends each queue. A worker starting from that state, with
    those SPIs as the only ones taken, refuses exactly the SPIs the full draw refused, so it draws the
    same foyers (tests/seed/test_chunk_starts.py)."""

    per_chunk: int
    queues: tuple[Any, ...]  # multiprocessing queues (seed.workers.queues)

    def publish(self, index: int, start: tuple[Any, Any], refused: list[str]) -> None:
        self.queues[index % len(self.queues)].put((index, *start, tuple(refused)))

    def end(self) -> None:
        for queue in self.queues:
            queue.put(None)

    def fail(self, report: str) -> None:
        """Tell every population worker that no more starts will come (the publisher failed, ``report``
        says how): they stop at once with that report instead of waiting ``CHUNK_START_TIMEOUT``."""
        for queue in self.queues:
            queue.put(("failed", report))


def population_rows(seed: int, size: int) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Rows per foyer, personas first (ids 1…), then the random foyers."""
    for rows in _population(seed, size, lambda _foyer_id: True):
        assert rows is not None  # noqa: S101 - every foyer kept
        yield rows


def _population(seed: int, size: int, keep: Callable[[int], bool]) -> Iterator[dict[str, list[dict[str, Any]]] | None]:
    """``population_rows``, with None instead of the rows of the foyers ``keep(foyer_id)`` rejects (their
    random draws consumed all the same, so the kept foyers are those of the full population)."""
    foyer_id = 0
    for spec in PERSONA_FOYERS:
        foyer_id += 1
        # Personas draw their varying details from their own generator: adding random foyers never changes them.
        yield foyer_rows(foyer_id, spec, random.Random(f"{seed}:{spec.persona}")) if keep(foyer_id) else None  # noqa: S311 - fictitious data
    detail_rng = random.Random(seed + 1)  # noqa: S311 - deterministic fictitious data, not a secret
    for spec in random_foyers(seed, size):
        foyer_id += 1
        if keep(foyer_id):
            yield foyer_rows(foyer_id, spec, detail_rng)
        else:
            skip_foyer_rows(spec, detail_rng)
            yield None


def declarant_rows(seed: int, size: int, starts: ChunkStarts | None = None) -> Iterator[dict[str, Any]]:
    """The ``declarants`` rows of ``population_rows`` alone, in foyer and rank order (no avis computed);
    with ``starts``, each chunk's start published on the way."""
    specs = random_foyers(seed, size) if starts is None else _publishing(seed, size, starts)
    for foyer_id, spec in enumerate(itertools.chain(PERSONA_FOYERS, specs), start=1):
        yield declarant_row(spec.dec1, foyer_id, 1)
        if spec.dec2:
            yield declarant_row(spec.dec2, foyer_id, 2)


def _publishing(seed: int, size: int, starts: ChunkStarts) -> Iterator[FoyerSpec]:
    """``random_foyers(seed, size)``, publishing the start of every chunk but the first (which holds the
    personas and is drawn from the beginning)."""
    per_chunk = starts.per_chunk
    drawer = _first_drawer(seed)
    details = random.Random(seed + 1)  # noqa: S311 - the stream _population gives foyer_rows
    current: tuple[int, tuple[Any, Any]] | None = None
    try:
        for foyer_id in range(len(PERSONA_FOYERS) + 1, len(PERSONA_FOYERS) + size + 1):
            if (foyer_id - 1) % per_chunk == 0:
                if current is not None:
                    starts.publish(current[0], current[1], drawer.refused)
                current = ((foyer_id - 1) // per_chunk, (drawer.rng.getstate(), details.getstate()))
                drawer.refused = []
            spec = random_foyer(drawer)
            skip_foyer_rows(spec, details)
            yield spec
    except GeneratorExit:  # its reader stopped early (it failed): the workers would wait for nothing
        starts.fail("le processus qui publie les débuts de lots s'est arrêté avant la fin")
        raise
    except BaseException:
        starts.fail(traceback.format_exc())
        raise
    if current is not None:
        starts.publish(current[0], current[1], drawer.refused)
    starts.end()


def chunk_count(size: int, per_chunk: int) -> int:
    return -(-(len(PERSONA_FOYERS) + size) // per_chunk)


def population_chunks(
    seed: int,
    size: int,
    dialect: str,
    part: int = 0,
    parts: int = 1,
    per_chunk: int = FOYERS_PER_CHUNK,
    starts: ChunkStarts | None = None,
) -> Iterator[tuple[int, list[Records]]]:
    """The population in chunks of ``per_chunk`` foyers, each as (foyers, the records of every table,
    parents first) ready for ``dialect``'s driver; only the chunks whose index is ``part`` modulo ``parts``
    (``parts`` workers share the work, each building its own chunks). Without ``starts`` each worker
    draws the whole random stream; with them, only its own chunks (the first, holding the personas, is
    drawn from the beginning by part 0)."""
    tables = [cast(Table, model.__table__) for _, model in TABLES]
    if starts is not None and per_chunk <= len(PERSONA_FOYERS):
        raise ValueError("the first chunk must hold every persona foyer")

    def keep(foyer_id: int) -> bool:
        chunk = (foyer_id - 1) // per_chunk
        return chunk % parts == part and (starts is None or chunk == 0)

    chunks = _chunks(_population(seed, size, keep), per_chunk, tables, dialect)
    if starts is None:
        yield from chunks
        return
    if part == 0:
        yield next(chunks)  # the first chunk only: the generator stops drawing there
    queue = starts.queues[part]
    last = len(PERSONA_FOYERS) + size
    while (start := queue.get(timeout=CHUNK_START_TIMEOUT)) is not None:
        if start[0] == "failed":
            raise RuntimeError(f"les débuts de lots n'ont pas tous été publiés :\n{start[1]}")
        index, state, details_state, refused = start
        rng, details = random.Random(), random.Random()  # noqa: S311 - set to the published states
        rng.setstate(state)
        details.setstate(details_state)
        drawer = _Drawer(rng, set(refused))
        first = index * per_chunk + 1
        foyer_ids = range(first, min(first + per_chunk - 1, last) + 1)
        rows = (foyer_rows(foyer_id, random_foyer(drawer), details) for foyer_id in foyer_ids)
        yield from _chunks(rows, per_chunk, tables, dialect)


def _chunks(
    rows: Iterator[dict[str, list[dict[str, Any]]] | None], per_chunk: int, tables: list[Table], dialect: str
) -> Iterator[tuple[int, list[Records]]]:
    """The foyers' rows (None for those left out) in chunks of ``per_chunk`` foyers, prepared."""
    batch = _empty_batch()
    pending = 0
    for foyer in rows:
        if foyer is None:
            continue
        for name, _ in TABLES:
            batch[name].extend(foyer[name])
        pending += 1
        if pending == per_chunk:
            yield pending, _prepare(tables, batch, dialect)
            batch = _empty_batch()
            pending = 0
    if pending:
        yield pending, _prepare(tables, batch, dialect)


def _prepare(tables: list[Table], batch: dict[str, list[dict[str, Any]]], dialect: str) -> list[Records]:
    prepared = [prepare_records(table, batch[table.name], dialect) for table in tables]
    return [records for records in prepared if records is not None]


async def seed(session: AsyncSession, settings: Settings) -> None:
    from dgfip_sandbox import progress
    from dgfip_sandbox.seed.size import check_seed_size

    if await check_seed_size(session, settings):
        return
    tables = [cast(Table, model.__table__) for _, model in TABLES]
    total = len(PERSONA_FOYERS) + settings.seed_size
    dialect = session.get_bind().dialect.name
    if settings.seed_size < workers.WORKER_FROM:
        with progress.current().task("foyers fiscaux", total) as task:
            async with deferred_indexes(session, tables):
                for foyers, chunk in population_chunks(settings.seed, settings.seed_size, dialect):
                    await _write(session, chunk)
                    task.advance(foyers)
        await advance_sequences(session, "foyers")
        return
    # Two workers share the population chunk by chunk (one per core), and the other seeders' rows are
    # prepared on the side (seed.ficoba registers itself as a companion). This process writes, in chunk
    # order (same ids), and writes the companions' rows between the chunks as they become ready.
    # A companion that draws the population anyway (FICOBA's) publishes the chunks' starts: then each
    # population worker draws only its own chunks.
    starts = ChunkStarts(FOYERS_PER_CHUNK, workers.queues(WORKERS))
    companions = workers.start_companions(settings, dialect, starts)
    publisher = next((companion for companion in companions if companion.publishes_chunk_starts), None)
    parts = [
        workers.Worker(
            population_chunks,
            settings.seed,
            settings.seed_size,
            dialect,
            part,
            WORKERS,
            FOYERS_PER_CHUNK,
            starts if publisher else None,
        )
        for part in range(WORKERS)
    ]
    watchdog = asyncio.ensure_future(watch_publisher(publisher, starts)) if publisher else None
    try:
        loaded = tables + [table for companion in companions for table in companion.tables]
        with progress.current().task("foyers fiscaux", total) as task:
            async with deferred_indexes(session, loaded):
                streams = [worker.items() for worker in parts]
                count = chunk_count(settings.seed_size, FOYERS_PER_CHUNK)
                async for foyers, chunk, next_arrived in _received_ahead(streams, count):
                    await _write(session, chunk)
                    task.advance(foyers)
                    # A piece of the companions' rows after each chunk, more while the next chunk is on its
                    # way (the writer would only wait): their rows are written along, not all at the end.
                    wrote = [await companion.write_ready(session) for companion in companions]
                    while any(wrote) and not next_arrived():
                        wrote = [await companion.write_ready(session) for companion in companions]
                for stream in streams:
                    async for _extra in stream:
                        raise RuntimeError("un processus auxiliaire a produit plus de données qu'attendu")
                for companion in companions:
                    await companion.write_rest(session)
    finally:
        if watchdog is not None:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
        for worker in parts:
            worker.close()
        for companion in companions:
            companion.close()
    await advance_sequences(session, "foyers")


WATCH_SECONDS = 1.0  # how often the population seeder looks whether the chunk starts' publisher still runs


async def watch_publisher(publisher: workers.Companion, starts: ChunkStarts, every: float = WATCH_SECONDS) -> None:
    """Until the publisher of ``starts`` stops: if it stopped otherwise than by finishing (killed, say, by
    the system for lack of memory), tell the population workers at once (``ChunkStarts.fail``) instead of
    leaving them to wait ``CHUNK_START_TIMEOUT``. A publisher that raises tells them itself."""
    while (code := publisher.exitcode()) is None:
        await asyncio.sleep(every)
    if code != 0:
        starts.fail(f"le processus qui publie les débuts de lots s'est arrêté (code de sortie {code})")


async def _received_ahead(
    streams: list[AsyncIterator[tuple[int, list[Records]]]], count: int
) -> AsyncIterator[tuple[int, list[Records], Callable[[], bool]]]:
    """The ``count`` chunks (foyers, records), taken from the streams in turn, each with a function telling
    whether the next one has arrived: it is received (and unpickled, in a thread) while the current one is
    written, so that its worker is not held up by the writer."""
    pending = asyncio.ensure_future(anext(streams[0]))
    try:
        for index in range(count):
            foyers, records = await pending
            if index + 1 < count:
                pending = asyncio.ensure_future(anext(streams[(index + 1) % len(streams)]))
            yield foyers, records, pending.done
    finally:
        if not pending.done():
            pending.cancel()


async def _write(session: AsyncSession, chunk: list[Records]) -> None:
    for records in chunk:  # parents before children (foreign keys)
        await insert_records(session, records)


def _empty_batch() -> dict[str, list[dict[str, Any]]]:
    return {name: [] for name, _ in TABLES}
