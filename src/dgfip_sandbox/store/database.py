"""Engine and session factory, built from settings (never at import)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        # Keep enough pooled connections for a busy gateway: an aiosqlite connection is a thread, and
        # connections beyond the pool are closed on return, so a small pool churns threads under load.
        engine = create_async_engine(url, connect_args={"timeout": 30}, pool_size=max(pool_size, 32), max_overflow=32)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:  # DB-API objects: untyped by PEP 249
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


async def unreachable(url: str) -> str | None:
    """None when the database at ``url`` accepts a connection and a query; else why not, in the driver's
    words (connection refused, unknown host, no such database, authentication failed)."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return _first_line(getattr(exc, "orig", None) or exc)
    except OSError as exc:  # asyncpg's connect raises the socket's error as it is
        return _first_line(exc)
    finally:
        await engine.dispose()
    return None


def _first_line(exc: BaseException) -> str:
    said = str(exc).strip()
    return said.splitlines()[0] if said else type(exc).__name__


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def advance_sequences(session: AsyncSession, *tables: str) -> None:
    """After rows inserted with explicit ids, PostgreSQL's serial sequences resume after the largest id
    (so that later ORM inserts, e.g. the integrator's test data, get fresh ids). SQLite needs nothing."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        await session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"  # noqa: S608 - table names are the seeders' constants
            )
        )


async def begin_before_ddl(session: AsyncSession) -> None:
    """Open the session's transaction in the database now. SQLite's driver begins one only before a data
    change, so DDL run first (a bulk load's dropped indexes and triggers) would be committed at once and
    stay dropped if the load then failed; with the transaction begun, a rollback puts them back."""
    if session.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL's DDL is part of the transaction SQLAlchemy has begun
    raw = await (await session.connection()).get_raw_connection()
    driver = raw.driver_connection
    if driver is not None and not driver.in_transaction:
        await driver.execute("BEGIN")
