"""One handler renders every refusal of the gateway in DGFIP's envelope."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request

from dgfip_sandbox.errors import ApiError, BadRequest, MethodNotAllowed, ResourceNotFound
from dgfip_sandbox.gateway.http_methods import allow_methods


def _respond(request: Request, error: ApiError) -> JSONResponse:
    state = request.app.state.sandbox
    audit = request.scope.get("state", {}).get("audit")
    if audit is not None:
        audit.outcome = str(error.code)
        audit.extra.setdefault("error", error.full_message)
    return JSONResponse(error.envelope(state.clock.now()), status_code=error.status_code, headers=error.headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _respond(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return _respond(request, ResourceNotFound(f"{request.method} {request.url.path}"))
        if exc.status_code == 405:
            allow = allow_methods((exc.headers or {}).get("Allow", ""))
            if request.method == "OPTIONS":  # a known path: RFC 9110 §9.3.7
                return Response(status_code=204, headers={"Allow": allow})
            error = MethodNotAllowed(f"{request.method} {request.url.path}", headers={"Allow": allow})
            return _respond(request, error)
        error = BadRequest(str(exc.detail))
        return _respond(request, error)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:5]:
            location = ".".join(str(p) for p in err.get("loc", ()))
            parts.append(f"{location} : {err.get('msg', 'invalide')}")
        return _respond(request, BadRequest("; ".join(parts)))
