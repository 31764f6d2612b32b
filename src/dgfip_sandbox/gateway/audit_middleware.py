"""The outermost layer of the gateway: one audit record per answered request, committed before the
response leaves (with its request-journal row, gateway/journal.py, for identified consumers); ``X-Correlation-ID`` echoed on every response (errors included); oversized headers
refused in the envelope; any unexpected failure answered as a 500 envelope, never a stack trace; a
client that disconnects mid-request recorded as a client abort (499, no traceback, no 5xx).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import structlog
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dgfip_sandbox.api_docs import is_docs_path
from dgfip_sandbox.envelope import render, send_error
from dgfip_sandbox.errors import ApiError, HeadersTooLarge, InternalError
from dgfip_sandbox.gateway.correlation import UUID_PATTERN
from dgfip_sandbox.gateway.journal import JournalCapture
from dgfip_sandbox.gateway.metrics import route_template
from dgfip_sandbox.gateway.state import GatewayState
from dgfip_sandbox.gateway.trusted_proxies import peer_address
from dgfip_sandbox.store.audit import AuditEntry

log = structlog.get_logger("dgfip_sandbox.gateway")

# A client that disconnects before its request body is whole (nginx's 499 "client closed request").
CLIENT_ABORT_STATUS = 499
CLIENT_ABORT = "client_abort"
UNAUDITED_PATHS = frozenset({"/health", "/.well-known/jwks.json"})
# Reading one's journal is audited but not journaled (a tail would otherwise fill the journal with itself).
UNJOURNALED_PATHS = frozenset({"/sandbox/journal"})


class AuditMiddleware:
    def __init__(self, app: ASGIApp, state_getter: Callable[[], GatewayState]) -> None:
        self.app = app
        self.state_getter = state_getter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = self.state_getter()
        started = time.perf_counter()
        entry = AuditEntry(
            at=state.clock.now(), method=scope["method"], route=scope["path"], client_ip=peer_address(scope)
        )
        request_state: dict[str, Any] = scope.setdefault("state", {})
        request_state["audit"] = entry
        correlation = _header(scope, b"x-correlation-id")
        if correlation is not None:
            entry.correlation_id = correlation[:100]
        echo = correlation if correlation and UUID_PATTERN.fullmatch(correlation) else None
        # The API documentation (Swagger UI, ReDoc and their assets) is public and carries no data.
        audited = scope["path"] not in UNAUDITED_PATHS and not is_docs_path(scope["path"])
        capture = (
            JournalCapture(state.settings.journal_body_bytes, state.journal_policy)
            if audited and scope["path"] not in UNJOURNALED_PATHS
            else None
        )
        held_start: Message | None = None
        start_sent = False
        replaced = False

        async def receive_wrapper() -> Message:
            message = await receive()
            if capture is not None and message["type"] == "http.request":
                capture.add_request_body(message.get("body", b""))
            return message

        async def release(start: Message, first_body: Message) -> None:
            """Commit the audit record (and journal row), then let the response leave."""
            nonlocal replaced, start_sent
            if audited:
                if capture is not None and entry.consumer_id is not None:
                    entry.journal = capture.row(
                        scope,
                        entry,
                        list(start.get("headers", [])),
                        first_body.get("body", b""),
                        response_more=bool(first_body.get("more_body")),
                        duration_ms=int((time.perf_counter() - started) * 1000),
                    )
                try:
                    await state.audit.write(entry)
                except Exception:  # noqa: BLE001 - no data leaves without its audit record
                    log.exception("audit_write_failed", route=entry.route)
                    replaced = True
                    await self._send_error(
                        send, InternalError("la trace d'audit n'a pas pu être enregistrée"), state, echo
                    )
                    return
            start_sent = True
            await send(start)
            await send(first_body)

        async def send_wrapper(message: Message) -> None:
            nonlocal held_start
            if replaced:
                return
            if message["type"] == "http.response.start":
                entry.status = message["status"]
                if entry.status >= 400 and entry.outcome == "OK":
                    entry.outcome = str(entry.status)
                headers = list(message.get("headers", []))
                for name, value in request_state.get("response_headers", {}).items():
                    headers.append((name.lower().encode(), value.encode()))
                if echo:
                    headers.append((b"x-correlation-id", echo.encode()))
                # Held until the first body chunk: the journal keeps the (bounded) body, and the
                # audit record is committed before anything leaves.
                held_start = {**message, "headers": headers}
                return
            if message["type"] == "http.response.body" and held_start is not None:
                start, held_start = held_start, None
                await release(start, message)
                return
            await send(message)

        size = sum(len(k) + len(v) for k, v in scope.get("headers", []))
        if size > state.settings.max_header_bytes:
            entry.outcome = str(HeadersTooLarge.code)
            status, headers, body = render(
                HeadersTooLarge(f"{size} octets d'en-têtes pour {state.settings.max_header_bytes} au plus"),
                state.clock.now(),
            )
            await send_wrapper({"type": "http.response.start", "status": status, "headers": headers})
            await send_wrapper({"type": "http.response.body", "body": body})
            return
        try:
            with structlog.contextvars.bound_contextvars(correlation_id=echo):
                await self.app(scope, receive_wrapper, send_wrapper)
        except ClientDisconnect:
            # The client went away before its request was whole: nothing to answer, nobody to blame
            # but the client. Recorded as such (status 499, nginx's "client closed request").
            log.info("client_abort", route=entry.route)
            if not start_sent and not replaced:
                held_start = None
                entry.status, entry.outcome = CLIENT_ABORT_STATUS, CLIENT_ABORT
                entry.check("client_abort", False, "le client a fermé la connexion avant la fin de sa requête")
                if audited:
                    try:
                        await state.audit.write(entry)
                    except Exception:  # noqa: BLE001 - nobody is waiting for an answer
                        log.exception("audit_write_failed", route=entry.route)
        except Exception:  # noqa: BLE001
            log.exception("unhandled_error", route=entry.route)
            if not start_sent and not replaced:
                held_start = None
                entry.outcome = str(InternalError.code)
                status, headers, body = render(InternalError(), state.clock.now())
                await send_wrapper({"type": "http.response.start", "status": status, "headers": headers})
                await send_wrapper({"type": "http.response.body", "body": body})
        finally:
            if audited and state.metrics is not None:
                state.metrics.observe(entry, route_template(scope), time.perf_counter() - started)

    async def _send_error(self, send: Send, error: ApiError, state: GatewayState, echo: str | None) -> None:
        await send_error(
            send, error, state.clock.now(), extra_headers=[(b"x-correlation-id", echo.encode())] if echo else ()
        )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None
