"""The gateway's checktoken calls to the FranceConnect this process serves, without a socket.

``InProcessChecktoken`` is both a ``ChecktokenEndpoint`` (what the gateway's ``ChecktokenClient``
asks when FranceConnect runs in its process: the form ``token, client_id, client_secret`` in, the
status, content type and body of ``POST /api/v2/checktoken`` out, the JWE it then decrypts and whose
JWS it verifies as over HTTP) and an httpx transport for every other call (the JWKS) and for clients
that post the form themselves. The form is answered by ``checktoken.answer_v2`` directly, after the
checks the app's stack makes before it (the refusal of control bytes, the form's content type and
fields): no HTTP client and no ASGI round through FranceConnect's Starlette stack, which together
cost more than checktoken itself. Anything else goes through the app (``httpx.ASGITransport``).
"""

from __future__ import annotations

from typing import cast
from urllib.parse import parse_qsl

import httpx
from fastapi import FastAPI
from fastapi.responses import Response

from dgfip_sandbox.franceconnect import checktoken
from dgfip_sandbox.franceconnect.control_bytes import has_control
from dgfip_sandbox.franceconnect.errors import OidcError, format_error
from dgfip_sandbox.franceconnect.oidc import oidc_error_response
from dgfip_sandbox.franceconnect.state import FranceConnectState

CHECKTOKEN_PATH = "/api/v2/checktoken"


class InProcessChecktoken(httpx.AsyncBaseTransport):
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._state: FranceConnectState = app.state.franceconnect
        self._asgi = httpx.ASGITransport(app=app, client=("127.0.0.1", 0))

    async def checktoken(self, form: dict[str, str]) -> tuple[int, str, bytes]:
        """``ChecktokenEndpoint``: what ``POST /api/v2/checktoken`` answers to this form (the gateway's)."""
        response = await self._answer(list(form.items()))
        return response.status_code, response.headers.get("content-type", ""), bytes(response.body)

    async def _answer(self, items: list[tuple[str, str]]) -> Response:
        if any(has_control(key) or has_control(value) for key, value in items):
            return oidc_error_response(cast(OidcError, format_error(back_channel=True)))
        try:
            fields = checktoken.checktoken_fields(items)
        except OidcError as error:
            return oidc_error_response(error)
        return await checktoken.answer_v2(self._state, fields)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        content_type = request.headers.get("content-type", "").lower()
        if request.method != "POST" or request.url.path != CHECKTOKEN_PATH or request.url.query:
            return await self._asgi.handle_async_request(request)
        body = await request.aread()
        if not content_type.startswith("application/x-www-form-urlencoded") or not body.isascii():
            # a multipart form, raw non-ASCII bytes: the app's own stack decides
            return await self._asgi.handle_async_request(_replayed(request, body))
        response = await self._answer(parse_qsl(body.decode("ascii"), keep_blank_values=True))
        return httpx.Response(
            response.status_code, headers=response.raw_headers, content=bytes(response.body), request=request
        )

    async def aclose(self) -> None:
        await self._asgi.aclose()


def _replayed(request: httpx.Request, body: bytes) -> httpx.Request:
    """The request again with its body already read (its stream can be read once)."""
    return httpx.Request(request.method, request.url, headers=request.headers, content=body)
