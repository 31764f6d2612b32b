"""store/snapshot.py: the plugin's reset restores a live SQLite database in place."""

from __future__ import annotations

import sqlite3

import pytest

from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.snapshot import SqliteSnapshot


def counters(connection: sqlite3.Connection) -> dict[str, int]:
    return dict(connection.execute("SELECT domain, generation FROM store_changes").fetchall())


def test_a_restore_is_seen_by_open_connections_and_moves_the_change_counters_on(settings: Settings) -> None:
    if settings.database_url:
        pytest.skip("the snapshot is SQLite's (the plugin's sandbox); this run is on PostgreSQL")
    path = settings.var_dir / "sandbox.db"
    server = sqlite3.connect(path)  # a server's connection, open across the restore
    seeded = server.execute("SELECT count(*) FROM consumers").fetchone()[0]
    assert seeded > 0
    snapshot = SqliteSnapshot(path)
    snapshot.take()

    with server:
        server.execute("DELETE FROM consumers WHERE name = 'caf-demo'")
    dirty = counters(server)
    assert server.execute("SELECT count(*) FROM consumers").fetchone()[0] == seeded - 1

    snapshot.restore()
    assert server.execute("SELECT count(*) FROM consumers").fetchone()[0] == seeded
    restored = counters(server)
    assert set(restored) == set(dirty)
    assert all(restored[domain] > dirty[domain] for domain in dirty)  # never back to a value a cache saw
    snapshot.close()
    server.close()


def test_restore_without_a_snapshot_is_an_error(settings: Settings) -> None:
    with pytest.raises(RuntimeError, match="no snapshot"):
        SqliteSnapshot(settings.var_dir / "sandbox.db").restore()
