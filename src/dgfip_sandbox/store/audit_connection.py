"""The audit writer's dedicated database connection: one transaction per batch of audit records and
journal rows, with the driver's own ``executemany`` (no ORM, no pool, no per-statement thread hop).

* SQLite: a ``sqlite3`` connection (``store/loop_sqlite.py``); a whole batch (BEGIN IMMEDIATE, two
  executemany, COMMIT) runs in the event loop when the write lock is free at once (WAL,
  synchronous=NORMAL: a commit is a few hundred microseconds and no fsync, cheaper than any hand-over
  to a thread), else it is handed to a dedicated thread that waits for the lock (another process
  writing: the CLI, a reset).
* PostgreSQL: an ``asyncpg`` connection; a batch is one transaction with two pipelined executemany.

Values are converted by the columns' own SQLAlchemy types for the engine's dialect (DateTime and
JSON stored exactly as the ORM stores them), so the rows read back through the models unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from dgfip_sandbox.store.changes import asyncpg_dsn
from dgfip_sandbox.store.loop_sqlite import LoopSqlite

Row = dict[str, Any]
Tables = tuple[Table, Table]  # the audit records' table, the journal entries' table


class AuditConnection(Protocol):
    async def commit(self, audit_rows: Sequence[Row], journal_rows: Sequence[Row]) -> None:
        """Insert both lists in one transaction; return once it is committed."""

    async def close(self) -> None: ...


class Insert:
    """One table's INSERT statement and its columns' conversions for a dialect."""

    def __init__(self, table: Table, dialect: Dialect, placeholder: Callable[[int], str]) -> None:
        columns = [c for c in table.columns if not (c.primary_key and c.autoincrement in (True, "auto"))]
        self.names = [c.name for c in columns]
        self.convert = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
        quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in self.names)
        values = ", ".join(placeholder(i) for i in range(1, len(columns) + 1))
        self.sql = f"INSERT INTO {table.name} ({quoted}) VALUES ({values})"  # noqa: S608 - names from the model

    def values(self, rows: Sequence[Row]) -> list[tuple[Any, ...]]:
        return [
            tuple(
                value if convert is None or value is None else convert(value)
                for convert, value in zip(self.convert, (row.get(name) for name in self.names), strict=True)
            )
            for row in rows
        ]


def _inserts(tables: Tables, engine: AsyncEngine, placeholder: Callable[[int], str]) -> tuple[Insert, Insert]:
    audit_table, journal_table = tables
    return Insert(audit_table, engine.dialect, placeholder), Insert(journal_table, engine.dialect, placeholder)


class SqliteAuditConnection:
    def __init__(self, engine: AsyncEngine, tables: Tables) -> None:
        self._audit, self._journal = _inserts(tables, engine, lambda _i: "?")
        self._connection = LoopSqlite(engine.url.database or "", name="audit")

    async def commit(self, audit_rows: Sequence[Row], journal_rows: Sequence[Row]) -> None:
        await self._connection.write(
            [(self._audit.sql, self._audit.values(audit_rows)), (self._journal.sql, self._journal.values(journal_rows))]
        )

    async def close(self) -> None:
        await self._connection.close()


class PostgresAuditConnection:
    def __init__(self, engine: AsyncEngine, tables: Tables) -> None:
        self._dsn = asyncpg_dsn(engine.url)
        self._audit, self._journal = _inserts(tables, engine, lambda i: f"${i}")
        self._connection: Any = None

    async def commit(self, audit_rows: Sequence[Row], journal_rows: Sequence[Row]) -> None:
        import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

        if self._connection is None or self._connection.is_closed():
            self._connection = await asyncpg.connect(self._dsn)
        connection = self._connection
        try:
            async with connection.transaction():
                await connection.executemany(self._audit.sql, self._audit.values(audit_rows))
                if journal_rows:
                    await connection.executemany(self._journal.sql, self._journal.values(journal_rows))
        except (OSError, asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.exceptions.InterfaceError):
            # A broken connection is replaced on the next batch; this one's requests get the error.
            self._connection = None
            connection.terminate()
            raise

    async def close(self) -> None:
        if self._connection is not None and not self._connection.is_closed():
            await self._connection.close()
        self._connection = None


class EngineAuditConnection:
    """An in-memory SQLite database (only the engine's connection sees it): Core inserts on the engine."""

    def __init__(self, engine: AsyncEngine, tables: Tables) -> None:
        self._engine = engine
        self._tables = tables

    async def commit(self, audit_rows: Sequence[Row], journal_rows: Sequence[Row]) -> None:
        audit_table, journal_table = self._tables
        async with self._engine.begin() as connection:
            await connection.execute(audit_table.insert(), list(audit_rows))
            if journal_rows:
                await connection.execute(journal_table.insert(), list(journal_rows))

    async def close(self) -> None:
        return None


def open_audit_connection(engine: AsyncEngine, tables: Tables) -> AuditConnection:
    if engine.url.get_backend_name() == "sqlite":
        if not engine.url.database or engine.url.database == ":memory:":
            return EngineAuditConnection(engine, tables)
        return SqliteAuditConnection(engine, tables)
    return PostgresAuditConnection(engine, tables)
