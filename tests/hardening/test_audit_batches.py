"""One record's failure never fails another's (issue 12 §1): a batch the database refuses is retried
record by record; and whatever text a record carries is storable (store/audit.py, store/journal.py)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from dgfip_sandbox.store.audit import AuditEntry, AuditRecord, AuditWriter
from dgfip_sandbox.store.journal import JournalEntry, storable, storable_text

pytestmark = pytest.mark.anyio


def test_storable_escapes_nul_controls_and_lone_surrogates_only() -> None:
    assert storable_text("a\x00b\x01\x1f\x7f") == "a\\x00b\\x01\\x1f\\x7f"
    assert storable_text("tab\tlf\ncr\r é €") == "tab\tlf\ncr\r é €"
    assert storable_text("\udc80") == "\\udc80"
    assert storable({"k\x00": ["v\x00", ("t\x00",), 3, None]}) == {"k\\x00": ["v\\x00", ("t\\x00",), 3, None]}


def _entry(clock: Any, correlation: str, **overrides: Any) -> AuditEntry:
    entry = AuditEntry(at=clock.now(), method="GET", route="/batch", correlation_id=correlation, status=200)
    for key, value in overrides.items():
        setattr(entry, key, value)
    return entry


async def test_a_refused_record_fails_alone_and_its_batch_neighbours_are_stored(sandbox) -> None:
    writer = AuditWriter(sandbox.state.sessionmaker)
    await writer.start()
    try:
        good = [str(uuid.uuid4()) for _ in range(6)]
        poisoned = _entry(sandbox.clock, "poisoned", at=None)  # NOT NULL: any database refuses it
        entries = (
            [_entry(sandbox.clock, c) for c in good[:3]] + [poisoned] + [_entry(sandbox.clock, c) for c in good[3:]]
        )
        results = await asyncio.gather(*(writer.write(e) for e in entries), return_exceptions=True)
    finally:
        await writer.stop()
    assert [isinstance(r, Exception) for r in results] == [False, False, False, True, False, False, False]
    async with sandbox.state.sessionmaker() as session:
        stored = set(
            (await session.execute(select(AuditRecord.correlation_id).where(AuditRecord.route == "/batch"))).scalars()
        )
    assert stored == set(good)


async def test_journal_rows_of_a_batch_are_stored_with_their_records(sandbox) -> None:
    writer = AuditWriter(sandbox.state.sessionmaker)
    await writer.start()
    correlation = str(uuid.uuid4())
    try:
        entry = _entry(sandbox.clock, correlation, consumer_id=1, consumer_name="mairie-demo\x00", route="/x\x00y")
        entry.journal = {
            "at": sandbox.clock.now(),
            "consumer_id": 1,
            "consumer_name": "mairie-demo",
            "method": "GET",
            "path": "/x\x00y",
            "query": "q=\x00",
            "correlation_id": correlation,
            "status": 200,
            "outcome": "OK",
            "duration_ms": 0,
            "request_headers": {"x-a\x00": "b\x00"},
            "request_body": "\x00\x01",
            "response_headers": {},
            "response_body": "",
            "trace": [{"reason": "\x00"}],
            "extra": {},
        }
        neighbour = _entry(sandbox.clock, str(uuid.uuid4()))
        await asyncio.gather(writer.write(entry), writer.write(neighbour))
    finally:
        await writer.stop()
    async with sandbox.state.sessionmaker() as session:
        row = (
            await session.execute(select(JournalEntry).where(JournalEntry.correlation_id == correlation))
        ).scalar_one()
        record = (
            await session.execute(select(AuditRecord).where(AuditRecord.correlation_id == correlation))
        ).scalar_one()
    assert row.path == "/x\\x00y" and row.request_body == "\\x00\\x01" and row.request_headers == {"x-a\\x00": "b\\x00"}
    assert record.route == "/x\\x00y" and record.consumer_name == "mairie-demo\\x00"
