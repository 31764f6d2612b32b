"""The audit writer's dedicated database connection: one transaction per batch of audit records and
journal rows, with the driver's own ``executemany`` (no ORM, no pool, no per-statement thread hop).

* SQLite: a ``sqlite3`` connection (``store/loop_sqlite.py``); a whole batch (BEGIN IMMEDIATE, two
  executemany, COMMIT) runs in the event loop when the write lock is free at once (WAL,
  synchronous=NORMAL: a commit is a few hundred microseconds and no fsync, cheaper than any hand-over
  to a thread), else it is handed to a dedicated thread that waits for the lock (another process
  writing: the CLI, a reset).
* PostgreSQL: an ``asyncpg`` connection; a batch is one transaction with two pipelined executemany.

Rows come as the writer builds them (store/audit.py); each value is made storable (store/journal.py
``storable``: NUL, control characters, lone surrogates escaped) and converted by its column's own
SQLAlchemy type for the engine's dialect (DateTime and JSON stored exactly as the ORM stores them), so
the rows read back through the models unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import JSON, String, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import TypeEngine

from dgfip_sandbox.store.changes import asyncpg_dsn
from dgfip_sandbox.store.journal import storable, storable_text
from dgfip_sandbox.store.loop_sqlite import LoopSqlite

Row = dict[str, Any]
Tables = tuple[Table, Table]  # the audit records' table, the journal entries' table


class AuditConnection(Protocol):
    async def commit(self, audit_rows: Sequence[Row], journal_rows: Sequence[Row]) -> None:
        """Insert both lists in one transaction; return once it is committed."""

    async def close(self) -> None: ...


class Insert:
    """One table's INSERT statement and its columns' conversions for a dialect, in one pass per row:
    each text made storable (store/journal.py), each JSON value encoded once (see :func:`_json_value`),
    the other values converted by their column's type."""

    def __init__(self, table: Table, dialect: Dialect, placeholder: Callable[[int], str]) -> None:
        columns = [c for c in table.columns if not (c.primary_key and c.autoincrement in (True, "auto"))]
        self.names = [c.name for c in columns]
        self.convert = [_converter(c.type, dialect) for c in columns]
        quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in self.names)
        values = ", ".join(placeholder(i) for i in range(1, len(columns) + 1))
        self.sql = f"INSERT INTO {table.name} ({quoted}) VALUES ({values})"  # noqa: S608 - names from the model

    def values(self, rows: Sequence[Row]) -> list[tuple[Any, ...]]:
        pairs = list(zip(self.names, self.convert, strict=True))
        return [
            tuple(None if (value := row.get(name)) is None else convert(value) for name, convert in pairs)
            for row in rows
        ]


# What json.dumps (ensure_ascii, as SQLAlchemy's JSON type encodes) writes for the unstorable characters:
# \u0000-\u001f (but \t, \n, \r, written so), \b, \f, \u007f, and a surrogate (lone, or one half
# of a pair: then a false alarm). An escaped backslash may also look like one: a false alarm, never a miss.
_ESCAPED_UNSTORABLE = re.compile(r"\\u00[01][0-9a-f]|\\u007f|\\[bf]|\\ud[89a-f]")
_PROBE = {"clé": ["valeur", 1, None, True, 2.5, {"é\t\n": "€"}]}


def _refuse(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# json.dumps with its default options, as one C encoder made once (json.dumps makes one per call, the
# larger part of its cost on small values); no cycle check (the rows are built here: no cycle).
_C_ENCODER = getattr(json.encoder, "c_make_encoder", None)
_encode_chunks = (
    _C_ENCODER(None, _refuse, json.encoder.encode_basestring_ascii, None, ": ", ", ", False, False, True)
    if _C_ENCODER is not None
    else None
)


def _dumps(value: Any) -> str:
    if _encode_chunks is not None and type(value) in (dict, list):
        return "".join(_encode_chunks(value, 0))
    return json.dumps(value)


def _json_value(value: Any) -> str:
    """``value`` made storable and JSON-encoded as SQLAlchemy's JSON type does (``json.dumps``), with one
    encoding when no text in it needs escaping (the common case)."""
    text = _dumps(value)
    if _ESCAPED_UNSTORABLE.search(text) is None:
        return text
    return json.dumps(storable(value))


def _converter(column_type: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any]:
    process = column_type.dialect_impl(dialect).bind_processor(dialect)
    if isinstance(column_type, JSON):
        if process is not None and process(_PROBE) == json.dumps(_PROBE):
            return _json_value  # the type's own encoding, done once
        return lambda value: process(storable(value)) if process is not None else storable(value)
    if isinstance(column_type, String):
        if process is None:
            return lambda value: storable_text(value) if isinstance(value, str) else value
        return lambda value: process(storable_text(value) if isinstance(value, str) else value)
    if process is None:
        return lambda value: value
    return process


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
            await connection.execute(audit_table.insert(), [storable(row) for row in audit_rows])
            if journal_rows:
                await connection.execute(journal_table.insert(), [storable(row) for row in journal_rows])

    async def close(self) -> None:
        return None


def open_audit_connection(engine: AsyncEngine, tables: Tables) -> AuditConnection:
    if engine.url.get_backend_name() == "sqlite":
        if not engine.url.database or engine.url.database == ":memory:":
            return EngineAuditConnection(engine, tables)
        return SqliteAuditConnection(engine, tables)
    return PostgresAuditConnection(engine, tables)
