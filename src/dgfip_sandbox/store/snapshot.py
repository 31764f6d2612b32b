"""A snapshot of a live SQLite database, restored in place in a few milliseconds (the plugin's reset).

:class:`SqliteSnapshot` copies the database into memory with SQLite's online backup API, and
restores it the same way into the live file while the servers keep their connections: SQLite makes
every other connection see the restored pages on its next transaction. The change counters
(store/changes.py) are then moved past every value they had before the restore, never back: a cache
loaded under a counter value of the test that ran before the reset is never taken for current.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dgfip_sandbox.store.changes import DOMAINS

BUSY_TIMEOUT_SECONDS = 30.0


class SqliteSnapshot:
    """The state of the database at :meth:`take`; :meth:`restore` puts it back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._copy: sqlite3.Connection | None = None

    def take(self) -> None:
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        with sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS) as live:
            live.backup(copy)
        live.close()
        if self._copy is not None:
            self._copy.close()
        self._copy = copy

    def restore(self) -> None:
        if self._copy is None:
            raise RuntimeError("no snapshot taken")
        live = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            before = dict(live.execute("SELECT domain, generation FROM store_changes").fetchall())
            self._copy.backup(live)
            with live:
                for domain in DOMAINS:
                    live.execute(
                        "UPDATE store_changes SET generation = ? WHERE domain = ?",
                        (int(before.get(domain, 0)) + 1, domain),
                    )
        finally:
            live.close()

    def close(self) -> None:
        if self._copy is not None:
            self._copy.close()
            self._copy = None
