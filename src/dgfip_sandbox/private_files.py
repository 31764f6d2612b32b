"""The one way the sandbox writes a file that holds a secret (keys, client secrets, tokens): atomically
(a temporary file in the same directory, then a rename), readable by its owner only (0600) from the
first byte, never half written even when interrupted."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

PRIVATE = 0o600


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
