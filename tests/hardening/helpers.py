"""Helpers shared by the hardening tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from dgfip_sandbox.store.consumers import Consumer


async def unlimited_quota(sandbox: Any, name: str) -> None:
    """Lift ``name``'s quota: a probe run makes more calls a minute than any demo quota allows."""
    async with sandbox.state.sessionmaker() as session, session.begin():
        await session.execute(update(Consumer).where(Consumer.name == name).values(quota_per_minute=10_000_000))
