"""The first request of a TLS 1.3 connection travels with the client's last handshake message: it must
reach the HTTP protocol after its ``connection_made``, with the TLS extension in its scope."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from dgfip_sandbox import pki
from dgfip_sandbox.server import ServerSpec, server_ssl_context
from tests.tls.conftest import client_context, echo_app, running

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("http", ["h11", "httptools"])
async def test_new_connections_from_another_thread_all_carry_the_certificate(
    sandbox_pki: pki.SandboxPki, trust: pki.Trust, http: str
) -> None:
    spec = ServerSpec(
        name="gateway", app=echo_app(trust), ssl_context=server_ssl_context(sandbox_pki), access_log=False, http=http
    )
    context = client_context(sandbox_pki, sandbox_pki.clients["demo-ficoba"])

    def thirty_fresh_connections(url: str) -> list[tuple[int, str | None]]:
        answers = []
        for _ in range(30):
            with httpx.Client(verify=context, timeout=10) as client:  # one connection each
                response = client.get(url)
                answers.append(
                    (response.status_code, response.json()["verdict"] if response.status_code == 200 else None)
                )
        return answers

    async with running([spec]) as group:
        answers = await asyncio.to_thread(thirty_fresh_connections, group.url("gateway") + "/echo")
    assert answers == [(200, "ok")] * 30
