"""The audit trail: one append-only record per request the gateway answers.

``AuditWriter`` commits records in groups: each request enqueues its record and waits until the
transaction holding it has committed, so no response leaves before its record is durable, while
concurrent requests share one commit, made on a dedicated connection (store/audit_connection.py).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from dgfip_sandbox.store.audit_connection import AuditConnection, open_audit_connection
from dgfip_sandbox.store.base import Base


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
    extra: Mapped[dict] = mapped_column(JSON, default=dict)


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
        return {
            "at": self.at,
            "consumer_id": self.consumer_id,
            "consumer_name": self.consumer_name,
            "cert_fingerprint": self.cert_fingerprint,
            "client_ip": self.client_ip,
            "method": self.method,
            "route": self.route[:500],
            "api": self.api,
            "spi": self.spi,
            "correlation_id": (self.correlation_id or "")[:100] or None,
            "status": self.status,
            "outcome": self.outcome[:40],
            "fields_returned": self.fields_returned,
            "extra": extra,
        }


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
            try:
                await self._task
            except asyncio.CancelledError:
                pass
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
            self._connection = open_audit_connection(self._sessionmaker.kw["bind"])
        await self._connection.commit(rows, journal_rows or [])

    async def _run(self) -> None:
        assert self._queue is not None
        queue = self._queue
        while True:
            batch = [await queue.get()]
            while not queue.empty() and len(batch) < self._max_batch:
                batch.append(queue.get_nowait())
            try:
                await self._commit([row for row, _, _ in batch], [j for _, j, _ in batch if j])
            except Exception as exc:  # noqa: BLE001 - the waiting requests get the error
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, _, future in batch:
                    if not future.done():
                        future.set_result(None)
            finally:
                for _ in batch:
                    queue.task_done()


async def list_for_consumer(session: AsyncSession, consumer_id: int, *, limit: int = 100) -> list[AuditRecord]:
    rows = await session.execute(
        select(AuditRecord).where(AuditRecord.consumer_id == consumer_id).order_by(AuditRecord.id.desc()).limit(limit)
    )
    return list(rows.scalars().all())


async def purge_before(session: AsyncSession, cutoff: datetime) -> int:
    result = await session.execute(delete(AuditRecord).where(AuditRecord.at < cutoff))
    return result.rowcount or 0


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
