"""Progress of long work (seeding 100,000 foyers, migrating): a rich bar with counts on a terminal,
plain French lines otherwise (logs of a container, CI).

The work reports to :func:`current` (a no-op unless a caller installed a reporter with :func:`reporting`),
so the seeders keep their ``(session, settings)`` signature and tests see nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
from collections.abc import Iterator
from typing import Any, Protocol, TextIO


class Task(Protocol):
    def advance(self, count: int = 1) -> None: ...


class Reporter(Protocol):
    def task(self, label: str, total: int) -> contextlib.AbstractContextManager[Task]: ...


class _NoTask:
    def advance(self, count: int = 1) -> None:
        return None


class SilentReporter:
    @contextlib.contextmanager
    def task(self, label: str, total: int) -> Iterator[Task]:
        yield _NoTask()


class _LineTask:
    """Prints ``label : done/total`` at each tenth of the work, and at the end."""

    def __init__(self, label: str, total: int, stream: TextIO) -> None:
        self.label, self.total, self.stream = label, max(total, 0), stream
        self.done = 0
        self.next_tenth = 1

    def advance(self, count: int = 1) -> None:
        self.done += count
        crossed = False
        while self.total and self.next_tenth <= 10 and self.done * 10 >= self.total * self.next_tenth:
            self.next_tenth += 1
            crossed = True
        if crossed:
            self._print()

    def _print(self) -> None:
        print(f"{self.label} : {min(self.done, self.total)}/{self.total}", file=self.stream, flush=True)


class LineReporter:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr

    @contextlib.contextmanager
    def task(self, label: str, total: int) -> Iterator[Task]:
        line = _LineTask(label, total, self.stream)
        if not total:
            print(f"{label} …", file=self.stream, flush=True)
        yield line
        if line.next_tenth <= 10 and total:
            line._print()


class _RichTask:
    def __init__(self, progress: Any, task_id: Any) -> None:
        self.progress, self.task_id = progress, task_id

    def advance(self, count: int = 1) -> None:
        self.progress.advance(self.task_id, count)


class RichReporter:
    """One rich bar per task: label, bar, done/total, elapsed time."""

    @contextlib.contextmanager
    def task(self, label: str, total: int) -> Iterator[Task]:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
            task_id = progress.add_task(label, total=total or None)
            yield _RichTask(progress, task_id)
            progress.update(task_id, completed=total)


def terminal_reporter(stream: TextIO | None = None) -> Reporter:
    """A rich bar when ``stream`` (stderr by default) is a terminal, plain lines otherwise."""
    stream = stream or sys.stderr
    return RichReporter() if stream.isatty() else LineReporter(stream)


_SILENT = SilentReporter()
_current: contextvars.ContextVar[Reporter | None] = contextvars.ContextVar("dgfip_sandbox_progress", default=None)


def current() -> Reporter:
    return _current.get() or _SILENT


@contextlib.contextmanager
def reporting(reporter: Reporter) -> Iterator[None]:
    """Install ``reporter`` for the work done inside (this thread and the tasks it starts)."""
    token = _current.set(reporter)
    try:
        yield
    finally:
        _current.reset(token)
