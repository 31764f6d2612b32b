"""Change counters in the database, so that caches of rarely written data are invalidated by change,
never by time, in every process.

``store_changes`` holds one counter per domain (``DOMAINS``): database triggers (migration
0006_perf, :func:`trigger_statements`) increment it in the transaction of any INSERT, UPDATE, DELETE
(or, on PostgreSQL, TRUNCATE) on one of the domain's tables, whoever writes: the gateway, the admin
app, the CLI in another process, a replica, ``psql``. A reader takes a :class:`Snapshot` of the
counters at the start of each request and uses cached rows only if they were loaded under the same
counters, so an admin change committed before a request started is seen by that request.

Reading the counters costs one indexed read of a 2-row table per request at most:

* SQLite: a synchronous read on a dedicated connection, in the event loop (a few microseconds in WAL
  mode, where readers never wait for a writer): no thread hop;
* PostgreSQL: one query on a dedicated asyncpg connection, coalesced: requests that arrive while a
  read is in flight wait for the next read, which starts after they arrived, so one round trip
  serves every request that arrived during the previous one and none sees a stale counter.

The snapshot of the current request is kept in a context variable (:func:`current`), which the
cached reads below the pipeline (the taxpayers of API Impôt particulier) consult; code that runs
without one (admin, CLI) reads through.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, Protocol

from sqlalchemy import Integer, String, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from dgfip_sandbox.store.base import Base
from dgfip_sandbox.store.database import begin_before_ddl

# Each cached domain and the tables whose writes invalidate it.
DOMAINS: dict[str, tuple[str, ...]] = {
    "consumers": ("consumers", "consumer_certificates"),
    "taxpayers": ("foyers", "declarants", "tax_situations", "th_situations"),
}

Snapshot = Mapping[str, int]


class StoreChange(Base):
    __tablename__ = "store_changes"

    domain: Mapped[str] = mapped_column(String(40), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)


_SELECT = "SELECT domain, generation FROM store_changes"


def trigger_statements(dialect: str) -> tuple[list[str], list[str]]:
    """The DDL creating and dropping the triggers that bump ``store_changes`` (SQLite or PostgreSQL)."""
    create: list[str] = []
    drop: list[str] = []
    for domain, tables in DOMAINS.items():
        bump = _bump(domain)
        if dialect == "postgresql":
            function = f"store_changes_bump_{domain}"
            create.append(
                f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {bump}; RETURN NULL; END $$"
            )
            for table in tables:
                create.append(
                    f"CREATE TRIGGER {table}_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
                )
                drop.append(f"DROP TRIGGER IF EXISTS {table}_changes ON {table}")
            drop.append(f"DROP FUNCTION IF EXISTS {function}()")
        else:
            for table in tables:
                for name, statement in _sqlite_triggers(domain, table):
                    create.append(statement)
                    drop.append(f"DROP TRIGGER IF EXISTS {name}")
    return create, drop


def _bump(domain: str) -> str:
    return f"UPDATE store_changes SET generation = generation + 1 WHERE domain = '{domain}'"  # noqa: S608 - DOMAINS is a constant


def _sqlite_triggers(domain: str, table: str) -> list[tuple[str, str]]:
    """(name, CREATE TRIGGER statement) of the SQLite triggers of ``table`` (one per row written)."""
    return [
        (name, f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {_bump(domain)}; END")
        for event in ("INSERT", "UPDATE", "DELETE")
        for name in (f"{table}_changes_{event.lower()}",)
    ]


def domains_of(tables: Iterable[str]) -> list[str]:
    """The domains whose counters a write to one of ``tables`` bumps."""
    names = set(tables)
    return [domain for domain, members in DOMAINS.items() if names & set(members)]


@contextlib.asynccontextmanager
async def triggers_paused(session: AsyncSession, tables: Iterable[str]) -> AsyncIterator[None]:
    """A bulk load into ``tables`` bumps each affected counter once, not once per row (SQLite's triggers
    fire per row: 800,000 counter updates for the 100,000-foyer seed). On SQLite the triggers are dropped
    for the block and created again after it, in the session's transaction (no other connection ever sees
    them missing), then the counters bumped; PostgreSQL's triggers fire per statement and stay."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    names = list(tables)
    triggers = [
        (name, statement)
        for domain, members in DOMAINS.items()
        for table in members
        if table in names
        for name, statement in _sqlite_triggers(domain, table)
    ]
    await begin_before_ddl(session)
    for name, _ in triggers:
        await session.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
    yield
    for _, statement in triggers:
        await session.execute(text(statement))
    for domain in domains_of(names):
        await session.execute(text(_bump(domain)))


def initial_rows() -> list[dict[str, Any]]:
    return [{"domain": domain, "generation": 0} for domain in DOMAINS]


class ChangeCounter(Protocol):
    async def read(self) -> Snapshot:
        """The counters as committed at some instant after this call began."""

    async def close(self) -> None: ...


class SqliteChangeCounter:
    """A dedicated read-only connection, read synchronously (no thread hop)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None

    async def read(self) -> Snapshot:
        if self._connection is None:
            self._connection = sqlite3.connect(self._path, timeout=30, isolation_level=None, check_same_thread=False)
        return dict(self._connection.execute(_SELECT).fetchall())

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class NoChangeCounter:
    """An in-memory database (one connection per engine): no shared counters, so nothing is cached."""

    async def read(self) -> Snapshot:
        return {}

    async def close(self) -> None:
        return None


class PostgresChangeCounter:
    """A dedicated asyncpg connection; concurrent reads coalesced into one round trip each."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._connection: Any = None
        self._next: asyncio.Future[Snapshot] | None = None
        self._reader: asyncio.Task[None] | None = None

    async def read(self) -> Snapshot:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        future = self._next
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_pending(), name="store-changes-reader")
        return await asyncio.shield(future)

    async def _read_pending(self) -> None:
        import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

        while self._next is not None:
            # The requests waiting on this future all arrived before the query below is sent.
            future, self._next = self._next, None
            try:
                if self._connection is None or self._connection.is_closed():
                    self._connection = await asyncpg.connect(self._dsn)
                rows = await self._connection.fetch(_SELECT)
            except Exception as exc:  # noqa: BLE001 - the waiting requests get the error
                self._connection = None
                if not future.done():
                    future.set_exception(exc)
                    future.exception()  # consumed here when nobody waits any more
            else:
                if not future.done():
                    future.set_result({row["domain"]: row["generation"] for row in rows})

    async def close(self) -> None:
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._connection is not None:
            await self._connection.close()
            self._connection = None


def open_change_counter(url: URL) -> ChangeCounter:
    """The counter reader for the database at ``url`` (a SQLAlchemy URL)."""
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return NoChangeCounter()
        return SqliteChangeCounter(url.database)
    return PostgresChangeCounter(asyncpg_dsn(url))


def asyncpg_dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


_current: contextvars.ContextVar[Snapshot | None] = contextvars.ContextVar("store_changes", default=None)


def set_current(snapshot: Snapshot | None) -> None:
    """The counters the current request was started under (set by the gateway's first step)."""
    _current.set(snapshot)


def current(domain: str) -> int | None:
    """The current request's counter for ``domain``, or None outside a request (read through)."""
    snapshot = _current.get()
    return None if snapshot is None else snapshot.get(domain)
