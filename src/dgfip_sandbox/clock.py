"""The clock, injected wherever time matters (tokens, quotas, taxation calendar, FranceConnect lifetimes).

Tests use ``FrozenClock`` and move it instead of sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime in UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when

    def advance(self, seconds: float = 0, **kwargs: float) -> None:
        self._now += timedelta(seconds=seconds, **kwargs)


class OffsetClock:
    """The system clock shifted by a fixed number of seconds (``DGFIP_SANDBOX_CLOCK_OFFSET_SECONDS``).

    For tests and demos that need several processes to agree on a shifted time (e.g. to start just
    after a quota window boundary) without sleeping. Every process started with the same offset reads
    the same time, since they share the system clock.
    """

    def __init__(self, offset_seconds: float, base: Clock | None = None) -> None:
        self.offset = timedelta(seconds=offset_seconds)
        self._base = base or SystemClock()

    def now(self) -> datetime:
        return self._base.now() + self.offset


def clock_from_offset(offset_seconds: float) -> Clock:
    """``SystemClock`` when the offset is zero, else an ``OffsetClock``."""
    return OffsetClock(offset_seconds) if offset_seconds else SystemClock()
