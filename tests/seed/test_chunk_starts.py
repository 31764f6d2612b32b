"""The population workers, drawing only their own chunks from the starts another process published
(``population.ChunkStarts``), build exactly the chunks of the whole stream, SPIs refused on the way
included (the seed's own fingerprint, tests/test_seed_fingerprint.py, checks the whole seed)."""

from __future__ import annotations

import asyncio
import itertools
import os
import queue
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from dgfip_sandbox.seed import population, workers

SEED, SIZE, PER_CHUNK = 11, 600, 100


def _chunks_from_published_starts() -> list[Any]:
    queues = (queue.Queue[Any](), queue.Queue[Any]())  # in-process stand-ins for the workers' queues
    starts = population.ChunkStarts(PER_CHUNK, queues)
    drawn = list(population._publishing(SEED, SIZE, starts))
    assert drawn == list(population.random_foyers(SEED, SIZE))
    parts = [list(population.population_chunks(SEED, SIZE, "sqlite", part, 2, PER_CHUNK, starts)) for part in (0, 1)]
    merged: list[Any] = []
    for index in range(population.chunk_count(SIZE, PER_CHUNK)):
        merged.append(parts[index % 2][index // 2])
    assert all(queue_.empty() for queue_ in queues)
    return merged


def test_the_workers_build_the_chunks_of_the_whole_stream() -> None:
    assert _chunks_from_published_starts() == list(population.population_chunks(SEED, SIZE, "sqlite", 0, 1, PER_CHUNK))


def test_an_spi_refused_in_a_chunk_is_refused_by_its_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    first_pass = list(population.random_foyers(SEED, SIZE))
    planted = {spec.dec1.spi for spec in first_pass[250:260]}  # drawn in the third chunk
    first_drawer = population._first_drawer

    def with_planted(seed: int) -> Any:
        drawer = first_drawer(seed)
        drawer.taken |= planted  # as if earlier foyers held them: the whole stream refuses them there
        return drawer

    monkeypatch.setattr(population, "_first_drawer", with_planted)
    whole = list(population.population_chunks(SEED, SIZE, "sqlite", 0, 1, PER_CHUNK))
    assert list(population.random_foyers(SEED, SIZE))[250:260] != first_pass[250:260]
    assert _chunks_from_published_starts() == whole


def test_the_first_chunk_must_hold_the_personas() -> None:
    starts = population.ChunkStarts(5, (queue.Queue[Any](),))
    with pytest.raises(ValueError, match="persona"):
        next(population.population_chunks(SEED, SIZE, "sqlite", 0, 1, 5, starts))


def _worker_after(publisher_stops: Any) -> Any:
    """What population worker 1 raises once the publisher stopped as ``publisher_stops(drawn)`` says."""
    queues = (queue.Queue[Any](), queue.Queue[Any]())
    starts = population.ChunkStarts(PER_CHUNK, queues)
    publisher_stops(population._publishing(SEED, SIZE, starts))
    chunks = population.population_chunks(SEED, SIZE, "sqlite", 1, 2, PER_CHUNK, starts)
    with pytest.raises(RuntimeError, match="débuts de lots n'ont pas tous été publiés") as raised:
        list(chunks)  # without the failure, it would wait CHUNK_START_TIMEOUT for the next start
    return raised.value


def test_a_publisher_that_fails_stops_the_workers_with_its_report(monkeypatch: pytest.MonkeyPatch) -> None:
    random_foyer = population.random_foyer
    drawn = 0

    def failing(drawer: Any) -> Any:
        nonlocal drawn
        drawn += 1
        if drawn == 350:
            raise MemoryError("planted")
        return random_foyer(drawer)

    monkeypatch.setattr(population, "random_foyer", failing)

    def consume(foyers: Any) -> None:
        with pytest.raises(MemoryError):
            list(foyers)

    assert "MemoryError: planted" in str(_worker_after(consume))


def test_a_publisher_closed_early_stops_the_workers() -> None:
    def close_early(foyers: Any) -> None:
        for _ in range(150):
            next(foyers)
        foyers.close()

    assert "s'est arrêté avant la fin" in str(_worker_after(close_early))


class _Publisher:
    """A companion as ``watch_publisher`` sees it: its exit codes, one per look."""

    publishes_chunk_starts = True

    def __init__(self, *codes: int | None) -> None:
        self._codes = list(codes)

    def exitcode(self) -> int | None:
        return self._codes.pop(0) if len(self._codes) > 1 else self._codes[0]


def _watched(publisher: Any) -> Any:
    queues = (queue.Queue[Any](), queue.Queue[Any]())
    starts = population.ChunkStarts(PER_CHUNK, queues)
    asyncio.run(population.watch_publisher(publisher, starts, every=0))
    return starts, queues


def test_a_killed_publisher_stops_the_workers_with_its_exit_code() -> None:
    starts, _queues = _watched(_Publisher(None, None, -9))
    with pytest.raises(RuntimeError, match=r"code de sortie -9"):
        list(population.population_chunks(SEED, SIZE, "sqlite", 1, 2, PER_CHUNK, starts))


def test_a_publisher_that_finished_is_left_alone() -> None:
    _starts, queues = _watched(_Publisher(None, 0))
    assert all(queue_.empty() for queue_ in queues)


def test_a_real_worker_killed_is_seen_by_its_exit_code_and_by_its_reader() -> None:
    worker = workers.Worker(_forever)
    try:
        os.kill(worker._process.pid or 0, signal.SIGKILL)
        worker._process.join()
        assert worker.exitcode() == -signal.SIGKILL

        async def read_all() -> None:
            async for _item in worker.items():  # what it sent before it was killed, then its end
                pass

        with pytest.raises(
            workers.WorkerFailed,
            match=r"arrêté avant la fin \(tué par le signal SIGKILL : le système l'a peut-être arrêté faute de mémoire\)",
        ):
            asyncio.run(read_all())
    finally:
        worker.close()


def _forever() -> Iterator[int]:
    yield from itertools.count()


@pytest.mark.parametrize(
    ("exitcode", "said"),
    [(3, "code de sortie 3"), (-signal.SIGTERM, "tué par le signal SIGTERM"), (-200, "tué par le signal 200")],
)
def test_how_a_worker_stopped_is_said_in_french(exitcode: int, said: str) -> None:
    assert workers._how(exitcode) == said
