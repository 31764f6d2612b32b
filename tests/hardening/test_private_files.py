"""The SQLite database (and its -wal/-shm files), var/ and certs/ are private to the user (issue 12 §10):
they were 0644/0755 while keys were 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dgfip_sandbox.bootstrap import prepare_sandbox
from dgfip_sandbox.private_files import make_private
from tests.conftest import CLOCK_START

pytestmark = pytest.mark.anyio


def _loose(*roots: Path) -> list[str]:
    """Every path under ``roots`` that the group or others may read, write or enter."""
    out = []
    for root in roots:
        for path in [root, *root.rglob("*")]:
            if not path.is_symlink() and stat.S_IMODE(path.stat().st_mode) & 0o077:
                out.append(f"{oct(stat.S_IMODE(path.stat().st_mode))} {path}")
    return out


def test_prepared_var_and_certs_are_private(prepared_sandbox) -> None:
    settings = prepared_sandbox.settings
    assert _loose(settings.var_dir, settings.certs_dir) == []
    assert stat.S_IMODE(settings.var_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(settings.certs_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((settings.certs_dir / "ca.pem").stat().st_mode) == 0o600


async def test_the_sqlite_database_and_its_wal_files_stay_private_while_served(sandbox, test_postgres_server) -> None:
    if test_postgres_server:
        pytest.skip("PostgreSQL run: no SQLite file (var/ and certs/ are checked by the other tests)")
    client = await sandbox.client("mairie-demo")
    await client.get("/sandbox/audit")  # writes: the -wal and -shm files exist now
    database = sandbox.settings.var_dir / "sandbox.db"
    wal, shm = database.with_name("sandbox.db-wal"), database.with_name("sandbox.db-shm")
    assert wal.exists() and shm.exists()
    for path in (database, wal, shm):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_sandbox_made_with_a_loose_umask_is_tightened_by_the_next_up(tmp_path: Path, prepared_sandbox) -> None:
    settings = prepared_sandbox.settings.model_copy(
        update={"var_dir": tmp_path / "var", "certs_dir": tmp_path / "certs", "database_url": None}
    )
    previous = os.umask(0o022)
    try:
        (tmp_path / "var").mkdir(mode=0o755)
        (tmp_path / "var" / "notes.txt").write_text("x")
        prepare_sandbox(settings, now=CLOCK_START)
        # created under the sandbox's own umask, whatever the caller's
        assert _loose(settings.var_dir, settings.certs_dir) == []
        (settings.var_dir / "sandbox.db").chmod(0o644)
        make_private(settings.var_dir)
        assert _loose(settings.var_dir) == []
    finally:
        os.umask(previous)
    assert os.umask(previous) == previous  # the process umask is left as it was
