"""The audit writer's dedicated connection: rows stored as the models read them, one transaction per
batch, and on SQLite a batch that finds the write lock taken waits for it off the event loop."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import select

from dgfip_sandbox.store.audit import AuditEntry, AuditRecord
from dgfip_sandbox.store.audit_connection import open_audit_connection
from dgfip_sandbox.store.journal import JournalEntry

pytestmark = pytest.mark.anyio


def entry(sandbox, route: str) -> AuditEntry:  # type: ignore[no-untyped-def]
    audit = AuditEntry(at=sandbox.clock.now(), method="GET", route=route, client_ip="127.0.0.1", status=200)
    audit.check("client_certificate", True, "mairie-demo")
    audit.extra["scenario"] = "latence 10 ms"
    return audit


async def test_rows_read_back_through_the_models(sandbox) -> None:
    connection = open_audit_connection(sandbox.state.engine, (AuditRecord.__table__, JournalEntry.__table__))
    try:
        await connection.commit([entry(sandbox, "/a").as_row(), entry(sandbox, "/b").as_row()], [])
    finally:
        await connection.close()
    async with sandbox.state.sessionmaker() as session:
        records = (
            (await session.execute(select(AuditRecord).where(AuditRecord.route.in_(["/a", "/b"])))).scalars().all()
        )
    assert sorted(r.route for r in records) == ["/a", "/b"]
    record = records[0]
    assert record.at.replace(tzinfo=None) == sandbox.clock.now().replace(tzinfo=None)
    assert record.extra["trace"] == [{"check": "client_certificate", "passed": True, "reason": "mairie-demo"}]
    assert record.extra["scenario"] == "latence 10 ms"


async def test_sqlite_batch_waits_for_another_writer_off_the_event_loop(sandbox) -> None:
    if not sandbox.settings.sqlalchemy_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    connection = open_audit_connection(sandbox.state.engine, (AuditRecord.__table__, JournalEntry.__table__))
    other = sqlite3.connect(sandbox.state.engine.url.database, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holding the write lock
        task = asyncio.ensure_future(connection.commit([entry(sandbox, "/locked").as_row()], []))
        await asyncio.sleep(0)  # one turn of the loop: the fast path found the lock taken
        assert not task.done()
        other.execute("ROLLBACK")
        await task
    finally:
        other.close()
        await connection.close()
    async with sandbox.state.sessionmaker() as session:
        assert (await session.execute(select(AuditRecord).where(AuditRecord.route == "/locked"))).scalar_one()
