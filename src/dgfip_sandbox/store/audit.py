"""The audit trail: one append-only record per request the gateway answers.

``AuditWriter`` commits records in groups: each request enqueues its record and waits until the
transaction holding it has committed, so no response leaves before its record is durable, while
concurrent requests share one commit, made on a dedicated connection (store/audit_connection.py).

Whatever bytes a request carried, its record is storable: every text is passed through
``storable`` (store/journal.py; applied where the rows are converted, store/audit_connection.py):
NUL, other control characters and lone surrogates escaped, which PostgreSQL would refuse. A batch
the database still refuses is retried record by record, so that one record's failure never fails
another request's answer or record.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, CursorResult, DateTime, Integer, String, Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from dgfip_sandbox.store.audit_connection import AuditConnection, open_audit_connection
from dgfip_sandbox.store.base import Base
from dgfip_sandbox.store.journal import JournalEntry, storable_text


class AuditRecord(Base):
    __tablename__ = "audit_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    consumer_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    consumer_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    cert_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    client_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    method: Mapped[str] = mapped_column(String(10))
    route: Mapped[str] = mapped_column(String(500))
    api: Mapped[str | None] = mapped_column(String(40), nullable=True)
    spi: Mapped[str | None] = mapped_column(String(20), nullable=True)
    correlation_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(40))
    fields_returned: Mapped[list[str]] = mapped_column(JSON, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


@dataclass
class AuditEntry:
    """What the pipeline and the handlers learn about one request, written at the end."""

    at: datetime
    method: str
    route: str
    consumer_id: int | None = None
    consumer_name: str | None = None
    cert_fingerprint: str | None = None
    client_ip: str | None = None
    api: str | None = None
    spi: str | None = None
    correlation_id: str | None = None
    status: int = 0
    outcome: str = "OK"
    fields_returned: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    trace: list[dict[str, Any]] = field(default_factory=list)
    # The request journal row (gateway/journal.py), written in the same transaction when set.
    journal: dict[str, Any] | None = field(default=None, repr=False)

    def check(self, name: str, passed: bool, reason: str = "") -> None:
        """Record one pipeline step in the decision trace."""
        self.trace.append({"check": name, "passed": passed, "reason": reason})

    def as_row(self) -> dict[str, Any]:
        extra = dict(self.extra)
        if self.trace:
            extra["trace"] = self.trace
        # Texts and JSON values are made storable where the row is converted (store/audit_connection.py).
        return {
            "at": self.at,
            "consumer_id": self.consumer_id,
            "consumer_name": _cut(self.consumer_name, 100),
            "cert_fingerprint": _cut(self.cert_fingerprint, 64),
            "client_ip": _cut(self.client_ip, 64),
            "method": storable_text(self.method)[:10],
            "route": storable_text(self.route)[:500],
            "api": _cut(self.api, 40),
            "spi": _cut(self.spi, 20),
            "correlation_id": _cut(self.correlation_id, 100) or None,
            "status": self.status,
            "outcome": storable_text(self.outcome)[:40],
            "fields_returned": self.fields_returned,
            "extra": extra,
        }


def _cut(value: str | None, length: int) -> str | None:
    """``value`` escaped (see :func:`storable`), then cut to its column's length."""
    return None if value is None else storable_text(value)[:length]


class AuditWriter:
    """Group commit: one writer task drains the queue into one transaction per batch."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], *, max_batch: int = 500) -> None:
        self._sessionmaker = sessionmaker
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[dict[str, Any], dict[str, Any] | None, asyncio.Future[None]]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._connection: AuditConnection | None = None

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run(), name="audit-writer")

    async def stop(self) -> None:
        """Flush what is queued, then stop."""
        if self._task is not None and self._queue is not None:
            await self._queue.join()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def write(self, entry: AuditEntry) -> None:
        """Return once the record is committed."""
        if self._queue is None or self._task is None or self._task.done():
            await self._commit([entry.as_row()], [entry.journal] if entry.journal else [])
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put((entry.as_row(), entry.journal, future))
        await future

    async def _commit(self, rows: list[dict[str, Any]], journal_rows: list[dict[str, Any]] | None = None) -> None:
        # The driver's executemany on a dedicated connection: no ORM, no pool, one hand-over per batch.
        if self._connection is None:
            tables = (_table(AuditRecord.__table__), _table(JournalEntry.__table__))
            self._connection = open_audit_connection(self._sessionmaker.kw["bind"], tables)
        await self._connection.commit(rows, journal_rows or [])

    async def _run(self) -> None:
        queue = self._queue
        if queue is None:
            return
        while True:
            batch = [await queue.get()]
            while not queue.empty() and len(batch) < self._max_batch:
                batch.append(queue.get_nowait())
            try:
                await self._commit_isolated(batch)
            finally:
                for _ in batch:
                    queue.task_done()

    async def _commit_isolated(
        self, batch: list[tuple[dict[str, Any], dict[str, Any] | None, asyncio.Future[None]]]
    ) -> None:
        """Commit the batch in one transaction; if the database refuses it, retry each record in a
        transaction of its own, so that only a record the database refuses alone fails its request."""
        try:
            await self._commit([row for row, _, _ in batch], [j for _, j, _ in batch if j])
        except Exception as exc:  # noqa: BLE001 - isolated below
            if len(batch) == 1:
                _settle(batch[0][2], exc)
                return
            for row, journal, future in batch:
                try:
                    await self._commit([row], [journal] if journal else [])
                except Exception as alone:  # noqa: BLE001 - this request alone gets the error
                    _settle(future, alone)
                else:
                    _settle(future, None)
        else:
            for _, _, future in batch:
                _settle(future, None)


def _table(table: object) -> Table:
    if not isinstance(table, Table):
        raise TypeError("the audit and journal models are mapped to tables")
    return table


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


async def list_for_consumer(session: AsyncSession, consumer_id: int, *, limit: int = 100) -> list[AuditRecord]:
    rows = await session.execute(
        select(AuditRecord).where(AuditRecord.consumer_id == consumer_id).order_by(AuditRecord.id.desc()).limit(limit)
    )
    return list(rows.scalars().all())


async def purge_before(session: AsyncSession, cutoff: datetime) -> int:
    result = await session.execute(delete(AuditRecord).where(AuditRecord.at < cutoff))
    return cast(CursorResult[Any], result).rowcount or 0


def record_as_dict(record: AuditRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "horodatage": record.at.isoformat(),
        "consumer": record.consumer_name,
        "cert_fingerprint": record.cert_fingerprint,
        "client_ip": record.client_ip,
        "method": record.method,
        "route": record.route,
        "api": record.api,
        "spi": record.spi,
        "correlation_id": record.correlation_id,
        "status": record.status,
        "outcome": record.outcome,
        "fields_returned": record.fields_returned,
        "extra": record.extra,
    }
