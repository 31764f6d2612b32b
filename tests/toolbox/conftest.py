from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import update

from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.consumers import Consumer
from tests.gateway.conftest import probe_router


@pytest.fixture
def settings(prepared_sandbox, tmp_path: Path, test_database_url: str | None) -> Settings:  # type: ignore[no-untyped-def]
    """Per test: a copy of var/, of the PKI (admin tests issue and revoke certificates) and, on
    PostgreSQL, of the template database."""
    var_dir = tmp_path / "var"
    certs_dir = tmp_path / "certs"
    shutil.copytree(prepared_sandbox.settings.var_dir, var_dir)
    shutil.copytree(prepared_sandbox.settings.certs_dir, certs_dir)
    update = {"var_dir": var_dir, "certs_dir": certs_dir}
    if test_database_url:
        update["database_url"] = test_database_url
    return prepared_sandbox.settings.model_copy(update=update)


@pytest.fixture
def credentials(prepared_sandbox, settings: Settings) -> dict:  # type: ignore[no-untyped-def]
    """The prepared credentials, with paths pointing into this test's PKI copy."""
    old = str(prepared_sandbox.settings.certs_dir)
    new = str(settings.certs_dir)

    def move(value):  # type: ignore[no-untyped-def]
        if isinstance(value, str) and value.startswith(old):
            return new + value[len(old) :]
        if isinstance(value, dict):
            return {k: move(v) for k, v in value.items()}
        if isinstance(value, list):
            return [move(v) for v in value]
        return value

    return move(prepared_sandbox.credentials)


@pytest.fixture
async def probed(sandbox, credentials):  # type: ignore[no-untyped-def]
    sandbox.credentials = credentials
    sandbox.app.include_router(probe_router)
    return sandbox


class Sleeps(list):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps(probed) -> Sleeps:  # type: ignore[no-untyped-def]
    recorder = Sleeps()
    probed.state.sleep = recorder
    return recorder


async def set_consumer(sandbox, name: str, **values) -> None:  # type: ignore[no-untyped-def]
    async with sandbox.state.sessionmaker() as session, session.begin():
        await session.execute(update(Consumer).where(Consumer.name == name).values(**values))


@pytest.fixture
async def admin(probed):  # type: ignore[no-untyped-def]
    """The admin app beside the gateway, sharing its quota store; ``admin.client(ip)`` talks to it."""
    import httpx

    from dgfip_sandbox.assembly import build_admin_app

    app = build_admin_app(
        probed.settings, clock=probed.clock, quota_store=probed.state.quota, gateway_openapi=probed.app.openapi()
    )
    clients: list[httpx.AsyncClient] = []

    class Admin:
        token = probed.credentials["admin"]["token"]
        gateway = probed

        def client(self, ip: str = "127.0.0.1", *, token: str | None = "default") -> httpx.AsyncClient:
            headers = {}
            if token is not None:
                headers["Authorization"] = f"Bearer {self.token if token == 'default' else token}"
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=(ip, 40000)),
                base_url="http://127.0.0.1:8445",
                headers=headers,
            )
            clients.append(client)
            return client

    async with app.router.lifespan_context(app):
        app.state.admin  # noqa: B018 - started
        yield Admin()
        for client in clients:
            await client.aclose()


@pytest.fixture
def cli(settings: Settings):  # type: ignore[no-untyped-def]
    """``dgfip-sandbox …`` on this test's sandbox, its clock standing at the fixtures' (``CLOCK_START``)."""
    from datetime import UTC, datetime

    from typer.testing import CliRunner

    from dgfip_sandbox.cli import app
    from tests.conftest import CLOCK_START

    runner = CliRunner()
    env = {
        "DGFIP_SANDBOX_VAR_DIR": str(settings.var_dir),
        "DGFIP_SANDBOX_CERTS_DIR": str(settings.certs_dir),
        # The clock of the fixtures, so that what depends on the date (the taxation calendar) does not depend on today.
        "DGFIP_SANDBOX_CLOCK_OFFSET_SECONDS": str((CLOCK_START - datetime.now(UTC)).total_seconds()),
    }
    if settings.database_url:
        env["DGFIP_SANDBOX_DATABASE_URL"] = settings.database_url

    def invoke(*args: str, ok: bool = True):  # type: ignore[no-untyped-def]
        result = runner.invoke(app, list(args), env=env)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke
