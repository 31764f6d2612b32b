"""A dedicated ``sqlite3`` connection used from the event loop, for the hot paths' few statements.

aiosqlite runs every statement in a thread of its own: two hand-overs per statement, and under load
threads waiting for the GIL, which on one core costs more than the statements themselves. On a SQLite
file in WAL mode a read never waits and a short write transaction takes a few hundred microseconds
(synchronous=NORMAL: no fsync at commit), so this connection runs them in the event loop:

* ``fetchone``: one SELECT in autocommit mode (it sees every transaction committed before it, in any
  process);
* ``write``: one transaction (BEGIN IMMEDIATE, each statement's ``executemany``, COMMIT) in the event
  loop when the write lock is free at once, else handed to this connection's own thread, which waits
  for the lock (another process writing: the CLI, a reset, a long transaction of another connection).

The same loop never runs two of these at once, so several such connections of one process (the audit
writer's, FranceConnect's) never wait for each other.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

Statement = tuple[str, Sequence[tuple[Any, ...]]]  # SQL with ? placeholders, and its rows of values


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


class LoopSqlite:
    BUSY_TIMEOUT_SECONDS = 30.0

    def __init__(self, path: str, *, name: str) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{name}-sqlite")
        self._connection: sqlite3.Connection | None = None
        self._waits: bool | None = None  # the connection's busy_timeout: waiting for the lock, or not

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(self._path, timeout=0, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._connection = connection
        return self._connection

    def _busy_timeout(self, connection: sqlite3.Connection, *, wait: bool) -> None:
        # Without waiting (the event loop's fast path: SQLITE_BUSY raises at once), or waiting for the lock.
        if self._waits is not wait:
            connection.execute(f"PRAGMA busy_timeout = {int(self.BUSY_TIMEOUT_SECONDS * 1000) if wait else 0}")
            self._waits = wait

    def _fetchone(self, sql: str, parameters: tuple[Any, ...], *, wait: bool) -> tuple[Any, ...] | None:
        connection = self._connect()
        self._busy_timeout(connection, wait=wait)
        row: tuple[Any, ...] | None = connection.execute(sql, parameters).fetchone()
        return row

    def _write(self, statements: Sequence[Statement], *, wait: bool) -> None:
        connection = self._connect()
        self._busy_timeout(connection, wait=wait)
        connection.execute("BEGIN IMMEDIATE")
        try:
            for sql, rows in statements:
                if rows:
                    connection.executemany(sql, rows)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    async def _off_loop(self, function: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function)

    async def fetchone(self, sql: str, parameters: tuple[Any, ...]) -> tuple[Any, ...] | None:
        try:
            return self._fetchone(sql, parameters, wait=False)
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
        row: tuple[Any, ...] | None = await self._off_loop(
            functools.partial(self._fetchone, sql, parameters, wait=True)
        )
        return row

    async def write(self, statements: Sequence[Statement]) -> None:
        """All the statements in one transaction; returns once it is committed."""
        try:
            self._write(statements, wait=False)
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
        await self._off_loop(functools.partial(self._write, statements, wait=True))

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection, self._waits = None, None

    async def close(self) -> None:
        await self._off_loop(self._close)
        self._executor.shutdown(wait=True)
