"""The access log: one line per request, in place of uvicorn's, on every server the sandbox runs.

``http_request method=GET path=/impotparticulier/1.0/spi/*************/… status=200 code=OK
consumer=editeur-logiciel duration_ms=12 server=gateway``

What it never writes (issue 12 §4): the query string (``/portal?token=…``, FranceConnect's
``id_token_hint`` on every logout, any ``?access_token=``), header values, bodies, and the SPI of the
Impôt particulier routes (a tax number is personal data: the audit keeps it, the log need not). ``code``
and ``consumer`` come from the gateway's audit entry when the request has one (the DGFiP error code or
``OK``, the consumer's name); other servers log ``-``.
"""

from __future__ import annotations

import re
import time
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("dgfip_sandbox.access")

# /impotparticulier/1.0/spi/<SPI>/… : the segment after "spi" (any value, valid or not) is masked.
_SPI_SEGMENT = re.compile(r"(/spi/)[^/]+", re.IGNORECASE)
SPI_MASK = "*************"


def loggable_path(path: str) -> str:
    """The path as the access log writes it: SPI segments masked, never a query string."""
    return _SPI_SEGMENT.sub(lambda m: m.group(1) + SPI_MASK, path.split("?", 1)[0])


class AccessLogMiddleware:
    """Outermost ASGI layer of a server: times the request and logs one line once it is answered."""

    def __init__(self, app: ASGIApp, *, server: str) -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0
        # The gateway's audit middleware fills this same dict (scope["state"]["audit"]).
        request_state: dict[str, Any] = scope.setdefault("state", {})

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            entry = request_state.get("audit")
            log.info(
                "http_request",
                method=scope.get("method", "?"),
                path=loggable_path(scope.get("path", "")),
                status=status or 500,
                code=getattr(entry, "outcome", None) or "-",
                consumer=getattr(entry, "consumer_name", None) or "-",
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                server=self.server,
            )
