"""The admin audit trail: one append-only row per administrative change (CLI or admin API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from dgfip_sandbox.store.base import Base


class AdminEvent(Base):
    __tablename__ = "admin_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    consumer_name: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    session: AsyncSession, *, at: datetime, actor: str, action: str, consumer_name: str | None, details: dict[str, Any]
) -> None:
    """Append one event to the trail, in the caller's transaction (written with the change it records)."""
    session.add(AdminEvent(at=at, actor=actor, action=action, consumer_name=consumer_name, details=details))


async def list_events(session: AsyncSession, *, consumer_name: str | None = None, limit: int = 100) -> list[AdminEvent]:
    query = select(AdminEvent).order_by(AdminEvent.id.desc()).limit(limit)
    if consumer_name is not None:
        query = query.where(AdminEvent.consumer_name == consumer_name)
    return list((await session.execute(query)).scalars().all())


def event_as_dict(event: AdminEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "horodatage": event.at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "consumer": event.consumer_name,
        "details": event.details,
    }
