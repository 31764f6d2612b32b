"""Audit retention: records older than the retention period are deleted (``dgfip-sandbox audit purge``).

The default, two years (730 days), is the retention the API Impôt particulier CGU set for the
traces of calls; ``DGFIP_SANDBOX_AUDIT_RETENTION_DAYS`` or ``--retention-days`` change it. Run it
from cron (or a scheduled job of the orchestrator): it is idempotent and safe while the gateway
serves, since audit records are only ever appended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from dgfip_sandbox.store.audit import AuditRecord, purge_before
from dgfip_sandbox.store.database import create_engine, create_sessionmaker


@dataclass(frozen=True)
class PurgeResult:
    cutoff: datetime
    count: int


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    if retention_days < 1:
        raise ValueError("retention_days must be >= 1")
    return now - timedelta(days=retention_days)


async def purge_expired(url: str, *, retention_days: int, now: datetime, dry_run: bool = False) -> PurgeResult:
    cutoff = retention_cutoff(now, retention_days)
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            if dry_run:
                count = (await session.execute(select(func.count()).where(AuditRecord.at < cutoff))).scalar_one()
            else:
                count = await purge_before(session, cutoff)
    finally:
        await engine.dispose()
    return PurgeResult(cutoff=cutoff, count=int(count))
