"""The gateway answers every refusal in DGFIP's APIM envelope (envelope.py) and notes it on the audit record."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request

from dgfip_sandbox.envelope import install_envelope
from dgfip_sandbox.errors import ApiError, BadRequest, MethodNotAllowed, ResourceNotFound
from dgfip_sandbox.gateway.http_methods import allow_methods


def _now(request: Request) -> datetime:
    return request.app.state.sandbox.clock.now()  # type: ignore[no-any-return]  # Starlette's app.state is untyped


def _http_error(request: Request, exc: StarletteHTTPException) -> ApiError | Response:
    if exc.status_code == 404:
        return ResourceNotFound(f"{request.method} {request.url.path}")
    if exc.status_code == 405:
        allow = allow_methods((exc.headers or {}).get("Allow", ""))
        if request.method == "OPTIONS":  # a known path: RFC 9110 §9.3.7
            return Response(status_code=204, headers={"Allow": allow})
        return MethodNotAllowed(f"{request.method} {request.url.path}", headers={"Allow": allow})
    return BadRequest(str(exc.detail))


def _note_on_audit(request: Request, error: ApiError) -> None:
    audit = request.scope.get("state", {}).get("audit")
    if audit is not None:
        audit.outcome = str(error.code)
        audit.extra.setdefault("error", error.full_message)


def install_error_handlers(app: FastAPI) -> None:
    install_envelope(app, now=_now, http_error=_http_error, invalid_request=BadRequest, observe=_note_on_audit)
