"""FranceConnect and a NUL (issue 12 §2): every input refuses control bytes with FranceConnect's format
error (Y030007 page, or ``invalid_request`` on the back channel), never a 500, on PostgreSQL as on
SQLite; and the connection stays usable (over a real socket)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest

from dgfip_sandbox.assembly import build_franceconnect_app
from dgfip_sandbox.server import ServerSpec
from tests.franceconnect.fc_flow import FlowDriver
from tests.hardening.probes import PAYLOADS
from tests.tls.conftest import running

pytestmark = pytest.mark.anyio

AUTHORIZE_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "acr_values",
    "prompt",
    "claims",
)
UID = "0" * 32


@pytest.fixture
async def fc(settings: Any, clock: Any) -> AsyncIterator[FlowDriver]:
    app = build_franceconnect_app(settings, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=settings.franceconnect_base_url
    ) as client:
        yield FlowDriver(client, settings, clock)
    await app.state.franceconnect.engine.dispose()


def _inputs(flow: FlowDriver) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, method, request kwargs builder) for every input, with the payload as ``{p}``."""
    good = flow.authorize_params()
    inputs: list[tuple[str, str, dict[str, Any]]] = []
    for name in AUTHORIZE_PARAMS:
        inputs.append(
            (
                f"authorize GET {name}",
                "GET",
                {"url": "/api/v2/authorize", "params": {**good, name: f"{good.get(name, '')}{{p}}"}},
            )
        )
        inputs.append(
            (
                f"authorize POST {name}",
                "POST",
                {"url": "/api/v2/authorize", "data": {**good, name: f"{good.get(name, '')}{{p}}"}},
            )
        )
    for step in ("", "/consent", "/abort"):
        inputs.append((f"interaction{step} uid", "GET", {"url": f"/api/v2/interaction/{UID}{{p}}{step}"}))
    inputs.append(
        ("interaction login uid", "POST", {"url": f"/api/v2/interaction/{UID}{{p}}/login", "data": {"login": "x"}})
    )
    for field in ("login", "password", "csrfToken"):
        inputs.append(
            (f"interaction login {field}", "POST", {"url": f"/api/v2/interaction/{UID}/login", "data": {field: "{p}"}})
        )
    for field in ("interactionId", "csrfToken"):
        inputs.append((f"consent {field}", "POST", {"url": "/api/v2/login", "data": {field: "{p}"}}))
    token_form = {
        "grant_type": "authorization_code",
        "code": "c",
        "redirect_uri": good["redirect_uri"],
        "client_id": good["client_id"],
        "client_secret": "s",
    }
    for field in token_form:
        inputs.append(
            (
                f"token {field}",
                "POST",
                {"url": "/api/v2/token", "data": {**token_form, field: f"{token_form[field]}{{p}}"}},
            )
        )
    inputs.append(
        (
            "token basic client_id",
            "POST",
            {"url": "/api/v2/token", "basic": "{p}", "data": {"grant_type": "authorization_code", "code": "c"}},
        )
    )
    checktoken = {"token": "t", "client_id": "c", "client_secret": "s"}
    for field in checktoken:
        inputs.append(
            (f"checktoken {field}", "POST", {"url": "/api/v2/checktoken", "data": {**checktoken, field: "t{p}"}})
        )
    inputs.append(("checktoken v1 token", "POST", {"url": "/api/v1/checktoken", "json": {"token": "t{p}"}}))
    for field in ("id_token_hint", "state", "post_logout_redirect_uri"):
        inputs.append(
            (
                f"session/end {field}",
                "GET",
                {
                    "url": "/api/v2/session/end",
                    "params": {
                        "id_token_hint": "a.b.c",
                        "state": "s",
                        "post_logout_redirect_uri": "http://x/",
                        field: "v{p}",
                    },
                },
            )
        )
    return inputs


def _fill(value: Any, payload: str) -> Any:
    if isinstance(value, str):
        return value.replace("{p}", payload)
    if isinstance(value, dict):
        return {k: _fill(v, payload) for k, v in value.items()}
    return value


async def test_every_franceconnect_input_refuses_control_bytes_with_its_format_error(fc: FlowDriver) -> None:
    probes = 0
    failures: list[str] = []
    for name, method, spec in _inputs(fc):
        for payload in PAYLOADS:
            kwargs = _fill(spec, payload)
            url = kwargs.pop("url")
            headers = {}
            if "basic" in kwargs:
                headers["Authorization"] = (
                    "Basic " + base64.b64encode(f"{quote(kwargs.pop('basic'))}:s".encode()).decode()
                )
            response = await fc.client.request(method, url.replace(payload, quote(payload)), headers=headers, **kwargs)
            probes += 1
            back_channel = url.endswith(("/token", "/checktoken"))
            if back_channel:
                held = response.status_code == 400 and response.json() == {
                    "error": "invalid_request",
                    "error_description": "invalid parameter",
                }
            else:
                held = (
                    response.status_code == 400
                    and "Y030007" in response.text
                    and "text/html" in response.headers["content-type"]
                )
            if not held:
                failures.append(f"{name} {payload!r}: {response.status_code} {response.text[:120]}")
    assert not failures, f"{len(failures)} of {probes} probes:\n" + "\n".join(failures[:20])
    assert probes == len(_inputs(fc)) * len(PAYLOADS)
    print("franceconnect probes:", probes)


async def test_a_valid_request_is_untouched_by_the_guard(fc: FlowDriver) -> None:
    tokens = await fc.tokens(login="1000000001084")  # the README's demo identity
    assert tokens["token_type"].lower() == "bearer"


async def test_the_connection_survives_a_refused_nul(settings: Any, clock: Any) -> None:
    """Over a real socket: a NUL request, then a good one on the same connection, both answered."""
    app = build_franceconnect_app(settings, clock=clock)
    async with running([ServerSpec(name="fc", app=app, host="127.0.0.1", access_log=False)]) as group:
        host, port = group.sockets["fc"].getsockname()[:2]
        reader, writer = await asyncio.open_connection(host, port)
        try:
            answers = []
            for target in ("/api/v2/authorize?" + urlencode({"state": "\x00", "client_id": "x"}), "/"):
                writer.write(f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(
                    next(
                        line.split(b":")[1]
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    )
                )
                answers.append((head, await reader.readexactly(length)))
        finally:
            writer.close()
    (first_head, first_body), (second_head, _) = answers
    assert first_head.startswith(b"HTTP/1.1 400") and b"Y030007" in first_body
    assert b"connection: close" not in first_head.lower()
    assert second_head.startswith(b"HTTP/1.1 200")
