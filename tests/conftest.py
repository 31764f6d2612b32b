"""Test harness: a prepared sandbox (migrated, seeded, PKI, demo consumers) built once per session,
and per test a fresh copy of its database, a frozen clock and the gateway app in-process.

Set ``DGFIP_SANDBOX_TEST_DATABASE_URL`` (e.g. postgresql://postgres@127.0.0.1:5432/test) to run the
whole suite on that server instead of SQLite; ``.ci/run`` does both. On PostgreSQL the prepared
sandbox is a template database of this run's own, and each test gets a fresh copy of it
(``CREATE DATABASE … TEMPLATE``), dropped afterwards: PostgreSQL runs are as isolated as SQLite ones.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from dgfip_sandbox.assembly import build_gateway_app
from dgfip_sandbox.bootstrap import prepare_sandbox
from dgfip_sandbox.clock import FrozenClock
from dgfip_sandbox.franceconnect.checktoken_client import ChecktokenClient
from dgfip_sandbox.gateway.quota import MemoryQuotaStore
from dgfip_sandbox.gateway.state import GatewayState
from dgfip_sandbox.settings import Settings
from tests.services import (
    create_postgres_database,
    drop_postgres_database,
    unique_database_name,
)

CLOCK_START = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
TEST_SEED_SIZE = 300
# Under pytest-xdist, the tests of these folders stay with the other tests of their module on one worker:
# their modules share an expensive module-scoped fixture (processes, a served sandbox, a browser) and,
# in tests/scale/test_replicas_behind_nginx.py, run in file order on it.
WHOLE_MODULE_FOLDERS = ("scale", "browser", "contract")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "xdist_group(name): pytest-xdist: run on the worker of this group")
    if getattr(config.option, "dist", "no") == "load":  # `-n N` without --dist: xdist's default
        config.option.dist = "loadgroup"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tests_dir = Path(__file__).resolve().parent
    for item in items:
        path = item.path.resolve()
        if path.is_relative_to(tests_dir) and path.relative_to(tests_dir).parts[0] in WHOLE_MODULE_FOLDERS:
            item.add_marker(pytest.mark.xdist_group(name=str(path.relative_to(tests_dir))))


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session", autouse=True)
def template_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The plugin's prepared-sandbox cache (testing/template.py) of this run (of this xdist worker):
    the suite's sandboxes and pytester sessions share it, and never read one of an earlier run."""
    path = tmp_path_factory.getbasetemp() / "template-cache"
    previous = os.environ.get("DGFIP_SANDBOX_CACHE_DIR")
    os.environ["DGFIP_SANDBOX_CACHE_DIR"] = str(path)
    try:
        yield path
    finally:
        if previous is None:
            os.environ.pop("DGFIP_SANDBOX_CACHE_DIR", None)
        else:
            os.environ["DGFIP_SANDBOX_CACHE_DIR"] = previous


@dataclass
class PreparedSandbox:
    root: Path
    settings: Settings
    credentials: dict[str, Any]
    template_database: str | None = None


@pytest.fixture(scope="session")
def test_postgres_server() -> str | None:
    """The PostgreSQL server the suite runs on (``DGFIP_SANDBOX_TEST_DATABASE_URL``), or None for SQLite."""
    return os.environ.get("DGFIP_SANDBOX_TEST_DATABASE_URL") or None


@pytest.fixture(scope="session")
def prepared_sandbox(
    tmp_path_factory: pytest.TempPathFactory, test_postgres_server: str | None
) -> Iterator[PreparedSandbox]:
    root = tmp_path_factory.mktemp("sandbox-template")
    template = None
    database_url = None
    if test_postgres_server:
        template = unique_database_name("dgfip_tpl")
        database_url = create_postgres_database(test_postgres_server, template)
    settings = Settings(
        var_dir=root / "var",
        certs_dir=root / "certs",
        seed_size=TEST_SEED_SIZE,
        database_url=database_url,
        _env_file=None,
    )
    try:
        credentials = prepare_sandbox(settings, now=CLOCK_START)
        yield PreparedSandbox(root=root, settings=settings, credentials=credentials, template_database=template)
    finally:
        if test_postgres_server and template:
            drop_postgres_database(test_postgres_server, template)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(CLOCK_START)


@pytest.fixture
def test_database_url(prepared_sandbox: PreparedSandbox, test_postgres_server: str | None) -> Iterator[str | None]:
    """Per test on PostgreSQL: a fresh copy of the prepared template database, dropped afterwards."""
    if not test_postgres_server or not prepared_sandbox.template_database:
        yield None
        return
    name = unique_database_name("dgfip_t")
    url = create_postgres_database(test_postgres_server, name, template=prepared_sandbox.template_database)
    try:
        yield url
    finally:
        drop_postgres_database(test_postgres_server, name)


@pytest.fixture
def settings(prepared_sandbox: PreparedSandbox, tmp_path: Path, test_database_url: str | None) -> Settings:
    """Per test: a copy of the prepared var/ (SQLite database, keys, credentials) and, on PostgreSQL,
    a fresh copy of the template database; the PKI is shared."""
    var_dir = tmp_path / "var"
    shutil.copytree(prepared_sandbox.settings.var_dir, var_dir)
    update: dict[str, Any] = {"var_dir": var_dir}
    if test_database_url:
        update["database_url"] = test_database_url
    return prepared_sandbox.settings.model_copy(update=update)


class WithClientCertificate:
    """Puts a client certificate into the ASGI TLS extension, as the sandbox's uvicorn protocol does."""

    def __init__(self, app: Any, pem: str | None) -> None:
        self.app = app
        self.pem = pem

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            extensions = dict(scope.get("extensions") or {})
            extensions["tls"] = {"client_cert_chain": [self.pem] if self.pem else []}
            scope = {**scope, "extensions": extensions}
        await self.app(scope, receive, send)


async def _fresh_correlation_id(request: httpx.Request) -> None:
    if "x-correlation-id" not in request.headers:
        request.headers["X-Correlation-ID"] = str(uuid.uuid4())


@dataclass
class Sandbox:
    settings: Settings
    credentials: dict[str, Any]
    clock: FrozenClock
    app: Any
    client_ip: str = "127.0.0.1"
    _clients: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def state(self) -> GatewayState:
        return self.app.state.sandbox  # type: ignore[no-any-return]  # Starlette's app.state is untyped

    async def use_fc_transport(self, transport: httpx.AsyncBaseTransport) -> None:
        """The gateway's checktoken client now reaches FranceConnect through ``transport`` (in-process app,
        mock outage); the lifespan closes whichever client is current."""
        previous = self.state.checktoken
        self.state.checktoken = ChecktokenClient(self.settings, transport=transport)
        await previous.aclose()

    def consumer(self, name: str) -> dict[str, Any]:
        for consumer in self.credentials["consumers"]:
            if consumer["name"] == name:
                return consumer
        raise KeyError(name)

    def raw_client(self, *, cert: str | Path | None, client_ip: str | None = None) -> httpx.AsyncClient:
        """A client presenting ``cert`` (a PEM path, or None for no certificate), nothing else."""
        pem = Path(cert).read_text() if cert else None
        transport = httpx.ASGITransport(
            app=WithClientCertificate(self.app, pem), client=(client_ip or self.client_ip, 51000)
        )
        client = httpx.AsyncClient(
            transport=transport,
            base_url="https://localhost:8443",
            event_hooks={"request": [_fresh_correlation_id]},
        )
        self._clients.append(client)
        return client

    async def token(self, name: str, *, scopes: list[str] | None = None, cert: str | Path | None = None) -> str:
        consumer = self.consumer(name)
        client = self.raw_client(cert=cert or consumer["cert"])
        data = {"grant_type": "client_credentials"}
        if scopes is not None:
            data["scope"] = " ".join(scopes)
        response = await client.post("/token", data=data, auth=(consumer["client_id"], consumer["client_secret"]))
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    async def client(
        self,
        name: str,
        *,
        scopes: list[str] | None = None,
        cert: str | Path | None = None,
        client_ip: str | None = None,
    ) -> httpx.AsyncClient:
        """An authenticated client for a demo consumer: its certificate, a token, its ID_Teleservice."""
        consumer = self.consumer(name)
        token = await self.token(name, scopes=scopes)
        client = self.raw_client(cert=cert or consumer["cert"], client_ip=client_ip)
        client.headers["Authorization"] = f"Bearer {token}"
        if consumer.get("id_teleservice"):
            client.headers["ID_Teleservice"] = consumer["id_teleservice"]
        return client


@pytest.fixture
async def sandbox(settings: Settings, prepared_sandbox: PreparedSandbox, clock: FrozenClock) -> AsyncIterator[Sandbox]:
    app = build_gateway_app(settings, clock=clock, quota_store=MemoryQuotaStore())
    box = Sandbox(settings=settings, credentials=prepared_sandbox.credentials, clock=clock, app=app)
    async with app.router.lifespan_context(app):
        yield box
        for client in box._clients:
            await client.aclose()
