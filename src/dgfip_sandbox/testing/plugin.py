"""pytest plugin for integrators' own test suites: a real sandbox in-process, per test session.

Installed with the package (entry point ``pytest11: dgfip_sandbox``); or ``-p dgfip_sandbox.testing.plugin``.
The ``dgfip_sandbox`` fixture (session scope) prepares a sandbox in a temporary directory
(database, PKI, demo consumers), serves the gateway (HTTPS, mutual TLS), the FranceConnect service
and the admin app with real uvicorn servers on free loopback ports in a background thread, and
yields a :class:`DgfipSandbox`. The apps share one :class:`~dgfip_sandbox.clock.FrozenClock`, moved
by the test; scenario latencies advance that clock instead of sleeping.

ini options (pytest.ini / pyproject ``[tool.pytest.ini_options]``):

- ``dgfip_sandbox_seed_size``: number of generated foyers (default 200)
- ``dgfip_sandbox_clock_start``: ISO 8601 start of the frozen clock (default: now, to the minute)
- ``dgfip_sandbox_scope``: ``session`` (default: one sandbox state for the whole session) or
  ``function`` (the same servers, the state put back before each test: seed, ``dgfip_sandbox_data``
  and the test's ``@pytest.mark.dgfip_sandbox_data(...)``); ``dgfip_sandbox_fresh`` does that per test
  whatever the option
- ``dgfip_sandbox_data``: data files (docs/test-data.md) loaded at start, part of the state every reset keeps
- ``dgfip_sandbox_cache``: ``true`` (default) copies a sandbox prepared once per machine (testing/template.py)

See docs/pytest-plugin.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pytest

from dgfip_sandbox.testing.sandbox import DgfipSandbox, start_sandbox

SCOPES = ("session", "function")
DATA_MARKER = "dgfip_sandbox_data"

__all__ = ["DgfipSandbox"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("dgfip_sandbox_seed_size", "dgfip-sandbox: number of generated foyers", default="200")
    parser.addini(
        "dgfip_sandbox_clock_start", "dgfip-sandbox: ISO 8601 start of the frozen clock (default: now)", default=""
    )
    parser.addini(
        "dgfip_sandbox_scope",
        "dgfip-sandbox: session (default) or function (the state put back before each test)",
        default="session",
    )
    parser.addini("dgfip_sandbox_data", "dgfip-sandbox: data files loaded at start", type="paths", default=[])
    parser.addini(
        "dgfip_sandbox_cache", "dgfip-sandbox: copy a sandbox prepared once per machine", type="bool", default=True
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{DATA_MARKER}(*files_or_dicts): test data (docs/test-data.md) of this test, loaded by the "
        "function-scoped dgfip_sandbox fixtures after the reset",
    )


def _scope(fixture_name: str, config: pytest.Config) -> Literal["session", "function"]:
    scope = str(config.getini("dgfip_sandbox_scope") or "session").strip()
    if scope == "session":
        return "session"
    if scope == "function":
        return "function"
    raise pytest.UsageError(f"dgfip_sandbox_scope: {scope!r}, expected one of {', '.join(SCOPES)}")


def _clock_start(config: pytest.Config) -> datetime:
    text = str(config.getini("dgfip_sandbox_clock_start") or "").strip()
    if not text:
        return datetime.now(UTC).replace(second=0, microsecond=0)
    start = datetime.fromisoformat(text)
    if start.tzinfo is None:
        raise pytest.UsageError("dgfip_sandbox_clock_start needs a time zone (e.g. 2026-11-25T10:00:00+00:00)")
    return start


@pytest.fixture(scope="session")
def dgfip_sandbox_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DgfipSandbox]:
    """The gateway, FranceConnect and the admin app, served for the test session; its state at start
    (seed and ``dgfip_sandbox_data`` files) is the snapshot the resets put back."""
    config = request.config
    sandbox = start_sandbox(
        tmp_path_factory.mktemp("dgfip-sandbox"),
        seed_size=int(config.getini("dgfip_sandbox_seed_size")),
        clock_start=_clock_start(config),
        use_cache=bool(config.getini("dgfip_sandbox_cache")),
    )
    try:
        for path in config.getini("dgfip_sandbox_data"):
            sandbox.load_data(Path(path))
        sandbox.snapshot()
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture(scope=_scope)
def dgfip_sandbox(request: pytest.FixtureRequest, dgfip_sandbox_server: DgfipSandbox) -> DgfipSandbox:
    """The sandbox (``dgfip_sandbox_scope``: one state for the session, or put back before each test)."""
    if request.scope == "function":
        _fresh(request, dgfip_sandbox_server)
    return dgfip_sandbox_server


@pytest.fixture
def dgfip_sandbox_fresh(request: pytest.FixtureRequest, dgfip_sandbox_server: DgfipSandbox) -> DgfipSandbox:
    """The session's sandbox put back to its start for this test (seed, ``dgfip_sandbox_data`` files,
    clock, empty journal and quotas), plus this test's ``@pytest.mark.dgfip_sandbox_data(...)``."""
    _fresh(request, dgfip_sandbox_server)
    return dgfip_sandbox_server


def _fresh(request: pytest.FixtureRequest, sandbox: DgfipSandbox) -> None:
    sandbox.reset(keep_data=False)
    base = request.path.parent
    for marker in reversed(list(request.node.iter_markers(DATA_MARKER))):  # the closest marker loads last
        for item in marker.args:
            data: Any = item if isinstance(item, dict) else base / Path(item)
            sandbox.load_data(data)
