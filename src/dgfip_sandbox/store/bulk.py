"""Loading many rows fast (the seed: 100,000 foyers and their FICOBA accounts).

- :func:`insert_rows`: PostgreSQL's ``COPY`` (asyncpg's ``copy_records_to_table``, in the session's
  transaction); SQLite's own ``executemany`` on the session's connection for plain column types
  (dates as ISO text, JSON as text: what SQLAlchemy stores); else SQLAlchemy Core's executemany.
- :func:`deferred_indexes`: the tables' secondary indexes dropped before the load and built once after
  it (one sort per index instead of one B-tree insertion per row); primary keys and unique constraints
  stay, so the load is still checked; on PostgreSQL the foreign keys are dropped and added back (each
  checked once, by one join, when added); the change counters' per-row SQLite triggers paused meanwhile
  and each affected counter bumped once (``store.changes.triggers_paused``).
- :class:`ColumnRows`: rows a generator builds directly as tuples in the table's column order, which
  :func:`prepare_records` takes as they are (PostgreSQL) or with their date columns as ISO text (SQLite);
  :func:`collector_paused` while building or converting many of them.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKeyConstraint, Integer, String, Table, insert, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from dgfip_sandbox.store.changes import triggers_paused
from dgfip_sandbox.store.database import begin_before_ddl

CHUNK = 5000


def _missing_value(column: Any) -> Any:
    default = column.default
    if default is not None and default.is_scalar:
        return default.arg
    return None


@dataclass(frozen=True)
class Records:
    """Rows ready for the driver: the column names and one tuple per row (dates as ISO text for SQLite,
    JSON as text). Plain data, so a worker process can prepare them (seed.workers)."""

    table: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


@dataclass
class ColumnRows:
    """Rows of one table as tuples of all its columns in the table's order, values as Python has them
    (dates as ``date``): what a generator that knows the table builds directly, without a dict per row
    to be transposed later (FICOBA's seed builds hundreds of thousands)."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def prepare_records(table: Table, rows: Sequence[dict[str, Any]] | ColumnRows, dialect: str) -> Records | None:
    """``rows`` (dicts keyed by column name, a missing key taking the column's scalar default; or
    :class:`ColumnRows`) as the driver takes them on ``dialect``, or None where only SQLAlchemy's
    executemany can load them."""
    if isinstance(rows, ColumnRows):
        return _prepare_column_rows(table, rows, dialect)
    if not rows or not _driver_loads(table, dialect):
        return None
    columns, encoders = _columns_and_encoders(table, rows, dialect)
    records = _records(rows, columns, encoders)
    return Records(table.name, tuple(c.name for c in columns), records)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the block (as it was after it); also a decorator. Building
    or converting hundreds of thousands of row tuples, which hold no cycles, otherwise sets off full
    collections that scan all the rows built so far, again and again. Memory is freed as usual meanwhile
    (reference counting): only cycles wait for the block's end."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@collector_paused()
def _prepare_column_rows(table: Table, rows: ColumnRows, dialect: str) -> Records | None:
    """:func:`prepare_records` for rows already in column order: only the columns whose driver value
    differs from the Python one are converted (none on PostgreSQL, dates and JSON on SQLite)."""
    names = tuple(c.name for c in table.columns)
    if rows.columns != names:
        raise ValueError(f"rows of {rows.columns} are not those of {table.name} {names}")
    if not rows.rows or not _driver_loads(table, dialect):
        return None
    iso_text = _IsoText()  # one for all date columns: the same days recur in each
    encoders = [_column_encoder(c, iso_text if dialect == "sqlite" else None) for c in table.columns]
    if not any(encoders):
        return Records(table.name, names, rows.rows)  # the same list: the driver takes the rows as they are
    # Column by column, each one C-level pass (not zip(*rows): an iterator per row for the collector to scan).
    values = [list(map(itemgetter(index), rows.rows)) for index in range(len(names))]
    for index, encode in enumerate(encoders):
        if encode is not None:
            values[index] = list(map(encode, values[index]))
    return Records(table.name, names, list(zip(*values, strict=True)))


def _column_encoder(column: Any, iso_text: _IsoText | None) -> Callable[[Any], Any] | None:
    """How a Python value of ``column`` becomes the driver's (JSON as text: the values SQLAlchemy's JSON
    type writes, without its spaces; dates through ``iso_text`` if given, else as they are), or None where
    it is the same."""
    if isinstance(column.type, JSON):
        return _json_text
    if iso_text is not None and isinstance(column.type, Date):
        return iso_text.__getitem__
    return None


class _IsoText(dict[Any, Any]):
    """A date's ISO text (other values as they are), each distinct value computed once: looked up as
    ``map(iso.__getitem__, column)``, a column of dates is converted without a Python call per value."""

    def __missing__(self, value: Any) -> Any:
        text = value.isoformat() if isinstance(value, date) else value
        self[value] = text
        return text


def _driver_loads(table: Table, dialect: str) -> bool:
    if dialect == "postgresql":
        return True
    return dialect == "sqlite" and all(isinstance(c.type, _SQLITE_PLAIN_TYPES) for c in table.columns)


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts keyed by column name; a missing key takes the column's scalar default)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if _driver_loads(table, dialect):
        for start in range(0, len(rows), CHUNK):
            records = prepare_records(table, rows[start : start + CHUNK], dialect)
            assert records is not None  # noqa: S101 - _driver_loads said so
            await insert_records(session, records)
        return
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(table), list(rows[start : start + CHUNK]))


async def insert_records(session: AsyncSession, records: Records) -> None:
    """Load prepared records: PostgreSQL's COPY, SQLite's own executemany (in the session's transaction)."""
    if not records.rows:
        return
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None  # noqa: S101 - an open connection
    if session.get_bind().dialect.name == "postgresql":
        await driver.copy_records_to_table(records.table, records=records.rows, columns=list(records.columns))
        return
    quoted = ", ".join(f'"{name}"' for name in records.columns)
    placeholders = ", ".join("?" * len(records.columns))
    sql = f'INSERT INTO "{records.table}" ({quoted}) VALUES ({placeholders})'  # noqa: S608 - names from the metadata
    await driver.executemany(sql, records.rows)


# Column types whose SQLite storage is the value itself, ISO text (Date) or JSON text: the DBAPI's own
# executemany takes them without SQLAlchemy's per-row parameter processing (a third of the seed's time).
_SQLITE_PLAIN_TYPES = (Integer, String, Boolean, Date, JSON, Float)


def _columns_and_encoders(
    table: Table, rows: Sequence[dict[str, Any]], dialect: str
) -> tuple[list[Any], list[Callable[[Any], Any] | None]]:
    """The columns to load (those the rows give, plus those with a scalar default) and, per column, how a
    Python value becomes the driver's on ``dialect`` (``_column_encoder``)."""
    given = set(rows[0])
    columns = [c for c in table.columns if c.name in given or _missing_value(c) is not None]
    iso_text = _IsoText() if dialect == "sqlite" else None
    return columns, [_column_encoder(c, iso_text) for c in columns]


# json.dumps(value, ensure_ascii=False) without the spaces and the check for circular references (rows are
# plain trees): the same values read back, 10 % less text and 20 % less time for the seed's 500,000 payloads.
_JSON_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def _json_text(value: Any) -> Any:
    return None if value is None else _JSON_ENCODE(value)


def _records(
    rows: Sequence[dict[str, Any]], columns: list[Any], encoders: list[Callable[[Any], Any] | None]
) -> list[tuple[Any, ...]]:
    """The rows as tuples in the order of ``columns``: a missing key takes the column's default, each
    column through its encoder. Column by column (one C-level pass per column, not one Python call per
    value): the seed converts millions of values."""
    rows = list(rows)
    values: list[list[Any]] = []
    for column, encode in zip(columns, encoders, strict=True):
        try:
            column_values = list(map(itemgetter(column.name), rows))
        except KeyError:
            default = _missing_value(column)
            column_values = [row.get(column.name, default) for row in rows]
        if encode is not None:
            column_values = list(map(encode, column_values))
        values.append(column_values)
    return list(zip(*values, strict=True))


@contextlib.asynccontextmanager
async def deferred_indexes(session: AsyncSession, tables: Sequence[Table]) -> AsyncIterator[None]:
    """Drop the secondary indexes of ``tables`` for the block, build them again after it; the change
    counters' triggers paused meanwhile (each affected counter bumped once, see store.changes). On
    PostgreSQL, the tables' foreign keys too: each is checked once when added back (one join) instead of
    by a trigger per row (most of the server's time in a bulk load). DDL is transactional there: a load
    that fails leaves every index and key in place."""
    indexes = [index for table in tables for index in sorted(table.indexes, key=lambda i: i.name or "")]
    foreign_keys: list[ForeignKeyConstraint] = []
    if session.get_bind().dialect.name == "postgresql":
        foreign_keys = [fk for table in tables for fk in sorted(table.foreign_key_constraints, key=_name)]
    await begin_before_ddl(session)
    for index in indexes:
        await session.execute(DropIndex(index, if_exists=True))
    for fk in foreign_keys:
        await session.execute(DropConstraint(fk))
    async with _large_page_cache(session), triggers_paused(session, [table.name for table in tables]):
        yield
        for index in indexes:
            await session.execute(CreateIndex(index, if_not_exists=True))
    for fk in foreign_keys:
        await session.execute(AddConstraint(fk))


SQLITE_LOAD_CACHE_KIB = 256 * 1024


@contextlib.asynccontextmanager
async def _large_page_cache(session: AsyncSession) -> AsyncIterator[None]:
    """On SQLite, a page cache of ``SQLITE_LOAD_CACHE_KIB`` for the load, the connection's own after it:
    the unique keys kept during the load (SPIs, IBANs) take rows in random order, and with SQLite's 2 MB
    default most of those insertions read their page back from the file."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    previous = (await session.execute(text("PRAGMA cache_size"))).scalar_one()
    await session.execute(text(f"PRAGMA cache_size = -{SQLITE_LOAD_CACHE_KIB}"))
    try:
        yield
    finally:
        await session.execute(text(f"PRAGMA cache_size = {int(previous)}"))


def _name(constraint: ForeignKeyConstraint) -> str:
    return str(constraint.name)
