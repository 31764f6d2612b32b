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

See docs/pytest-plugin.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from dgfip_sandbox.testing.sandbox import DgfipSandbox, start_sandbox

__all__ = ["DgfipSandbox"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("dgfip_sandbox_seed_size", "dgfip-sandbox: number of generated foyers", default="200")
    parser.addini(
        "dgfip_sandbox_clock_start", "dgfip-sandbox: ISO 8601 start of the frozen clock (default: now)", default=""
    )


def _clock_start(config: pytest.Config) -> datetime:
    text = str(config.getini("dgfip_sandbox_clock_start") or "").strip()
    if not text:
        return datetime.now(UTC).replace(second=0, microsecond=0)
    start = datetime.fromisoformat(text)
    if start.tzinfo is None:
        raise pytest.UsageError("dgfip_sandbox_clock_start needs a time zone (e.g. 2026-11-25T10:00:00+00:00)")
    return start


@pytest.fixture(scope="session")
def dgfip_sandbox(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DgfipSandbox]:
    """The gateway, FranceConnect and the admin app, served for the test session."""
    root = tmp_path_factory.mktemp("dgfip-sandbox")
    sandbox = start_sandbox(
        root,
        seed_size=int(request.config.getini("dgfip_sandbox_seed_size")),
        clock_start=_clock_start(request.config),
    )
    try:
        yield sandbox
    finally:
        sandbox.stop()
