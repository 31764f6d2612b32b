"""The sandbox's files are its user's alone: ``var/`` (the SQLite database and its -wal/-shm files,
credentials, keys) and ``certs/`` (the PKI) are created under a 0077 umask and kept at 0700 for
directories, 0600 for files (SQLite gives its -wal and -shm files the database file's mode)."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

PRIVATE_UMASK = 0o077
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Files and directories created inside are private to the user (the process umask is restored)."""
    previous = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def make_private(*roots: Path) -> None:
    """``roots`` and everything under them: directories 0700, regular files 0600 (a sandbox made
    before this rule, or copied with a looser umask, is tightened on the next ``up``)."""
    for root in roots:
        if not root.exists():
            continue
        _chmod(root, PRIVATE_DIR_MODE)
        for directory, dirnames, filenames in os.walk(root):
            for name in dirnames:
                _chmod(Path(directory, name), PRIVATE_DIR_MODE)
            for name in filenames:
                path = Path(directory, name)
                if stat.S_ISREG(path.lstat().st_mode):
                    _chmod(path, PRIVATE_FILE_MODE)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its missing parents inside it) as a private directory."""
    with private_umask():
        path.mkdir(parents=True, exist_ok=True)
    _chmod(path, PRIVATE_DIR_MODE)
    return path


def _chmod(path: Path, mode: int) -> None:
    if stat.S_IMODE(path.lstat().st_mode) != mode and not path.is_symlink():
        with contextlib.suppress(PermissionError):  # not ours (a mounted volume): leave it
            path.chmod(mode)
