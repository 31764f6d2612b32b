"""TLS tests: one sandbox PKI per session (generated at the real current time, since OpenSSL checks
validity against the wall clock), real sockets on free ports, a tiny echo app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from dgfip_sandbox import pki
from dgfip_sandbox.server import ServerGroup, ServerSpec

CONSUMERS = ["demo-impot-particulier", "demo-ficoba"]


@pytest.fixture(scope="session")
def pki_now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(scope="session")
def sandbox_pki(tmp_path_factory: pytest.TempPathFactory, pki_now: datetime) -> pki.SandboxPki:
    return pki.ensure_pki(tmp_path_factory.mktemp("certs"), CONSUMERS, now=pki_now)


@pytest.fixture(scope="session")
def trust(sandbox_pki: pki.SandboxPki) -> pki.Trust:
    return pki.load_trust(sandbox_pki.certs_dir)


def echo_app(trust: pki.Trust) -> Starlette:
    """Answers with the scope's TLS extension and what the PKI thinks of the presented certificate."""

    async def echo(request: Request) -> JSONResponse:
        tls = request.scope.get("extensions", {}).get("tls")
        verdict = None
        if tls and tls["client_cert_chain"]:
            cert = pki.load_pem_cert(tls["client_cert_chain"][0])
            try:
                pki.verify_client_certificate(trust, cert, now=datetime.now(UTC))
                verdict = "ok"
            except pki.CertificateError as exc:
                verdict = str(exc)
        return JSONResponse({"tls": tls, "verdict": verdict, "scheme": request.url.scheme})

    return Starlette(routes=[Route("/echo", echo)])


def client_context(
    sandbox_pki: pki.SandboxPki, pair: tuple[Path, Path] | None, *, max_version: ssl.TLSVersion | None = None
) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(sandbox_pki.ca_cert))
    if pair is not None:
        context.load_cert_chain(certfile=pair[0], keyfile=pair[1])
    if max_version is not None:
        context.maximum_version = max_version
    return context


@contextlib.asynccontextmanager
async def running(specs: list[ServerSpec]) -> AsyncIterator[ServerGroup]:
    """Start a server group in this event loop; stop it gracefully on exit."""
    group = ServerGroup(specs)
    task = asyncio.create_task(group.run(handle_signals=False))
    await asyncio.wait_for(group.wait_started(), timeout=10)
    if task.done():
        task.result()  # raise the startup failure
    try:
        yield group
    finally:
        group.request_exit()
        await asyncio.wait_for(task, timeout=15)


class LogWaiter(logging.Handler):
    """Collects records of one logger and lets a test await the first one (no sleeping)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self._event.set()

    async def wait(self, timeout: float = 5.0) -> logging.LogRecord:
        await asyncio.wait_for(self._event.wait(), timeout=timeout)
        return self.records[0]


@pytest.fixture
def tls_log() -> AsyncIterator[LogWaiter]:
    logger = logging.getLogger("dgfip_sandbox.tls")
    handler = LogWaiter()
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(previous)
