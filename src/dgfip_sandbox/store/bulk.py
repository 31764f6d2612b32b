"""Loading many rows fast (the seed: 100,000 foyers and their FICOBA accounts).

- :func:`insert_rows`: PostgreSQL's ``COPY`` (asyncpg's ``copy_records_to_table``, in the session's
  transaction); SQLite's own ``executemany`` on the session's connection for plain column types
  (dates as ISO text, JSON as text: what SQLAlchemy stores); else SQLAlchemy Core's executemany.
- :func:`deferred_indexes`: the tables' secondary indexes dropped before the load and built once after
  it (one sort per index instead of one B-tree insertion per row); primary keys and unique constraints
  stay, so the load is still checked.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, Integer, String, Table, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.schema import CreateIndex, DropIndex

CHUNK = 5000


def _missing_value(column: Any) -> Any:
    default = column.default
    if default is not None and default.is_scalar:
        return default.arg
    return None


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts keyed by column name; a missing key takes the column's scalar default)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        await _copy(session, table, rows)
        return
    if dialect == "sqlite" and all(isinstance(c.type, _SQLITE_PLAIN_TYPES) for c in table.columns):
        await _sqlite_executemany(session, table, rows)
        return
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(table), list(rows[start : start + CHUNK]))


# Column types whose SQLite storage is the value itself, ISO text (Date) or JSON text: the DBAPI's own
# executemany takes them without SQLAlchemy's per-row parameter processing (a third of the seed's time).
_SQLITE_PLAIN_TYPES = (Integer, String, Boolean, Date, JSON, Float)


def _columns_and_encoders(table: Table, rows: Sequence[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    """The columns to load (those the rows give, plus those with a scalar default) and, per column, how a
    Python value becomes the driver's (JSON text for JSON columns, as SQLAlchemy's JSON type writes it)."""
    given = set(rows[0])
    columns = [c for c in table.columns if c.name in given or _missing_value(c) is not None]
    encoders = [_json_text if isinstance(c.type, JSON) else None for c in columns]
    return columns, encoders


def _json_text(value: Any) -> Any:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _records(
    rows: Sequence[dict[str, Any]], columns: list[Any], encoders: list[Any], *, dates_as_text: bool
) -> list[tuple[Any, ...]]:
    names = [c.name for c in columns]
    missing = [_missing_value(c) for c in columns]
    plan = list(zip(names, missing, encoders, strict=True))
    records = []
    for row in rows:
        values = []
        for name, default, encode in plan:
            value = row.get(name, default)
            if encode is not None:
                value = encode(value)
            elif dates_as_text and isinstance(value, date):
                value = value.isoformat()
            values.append(value)
        records.append(tuple(values))
    return records


async def _sqlite_executemany(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    columns, encoders = _columns_and_encoders(table, rows)
    quoted = ", ".join(f'"{c.name}"' for c in columns)
    placeholders = ", ".join("?" * len(columns))
    sql = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({placeholders})'  # noqa: S608 - names from the metadata
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None  # noqa: S101 - an open aiosqlite connection
    for start in range(0, len(rows), CHUNK):
        await driver.executemany(sql, _records(rows[start : start + CHUNK], columns, encoders, dates_as_text=True))


async def _copy(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    columns, encoders = _columns_and_encoders(table, rows)
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None  # noqa: S101 - an open asyncpg connection
    names = [c.name for c in columns]
    for start in range(0, len(rows), CHUNK * 4):
        records = _records(rows[start : start + CHUNK * 4], columns, encoders, dates_as_text=False)
        await driver.copy_records_to_table(table.name, records=records, columns=names)


@contextlib.asynccontextmanager
async def deferred_indexes(session: AsyncSession, tables: Sequence[Table]) -> AsyncIterator[None]:
    """Drop the secondary indexes of ``tables`` for the block, build them again after it."""
    indexes = [index for table in tables for index in sorted(table.indexes, key=lambda i: i.name or "")]
    for index in indexes:
        await session.execute(DropIndex(index, if_exists=True))
    yield
    for index in indexes:
        await session.execute(CreateIndex(index, if_not_exists=True))
