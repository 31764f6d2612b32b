"""Generating seed rows in a worker process while this one writes them (the machine's other core).

The rows are drawn from the same ``random.Random`` streams in the same order as in-process, so the data
does not depend on where it was generated; only large seeds use a worker (``WORKER_FROM`` foyers: a
worker costs a Python start, about a second). The worker is a *spawned* process (no fork of a process
running threads: aiosqlite's, the event loop's executor); what it sends is pickled plain data.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

WORKER_FROM = 5000  # foyers; below, the seeders generate in-process (tests seed a few hundred)

# Work that later seeders start while the population is being written (FICOBA's rows): registered by
# their modules (``companion``), started by the population seeder (``start_companions``), so that the
# population seeder imports none of them.
_COMPANIONS: list[Callable[[Any, str], None]] = []


def companion(start: Callable[[Any, str], None]) -> Callable[[Any, str], None]:
    """Register ``start(settings, dialect)``, called when a large population starts being written."""
    _COMPANIONS.append(start)
    return start


def start_companions(settings: Any, dialect: str) -> None:
    for start in _COMPANIONS:
        start(settings, dialect)


def _run(connection: Connection, function: Callable[..., Iterator[Any]], args: tuple[Any, ...]) -> None:
    try:
        for item in function(*args):
            connection.send(("item", item))
        connection.send(("end", None))
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises
        connection.send(("error", traceback.format_exc()))
    finally:
        connection.close()


class Worker:
    """``function(*args)`` (a module-level generator function) iterated in a spawned process; its items
    read with :meth:`items`. The pipe holds about one item ahead: the worker draws the next chunk while
    this process writes the current one."""

    def __init__(self, function: Callable[..., Iterator[Any]], *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_run, args=(sender, function, args), daemon=True)
        self._process.start()
        sender.close()

    async def items(self) -> AsyncIterator[Any]:
        while True:
            kind, value = await asyncio.to_thread(self._connection.recv)
            if kind == "end":
                return
            if kind == "error":
                raise RuntimeError(f"la génération des données a échoué dans le processus auxiliaire :\n{value}")
            yield value

    async def result(self) -> Any:
        """The only item of a worker that yields one."""
        found = [item async for item in self.items()]
        return found[0]

    def close(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._process.close()
        self._connection.close()
