"""The wheel of this checkout, built once per test run (``pip wheel --no-deps``), and a fresh venv with
it and its dependencies installed, as the Dockerfile's build stage does (``pip install <wheel>``)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIP_ENV = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


@functools.cache
def built_wheel() -> Path:
    """The wheel built from this checkout into a temporary folder (kept for the run)."""
    dist = Path(tempfile.mkdtemp(prefix="dgfip-wheel-"))
    dist.chmod(0o755)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        env=PIP_ENV,
    )
    if done.returncode != 0:
        raise RuntimeError(f"pip wheel failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    (wheel,) = dist.glob("dgfip_sandbox-*.whl")
    wheel.chmod(0o644)
    return wheel


def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def system_python() -> str:
    """An interpreter any user may run (a non-root user cannot reach a pyenv under /root)."""
    for candidate in ("/usr/bin/python3", shutil.which("python3"), sys.executable):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return sys.executable


def venv_with_wheel(folder: Path, python: str | None = None) -> Path:
    """A fresh venv in ``folder``, the wheel and its dependencies installed; returns its ``bin`` directory."""
    python = python or system_python()
    subprocess.run([python, "-m", "venv", str(folder)], check=True, capture_output=True)
    done = subprocess.run(
        [str(folder / "bin" / "pip"), "install", "-q", str(built_wheel())], capture_output=True, text=True, env=PIP_ENV
    )
    if done.returncode != 0:
        raise RuntimeError(f"pip install of the wheel failed: {done.stderr[-2000:]}")
    return folder / "bin"
