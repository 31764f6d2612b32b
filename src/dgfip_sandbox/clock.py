"""The clock, injected wherever time matters (tokens, quotas, taxation calendar, FranceConnect lifetimes).

Tests use ``FrozenClock`` and move it instead of sleeping.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
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


class FileClock:
    """A frozen instant read from a file (``DGFIP_SANDBOX_CLOCK_FILE``): ISO 8601 with a time zone.

    For tests that run several processes (gateway replicas behind nginx) on one frozen clock: the test
    writes the instant, and moves it by replacing the file (write a temporary file, then ``os.replace``);
    every process reads the new instant on its next ``now()``. The file is read again only when its
    inode, size or modification time changed, so a call costs one ``stat``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int, int] | None = None
        self._now = datetime.min.replace(tzinfo=UTC)

    def now(self) -> datetime:
        info = os.stat(self.path)
        stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
        if stamp != self._stamp:
            self._now = parse_instant(self.path.read_text().strip(), source=str(self.path))
            self._stamp = stamp
        return self._now


def parse_instant(text: str, *, source: str) -> datetime:
    """An aware datetime from ISO 8601 text; a clear error naming ``source`` otherwise."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{source}: not an ISO 8601 instant: {text!r}") from None
    if when.tzinfo is None:
        raise ValueError(f"{source}: the instant needs a time zone (e.g. 2026-11-25T10:00:00+00:00): {text!r}")
    return when.astimezone(UTC)


def write_clock_file(path: Path, when: datetime) -> None:
    """Set the instant a :class:`FileClock` reads, atomically (readers never see a half-written file).

    Readers notice a new instant by the file's inode, size and modification time. Two writes of the
    same length in one tick of the file system's timestamps (a few milliseconds) may reuse the freed
    inode and get the same time: the new file's modification time is then pushed past the old one's,
    so that no reader keeps the previous instant.
    """
    partial = path.with_name(path.name + ".partial")
    partial.write_text(when.isoformat())
    try:
        previous = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        previous = None
    if previous is not None and os.stat(partial).st_mtime_ns <= previous:
        os.utime(partial, ns=(previous + 1, previous + 1))
    os.replace(partial, path)


def clock_from_offset(offset_seconds: float) -> Clock:
    """``SystemClock`` when the offset is zero, else an ``OffsetClock``."""
    return OffsetClock(offset_seconds) if offset_seconds else SystemClock()


class ClockSettings(Protocol):
    """What the clock needs of :class:`dgfip_sandbox.settings.Settings` (the clock imports no settings)."""

    clock_offset_seconds: float
    clock_file: Path | None


def clock_from_settings(settings: ClockSettings) -> Clock:
    """The process's clock: a :class:`FileClock` when ``clock_file`` is set, else the system clock
    shifted by ``clock_offset_seconds``."""
    if settings.clock_file is not None:
        return FileClock(settings.clock_file)
    return clock_from_offset(settings.clock_offset_seconds)
