"""The sandbox's files are its user's alone.

* A file that holds a secret (keys, client secrets, tokens) is written one way: atomically (a
  temporary file in the same directory, then a rename), readable by its owner only (0600) from the
  first byte, never half written even when interrupted.
* ``var/`` (the SQLite database and its -wal/-shm files, credentials, keys) and ``certs/`` (the PKI)
  are created under a 0077 umask and kept at 0700 for directories, 0600 for files (SQLite gives its
  -wal and -shm files the database file's mode).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PRIVATE = 0o600
PRIVATE_UMASK = 0o077
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = PRIVATE


def write_atomic(path: Path, data: bytes, *, mode: int = PRIVATE, exclusive: bool = False) -> bool:
    """Write ``data`` to ``path`` with ``mode``. With ``exclusive``, never replace an existing file:
    return False when one is there (two processes racing to create a key keep the first one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if exclusive:
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
            return True
        os.replace(tmp, path)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_private_text(path: Path, text: str, *, exclusive: bool = False) -> bool:
    return write_atomic(path, text.encode("utf-8"), exclusive=exclusive)


def write_private_json(path: Path, data: Any, *, exclusive: bool = False) -> bool:
    """JSON, indented, UTF-8 (French text stays readable), owner-only."""
    return write_private_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n", exclusive=exclusive)


def read_json(path: Path) -> Any:
    """The JSON document at ``path``, or None when there is no such file."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None


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
