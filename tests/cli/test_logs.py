"""Logs: one access line per request (method, path, status, code, consumer, duration) in place of
uvicorn's, never a query string, a secret, a token or an SPI (issue 12 §4); JSON off a terminal, the
console renderer on one; no Alembic chatter."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog

from dgfip_sandbox import logs
from dgfip_sandbox.access_log import SPI_MASK, AccessLogMiddleware, loggable_path
from dgfip_sandbox.assembly import build_admin_app, build_franceconnect_app
from dgfip_sandbox.server import ServerSpec, _config
from tests.conftest import Sandbox, WithClientCertificate

pytestmark = pytest.mark.anyio
SPI = "1000000001084"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        return "\n".join(f"{r.name} {r.getMessage()} {r.msg!r} {r.args!r}" for r in self.records)

    def access_lines(self) -> list[dict[str, Any]]:
        return [r.msg for r in self.records if r.name == "dgfip_sandbox.access" and isinstance(r.msg, dict)]


@pytest.fixture
def collected() -> Iterator[_Collect]:
    """Every record at the sandbox's default level (INFO), its noisy loggers quieted as it does."""
    handler = _Collect()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logs.quiet_noisy_loggers(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def test_loggable_path_masks_spi_and_drops_the_query() -> None:
    assert loggable_path(f"/impotparticulier/1.0/spi/{SPI}/situations/ir") == (
        f"/impotparticulier/1.0/spi/{SPI_MASK}/situations/ir"
    )
    assert loggable_path("/portal?token=abc") == "/portal"


def test_uvicorn_access_log_is_off_and_the_sandbox_line_on() -> None:
    config = _config(ServerSpec(name="gateway", app=lambda *a: None))
    assert config.access_log is False
    assert isinstance(config.app, AccessLogMiddleware)
    assert not isinstance(_config(ServerSpec(name="x", app=lambda *a: None, access_log=False)).app, AccessLogMiddleware)


async def test_a_session_over_every_route_family_logs_no_secret_token_or_spi(
    sandbox: Sandbox, collected: _Collect
) -> None:
    settings = sandbox.settings
    consumer = sandbox.consumer("mairie-demo")
    pem = Path(consumer["cert"]).read_text()
    gateway = AccessLogMiddleware(WithClientCertificate(sandbox.app, pem), server="gateway")
    fc_app = build_franceconnect_app(settings, clock=sandbox.clock)
    admin_app = build_admin_app(settings, clock=sandbox.clock)
    admin_token = json.loads(settings.credentials_path.read_text())["admin"]["token"]
    secrets: list[str] = [consumer["client_secret"], admin_token, SPI]
    transport = httpx.ASGITransport(app=gateway, client=("127.0.0.1", 51000))
    async with httpx.AsyncClient(transport=transport, base_url="https://localhost:8443") as client:
        token = await client.post(
            "/token",
            data={"grant_type": "client_credentials", "client%5Fsecret": consumer["client_secret"]},
            auth=(consumer["client_id"], consumer["client_secret"]),
        )
        assert token.status_code == 200, token.text
        access = token.json()["access_token"]
        secrets.append(access)
        headers = {
            "Authorization": f"Bearer {access}",
            "X-Correlation-ID": str(uuid.uuid4()),
            "ID_Teleservice": consumer["id_teleservice"],
        }
        answers = [
            await client.get(f"/impotparticulier/1.0/spi/{SPI}/situations/ir/assiettes/annrev/2024", headers=headers),
            await client.get(f"/impotparticulier/1.0/spi/{SPI}/situations/ir?access_token={access}", headers=headers),
            await client.get("/fcb-masrestit/api/v2/etatSante", headers=headers),
            await client.get("/sandbox/audit", headers=headers),
            await client.get("/health"),
            await client.get("/docs"),
        ]
        assert answers[0].status_code == 200, answers[0].text
    hint = "eyJhbGciOiJSUzI1NiJ9.hint-secret.sig"
    secrets.append(hint)
    async with fc_app.router.lifespan_context(fc_app):
        fc = httpx.ASGITransport(app=AccessLogMiddleware(fc_app, server="franceconnect"))
        async with httpx.AsyncClient(transport=fc, base_url=settings.franceconnect_base_url) as client:
            await client.get("/")
            await client.get(f"/api/v2/session/end?id_token_hint={hint}&state=s&post_logout_redirect_uri=http://x")
            await client.get(f"/api/v2/userinfo?access_token={access}")
    async with admin_app.router.lifespan_context(admin_app):
        admin = httpx.ASGITransport(app=AccessLogMiddleware(admin_app, server="admin"), client=("127.0.0.1", 52000))
        async with httpx.AsyncClient(transport=admin, base_url=settings.admin_base_url) as client:
            await client.get(f"/portal?token={admin_token}")
            await client.get("/api/consumers", headers={"Authorization": f"Bearer {admin_token}"})

    text = collected.text()
    for secret in secrets:
        assert secret not in text, secret[:12]
    lines = collected.access_lines()
    servers = {line["server"] for line in lines}
    assert servers == {"gateway", "franceconnect", "admin"}
    assert all(set(line) >= {"method", "path", "status", "code", "consumer", "duration_ms"} for line in lines)
    assert all("?" not in line["path"] for line in lines)
    spi_line = next(line for line in lines if "/spi/" in line["path"] and line["status"] == 200)
    assert spi_line["consumer"] == "mairie-demo" and spi_line["code"] == "OK" and SPI_MASK in spi_line["path"]


def test_json_off_a_terminal_console_on_one(monkeypatch: pytest.MonkeyPatch) -> None:
    assert logs.resolved_format("json") == "json" and logs.resolved_format("console") == "console"

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdout", io.StringIO())
    monkeypatch.setattr("sys.stderr", Tty())
    assert logs.resolved_format("auto") == "json"  # stdout is not a terminal
    monkeypatch.setattr("sys.stdout", Tty())
    assert logs.resolved_format("auto") == "console"


@pytest.mark.parametrize("rendering", ["json", "console"])
def test_the_access_line_as_rendered(rendering: str, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    monkeypatch.setattr(logs, "_configured", None)
    try:
        logs.configure_logging("INFO", rendering)
        structlog.get_logger("dgfip_sandbox.access").info(
            "http_request", method="GET", path="/health", status=200, code="OK", consumer="-", duration_ms=1.5
        )
        logging.getLogger("alembic.runtime.migration").info("Running upgrade  -> 0001_core")
    finally:
        monkeypatch.setattr(logs, "_configured", None)
        logs.configure_logging("INFO", "json")
    out = stream.getvalue()
    assert "Running upgrade" not in out
    (line,) = out.strip().splitlines()
    if rendering == "json":
        event = json.loads(line)
        assert event["event"] == "http_request" and event["status"] == 200 and event["path"] == "/health"
    else:
        assert "http_request" in line and "status=200" in line and "path=/health" in line


def test_server_and_tls_events_carry_their_fields_as_json_fields() -> None:
    # In a process of its own: structlog caches a module's logger at its first use, whatever configuration
    # the other tests of this process left.
    code = """
import logging
from dgfip_sandbox import logs, server
logs.configure_logging("INFO", "json")
server.logger.info("server_started", name="gateway", url="https://127.0.0.1:8443")
server.tls_logger.warning(
    'tls_handshake_failed peer=%s reason="%s"', "127.0.0.1:5000", "certificat absent",
    extra={"peer": "127.0.0.1:5000", "reason": "certificat absent", "color_message": "x"},
)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    started, tls = (json.loads(line) for line in done.stderr.strip().splitlines())
    assert started["event"] == "server_started"
    assert (started["name"], started["url"]) == ("gateway", "https://127.0.0.1:8443")
    assert tls["event"].startswith("tls_handshake_failed peer=127.0.0.1:5000")
    assert (tls["peer"], tls["reason"]) == ("127.0.0.1:5000", "certificat absent")
    assert "color_message" not in tls
