"""Loading many rows fast (the seed: 100,000 foyers and their FICOBA accounts).

- :func:`insert_rows`: PostgreSQL's ``COPY`` (asyncpg's ``copy_records_to_table``, in the session's
  transaction); elsewhere one ``executemany`` per chunk through SQLAlchemy Core (no ORM unit of work).
- :func:`deferred_indexes`: the tables' secondary indexes dropped before the load and built once after
  it (one sort per index instead of one B-tree insertion per row); primary keys and unique constraints
  stay, so the load is still checked.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import JSON, Table, insert
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
    if session.get_bind().dialect.name == "postgresql":
        await _copy(session, table, rows)
        return
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(table), list(rows[start : start + CHUNK]))


async def _copy(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    # The columns the rows give, plus those with a scalar default; the others (a serial id) are the server's.
    given = set(rows[0])
    columns = [c for c in table.columns if c.name in given or _missing_value(c) is not None]
    names = [c.name for c in columns]
    json_columns = {c.name for c in columns if isinstance(c.type, JSON)}
    missing = {c.name: _missing_value(c) for c in columns}

    def record(row: dict[str, Any]) -> tuple[Any, ...]:
        values = []
        for name in names:
            value = row.get(name, missing[name])
            if name in json_columns and value is not None:
                value = json.dumps(value, ensure_ascii=False)
            values.append(value)
        return tuple(values)

    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None  # noqa: S101 - an open asyncpg connection
    for start in range(0, len(rows), CHUNK * 4):
        records = [record(row) for row in rows[start : start + CHUNK * 4]]
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
