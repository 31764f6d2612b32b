"""Real TLS: uvicorn with the sandbox protocols on free ports, httpx presenting the sandbox certificates."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import ssl

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from dgfip_sandbox import pki
from dgfip_sandbox.server import (
    ServerGroup,
    ServerSpec,
    ServerStartupError,
    TlsScopeH11Protocol,
    TlsScopeHttpToolsProtocol,
    http_protocol_class,
    serve,
    server_ssl_context,
)
from tests.tls.conftest import LogWaiter, client_context, echo_app, running

pytestmark = pytest.mark.anyio


def gateway_spec(sandbox_pki: pki.SandboxPki, trust: pki.Trust, **kwargs) -> ServerSpec:
    return ServerSpec(
        name="gateway", app=echo_app(trust), ssl_context=server_ssl_context(sandbox_pki), access_log=False, **kwargs
    )


@pytest.mark.parametrize("http", ["h11", "httptools"])
async def test_client_certificate_reaches_the_app(sandbox_pki: pki.SandboxPki, trust: pki.Trust, http: str) -> None:
    cert_path, key_path = sandbox_pki.clients["demo-impot-particulier"]
    async with (
        running([gateway_spec(sandbox_pki, trust, http=http)]) as group,
        httpx.AsyncClient(verify=client_context(sandbox_pki, (cert_path, key_path))) as client,
    ):
        first = await client.get(group.url("gateway") + "/echo")
        second = await client.get(group.url("gateway") + "/echo")  # same connection, same extension
    assert first.status_code == 200
    body = first.json()
    tls = body["tls"]
    assert body["scheme"] == "https"
    assert len(tls["client_cert_chain"]) == 1
    presented = pki.load_pem_cert(tls["client_cert_chain"][0])
    assert presented == pki.load_pem_cert(cert_path.read_bytes())
    assert tls["client_cert_name"] == presented.subject.rfc4514_string()
    assert "CN=demo-impot-particulier" in tls["client_cert_name"]
    assert tls["client_cert_error"] is None
    assert tls["tls_version"] == 0x0304
    assert tls["cipher_suite"] in (0x1301, 0x1302, 0x1303)
    assert body["verdict"] == "ok"
    assert second.json() == body


async def test_protocol_class_choice() -> None:
    assert http_protocol_class("h11") is TlsScopeH11Protocol
    assert http_protocol_class("httptools") is TlsScopeHttpToolsProtocol
    assert http_protocol_class("auto") is TlsScopeHttpToolsProtocol


async def test_tls12_client_gets_the_extension_too(sandbox_pki: pki.SandboxPki, trust: pki.Trust) -> None:
    context = client_context(sandbox_pki, sandbox_pki.clients["demo-ficoba"], max_version=ssl.TLSVersion.TLSv1_2)
    async with running([gateway_spec(sandbox_pki, trust)]) as group, httpx.AsyncClient(verify=context) as client:
        response = await client.get(group.url("gateway") + "/echo")
    tls = response.json()["tls"]
    assert tls["tls_version"] == 0x0303
    assert isinstance(tls["cipher_suite"], int) and tls["cipher_suite"] > 0
    assert "CN=demo-ficoba" in tls["client_cert_name"]


async def test_no_certificate_reaches_the_app_with_an_empty_chain(
    sandbox_pki: pki.SandboxPki, trust: pki.Trust
) -> None:
    async with (
        running([gateway_spec(sandbox_pki, trust)]) as group,
        httpx.AsyncClient(verify=client_context(sandbox_pki, None)) as client,
    ):
        response = await client.get(group.url("gateway") + "/echo")
    assert response.status_code == 200
    tls = response.json()["tls"]
    assert tls["client_cert_chain"] == []
    assert tls["client_cert_name"] is None


async def test_revoked_certificate_reaches_the_app_which_refuses_it(
    sandbox_pki: pki.SandboxPki, trust: pki.Trust
) -> None:
    async with (
        running([gateway_spec(sandbox_pki, trust)]) as group,
        httpx.AsyncClient(verify=client_context(sandbox_pki, sandbox_pki.bad["revoked"])) as client,
    ):
        response = await client.get(group.url("gateway") + "/echo")
    assert response.status_code == 200
    assert len(response.json()["tls"]["client_cert_chain"]) == 1
    assert response.json()["verdict"] == "le certificat client est révoqué (liste de révocation du bac à sable)"


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("expired", "certificate has expired"),
        ("not_yet_valid", "certificate is not yet valid"),
        ("unknown_ca", "unable to get local issuer certificate"),
    ],
    ids=["expired", "not_yet_valid", "unknown_ca"],
)
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3], ids=["tls1.2", "tls1.3"])
async def test_bad_certificates_fail_the_handshake_and_are_logged(
    sandbox_pki: pki.SandboxPki, trust: pki.Trust, tls_log: LogWaiter, kind: str, reason: str, version: ssl.TLSVersion
) -> None:
    context = client_context(sandbox_pki, sandbox_pki.bad[kind], max_version=version)
    async with running([gateway_spec(sandbox_pki, trust)]) as group, httpx.AsyncClient(verify=context) as client:
        # TLS 1.2: the client sees the failure during the handshake. TLS 1.3: the client's side
        # of the handshake ends before the server judges its certificate, so the alert (or the
        # closed connection) arrives when it reads the response.
        expected = httpx.ConnectError if version == ssl.TLSVersion.TLSv1_2 else httpx.TransportError
        with pytest.raises(expected):
            await client.get(group.url("gateway") + "/echo")
        record = await tls_log.wait()
    message = record.getMessage()
    assert message.startswith("tls_handshake_failed peer=127.0.0.1:")
    assert f'reason="{reason} (CERTIFICATE_VERIFY_FAILED)"' in message
    assert len(tls_log.records) == 1


async def test_plain_http_on_the_tls_port_is_logged(
    sandbox_pki: pki.SandboxPki, trust: pki.Trust, tls_log: LogWaiter
) -> None:
    async with running([gateway_spec(sandbox_pki, trust)]) as group, httpx.AsyncClient() as client:
        with pytest.raises(httpx.TransportError):
            await client.get(f"http://127.0.0.1:{group.ports['gateway']}/echo")
        record = await tls_log.wait()
    assert 'reason="HTTP_REQUEST"' in record.getMessage()


async def test_client_leaving_before_the_handshake_is_logged(
    sandbox_pki: pki.SandboxPki, trust: pki.Trust, tls_log: LogWaiter
) -> None:
    async with running([gateway_spec(sandbox_pki, trust)]) as group:
        reader, writer = await asyncio.open_connection("127.0.0.1", group.ports["gateway"])
        writer.close()
        await writer.wait_closed()
        record = await tls_log.wait()
    assert "tls_handshake_failed" in record.getMessage()
    assert "reason=" in record.getMessage()


async def test_several_servers_in_one_loop(sandbox_pki: pki.SandboxPki, trust: pki.Trust) -> None:
    plain = ServerSpec(name="franceconnect", app=echo_app(trust), access_log=False)
    tls_only = ServerSpec(
        name="fc-https",
        app=echo_app(trust),
        ssl_context=server_ssl_context(sandbox_pki, client_auth=False),
        access_log=False,
    )
    async with running([gateway_spec(sandbox_pki, trust), plain, tls_only]) as group:
        assert len(set(group.ports.values())) == 3
        async with httpx.AsyncClient(verify=client_context(sandbox_pki, sandbox_pki.clients["demo-ficoba"])) as client:
            gateway = await client.get(group.url("gateway") + "/echo")
            fc_tls = await client.get(group.url("fc-https") + "/echo")
        async with httpx.AsyncClient() as client:
            fc = await client.get(group.url("franceconnect") + "/echo")
    assert gateway.json()["verdict"] == "ok"
    # No client certificate asked when client_auth=False, even if the client has one.
    assert fc_tls.json()["tls"]["client_cert_chain"] == []
    # Plain HTTP: no TLS extension at all (ASGI spec).
    assert fc.status_code == 200
    assert fc.json() == {"tls": None, "verdict": None, "scheme": "http"}


async def test_port_in_use_is_a_clear_startup_error(trust: pki.Trust) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        group = ServerGroup(
            [
                ServerSpec(name="first", app=echo_app(trust), access_log=False),
                ServerSpec(name="second", app=echo_app(trust), port=port, access_log=False),
            ]
        )
        with pytest.raises(ServerStartupError, match="'second' cannot listen"):
            await group.run(handle_signals=False)
    assert group.sockets == {}


async def test_failing_lifespan_stops_every_server(trust: pki.Trust) -> None:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def broken(app):
        raise RuntimeError("database unreachable")
        yield

    group = ServerGroup(
        [
            ServerSpec(name="good", app=echo_app(trust), access_log=False),
            ServerSpec(name="broken", app=Starlette(lifespan=broken), lifespan="on", access_log=False),
        ]
    )
    with pytest.raises(ServerStartupError, match="'broken' failed to start"):
        await asyncio.wait_for(group.run(handle_signals=False), timeout=15)


async def test_sigterm_shuts_down_gracefully(trust: pki.Trust) -> None:
    """A request in flight when SIGTERM arrives still gets its response; then serve() returns."""
    entered = asyncio.Event()
    release = asyncio.Event()

    async def slow(request):
        entered.set()
        await release.wait()
        return PlainTextResponse("fini")

    spec = ServerSpec(name="slow", app=Starlette(routes=[Route("/slow", slow)]), access_log=False)
    group = ServerGroup([spec])
    server_task = asyncio.create_task(group.run(handle_signals=True))
    await asyncio.wait_for(group.wait_started(), timeout=10)
    async with httpx.AsyncClient() as client:
        request = asyncio.create_task(client.get(group.url("slow") + "/slow"))
        await asyncio.wait_for(entered.wait(), timeout=10)
        os.kill(os.getpid(), signal.SIGTERM)
        # The handler runs in the loop: wait until the servers were told to exit.
        for _ in range(1000):
            if all(server.should_exit for server in group.servers.values()):
                break
            await asyncio.sleep(0)
        assert all(server.should_exit for server in group.servers.values())
        assert not server_task.done()
        release.set()
        response = await asyncio.wait_for(request, timeout=10)
    assert response.status_code == 200 and response.text == "fini"
    await asyncio.wait_for(server_task, timeout=15)
    # Handlers are removed afterwards: the default SIGTERM disposition is back.
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


async def test_serve_in_a_running_loop_refuses_several_workers(trust: pki.Trust) -> None:
    # Forking a running event loop is unsafe: several workers go through the synchronous server.run().
    with pytest.raises(ValueError, match="server.run"):
        await serve([ServerSpec(name="x", app=echo_app(trust))], workers=2)


async def test_cancelling_run_stops_the_servers(trust: pki.Trust) -> None:
    group = ServerGroup([ServerSpec(name="x", app=echo_app(trust), access_log=False)])
    task = asyncio.create_task(group.run(handle_signals=False))
    await asyncio.wait_for(group.wait_started(), timeout=10)
    port = group.ports["x"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=15)
    assert all(server.should_exit for server in group.servers.values())
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


async def raw_tls_request(port: int, context: ssl.SSLContext, request: bytes) -> bytes:
    """Drive TLS by hand so that the client's last handshake flight and its request leave in ONE write:
    the server then decrypts the request in the same read that completes the handshake."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    try:
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                writer.write(outgoing.read())
                data = await asyncio.wait_for(reader.read(65536), timeout=10)
                assert data, "server closed during the handshake"
                incoming.write(data)
        tls.write(request)
        writer.write(outgoing.read())  # Finished + request together
        response = b""
        while True:
            data = await asyncio.wait_for(reader.read(65536), timeout=10)
            if not data:
                break
            incoming.write(data)
            while True:
                try:
                    chunk = tls.read(65536)
                except ssl.SSLWantReadError:
                    break
                except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                    return response
                if not chunk:  # close_notify
                    return response
                response += chunk
    finally:
        writer.close()
    return response


@pytest.mark.parametrize("http", ["h11", "httptools"])
async def test_request_sent_with_the_last_handshake_flight(
    sandbox_pki: pki.SandboxPki, trust: pki.Trust, http: str
) -> None:
    context = client_context(sandbox_pki, sandbox_pki.clients["demo-ficoba"])
    async with running([gateway_spec(sandbox_pki, trust, http=http)]) as group:
        response = await raw_tls_request(
            group.ports["gateway"], context, b"GET /echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), response[:200]
    assert b'"verdict":"ok"' in body


async def test_accepted_connections_have_tcp_nodelay(sandbox_pki: pki.SandboxPki, trust: pki.Trust) -> None:
    """Without TCP_NODELAY every TLS response waits ~40 ms (Nagle against delayed ACKs)."""
    async with running([gateway_spec(sandbox_pki, trust)]) as group:
        assert group.sockets["gateway"].proto == socket.IPPROTO_TCP
        async with httpx.AsyncClient(verify=client_context(sandbox_pki, sandbox_pki.clients["demo-ficoba"])) as client:
            assert (await client.get(group.url("gateway") + "/echo")).status_code == 200
            connections = list(group.servers["gateway"].server_state.connections)
            assert connections
            for protocol in connections:
                sock = protocol.transport.get_extra_info("socket")
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
