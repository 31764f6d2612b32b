"""A client that disconnects mid-body (issue 12 §5) is a client abort: no 500, no ERROR traceback, no
5xx in the metrics, and an audit record that says so."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dgfip_sandbox.store.audit import AuditRecord
from tests.conftest import WithClientCertificate

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("consumer", "path"),
    [("ficoba-administration", "/fcb-masrestit/api/v2/comptes/spi"), ("mairie-demo", "/token")],
)
async def test_a_disconnect_mid_body_is_recorded_as_a_client_abort(sandbox, caplog, consumer: str, path: str) -> None:
    caplog.set_level(logging.INFO)
    token = await sandbox.token(consumer)
    pem = Path(sandbox.consumer(consumer)["cert"]).read_text()
    correlation = str(uuid.uuid4())
    headers = [
        (b"host", b"localhost:8443"),
        (b"authorization", f"Bearer {token}".encode()),
        (b"x-correlation-id", correlation.encode()),
        (b"x-request-id", b"r-1"),
        (b"content-type", b"application/json" if path != "/token" else b"application/x-www-form-urlencoded"),
        (b"content-length", b"4096"),
    ]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 51000),
        "server": ("localhost", 8443),
    }
    messages = [
        {"type": "http.request", "body": b'{"dateDemande": "2026-', "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    caplog.clear()
    await WithClientCertificate(sandbox.app, pem)(scope, receive, send)

    assert not any(m.get("status", 0) >= 500 for m in sent)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text
    async with sandbox.state.sessionmaker() as session:
        record = (
            await session.execute(select(AuditRecord).where(AuditRecord.correlation_id == correlation))
        ).scalar_one()
    assert record.status == 499 and record.outcome == "client_abort"
    body, _ = sandbox.state.metrics.render()
    lines = [
        line for line in body.decode().splitlines() if line.startswith("dgfip_gateway_calls_total") and path in line
    ]
    assert any('outcome="client_abort"' in line and 'status="499"' in line for line in lines), lines
    assert not any('status="5' in line for line in lines), lines
