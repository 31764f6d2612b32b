"""Control bytes refused at FranceConnect's door: a NUL (or another C0 control character) in the
path, a query parameter, the HTTP Basic credentials or a body field is answered with FranceConnect's format error
(``Y030007``, errors.format_error) before any handler runs, on every endpoint.

Why at the door: the store is SQL, and PostgreSQL refuses a NUL in text; a value that reached a query
made a 500 and reset the connection. FranceConnect validates every parameter (class-validator DTOs);
the sandbox refuses these characters in any of them (a departure listed in docs/franceconnect.md).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dgfip_sandbox.franceconnect.errors import OidcError, format_error, is_back_channel
from dgfip_sandbox.franceconnect.oidc import oidc_error_response
from dgfip_sandbox.franceconnect.pages import render_error
from dgfip_sandbox.franceconnect.state import FranceConnectState

# C0 controls but tab, line feed and carriage return; DEL.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_BYTES = re.compile(b"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control(text: str) -> bool:
    return CONTROL.search(text) is not None


def _query_has_control(query: str) -> bool:
    return any(has_control(k) or has_control(v) for k, v in parse_qsl(query, keep_blank_values=True))


def _json_has_control(value: Any) -> bool:
    if isinstance(value, str):
        return has_control(value)
    if isinstance(value, dict):
        return any(_json_has_control(k) or _json_has_control(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_json_has_control(v) for v in value)
    return False


def body_has_control(content_type: str, body: bytes) -> bool:
    """Form fields (decoded), JSON strings (decoded), any other body's raw bytes."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        return _query_has_control(body.decode("latin-1"))
    if content_type.startswith("application/json"):
        try:
            return _json_has_control(json.loads(body))
        except ValueError:
            return False  # the endpoint refuses it in its own words
    return CONTROL_BYTES.search(body) is not None


def basic_credentials_have_control(headers: list[tuple[bytes, bytes]]) -> bool:
    """client_secret_basic: the client id and secret, base64-decoded then form-decoded."""
    for name, value in headers:
        if name.lower() == b"authorization" and value[:6].lower() == b"basic ":
            try:
                decoded = base64.b64decode(value[6:].strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return False  # the endpoint refuses it in its own words
            return has_control(unquote(decoded))
    return False


class RefuseControlBytes:
    def __init__(self, app: ASGIApp, state: FranceConnectState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if (
            has_control(scope["path"])
            or _query_has_control(scope.get("query_string", b"").decode("latin-1"))
            or basic_credentials_have_control(scope.get("headers", []))
        ):
            await self._refuse(scope, receive, send)
            return
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        # FranceConnect's bodies are small forms: read the body, look, then hand it on unchanged.
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"").decode("latin-1").lower()
        if body_has_control(content_type, body):
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = format_error(back_channel=is_back_channel(scope["path"]))
        response = oidc_error_response(error) if isinstance(error, OidcError) else render_error(self.state, error)
        await response(scope, receive, send)


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive
