"""Generating seed rows in a worker process while this one writes them (the machine's other core).

The rows are drawn from the same ``random.Random`` streams in the same order as in-process, so the data
does not depend on where it was generated; only large seeds use a worker (``WORKER_FROM`` foyers: a
worker costs a Python start, about a second). The worker is a *spawned* process (no fork of a process
running threads: aiosqlite's, the event loop's executor); what it sends is pickled plain data.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import traceback
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any, Protocol, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.store.bulk import collector_paused

STOPPED_JOIN_SECONDS = 5.0  # how long a worker whose pipe closed is given to be reaped (for its exit code)
WORKER_FROM = 5000  # foyers; below, the seeders generate in-process (tests seed a few hundred)


class Companion(Protocol):
    """Another seeder's rows, prepared in a worker while the population is being drawn and written, and
    written by the population seeder between its own chunks, in its transaction: the single writer loads
    them while the population's workers are still at work, instead of alone after them. The seeder whose
    rows they are then finds them there and has nothing left to do."""

    tables: Sequence[Table]  # loaded with their secondary indexes deferred, like the population's
    publishes_chunk_starts: bool  # it took the population's chunk starts to publish (population.ChunkStarts)

    async def write_ready(self, session: AsyncSession) -> bool:
        """Write one piece of rows if one is ready now (no wait); False when none was."""

    async def write_rest(self, session: AsyncSession) -> None:
        """Write every piece left, waiting for them (then the companion is done)."""

    def exitcode(self) -> int | None:
        """The worker's exit code once it has stopped (negative: killed by that signal), else None."""

    def close(self) -> None:
        """Stop the worker (whatever it still had to send)."""


# Registered by the seeders' modules (``companion``), started by the population seeder
# (``start_companions``), so that the population seeder imports none of them.
Start = Callable[[Any, str, Any], Companion | None]
_COMPANIONS: list[Start] = []


def companion(start: Start) -> Start:
    """Register ``start(settings, dialect, chunk_starts)``, called when a large population starts being
    written; ``chunk_starts`` (population.ChunkStarts, or None) is for a companion that draws the whole
    population anyway to publish."""
    _COMPANIONS.append(start)
    return start


def start_companions(settings: Any, dialect: str, chunk_starts: Any) -> list[Companion]:
    """The companions started; ``chunk_starts`` is offered to each in turn until one takes it (its
    ``publishes_chunk_starts``)."""
    started: list[Companion] = []
    for start in _COMPANIONS:
        found = start(settings, dialect, chunk_starts)
        if found is not None:
            started.append(found)
            if found.publishes_chunk_starts:
                chunk_starts = None
    return started


class WorkerFailed(RuntimeError):
    """A worker process raised (the message holds its traceback) or stopped before its end (killed, say,
    by the system for lack of memory): the seed is abandoned, its transaction rolled back."""


def queues(count: int) -> tuple[Any, ...]:
    """``count`` queues that worker processes (spawned) can share: a process puts without waiting."""
    context = multiprocessing.get_context("spawn")
    return tuple(context.Queue() for _ in range(count))


def _run(connection: Connection, function: Callable[..., Iterator[Any]], args: tuple[Any, ...]) -> None:
    try:
        with collector_paused():  # a worker only builds acyclic rows: 15 % of its time went to the collector
            for item in function(*args):
                connection.send(("item", item))
        connection.send(("end", None))
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises
        connection.send(("error", traceback.format_exc()))
    finally:
        connection.close()


def _how(exitcode: int | None) -> str:
    """How a process stopped, in French: its exit code, or the signal that killed it."""
    if exitcode is None or exitcode >= 0:
        return f"code de sortie {exitcode}"
    try:
        name = signal.Signals(-exitcode).name
    except ValueError:
        name = str(-exitcode)
    hint = " : le système l'a peut-être arrêté faute de mémoire" if -exitcode == signal.SIGKILL else ""
    return f"tué par le signal {name}{hint}"


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
            kind, value = await asyncio.to_thread(self._receive)
            if kind == "end":
                return
            if kind == "error":
                raise WorkerFailed(f"la génération des données a échoué dans un processus auxiliaire :\n{value}")
            if kind == "stopped":
                raise WorkerFailed(
                    f"un processus auxiliaire de génération des données s'est arrêté avant la fin ({_how(value)})"
                )
            yield value

    def _receive(self) -> tuple[str, Any]:
        try:
            return cast(tuple[str, Any], self._connection.recv())
        except EOFError:  # the process is gone without its "end": killed, or died in the interpreter
            self._process.join(timeout=STOPPED_JOIN_SECONDS)
            return "stopped", self._process.exitcode

    def ready(self) -> bool:
        """An item (or the end) can be read without waiting."""
        return self._connection.poll()

    def exitcode(self) -> int | None:
        """The process's exit code once it has stopped (negative: killed by that signal), else None."""
        return self._process.exitcode

    def close(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._process.close()
        self._connection.close()
