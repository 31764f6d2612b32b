"""One handler renders every refusal of the gateway in DGFIP's envelope."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request

from dgfip_sandbox.errors import ApiError, BadRequest, MethodNotAllowed, ResourceNotFound


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
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return _respond(request, ResourceNotFound(f"{request.method} {request.url.path}"))
        if exc.status_code == 405:
            return _respond(request, MethodNotAllowed(f"{request.method} {request.url.path}"))
        error = BadRequest(str(exc.detail))
        return _respond(request, error)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:5]:
            location = ".".join(str(p) for p in err.get("loc", ()))
            parts.append(f"{location} : {err.get('msg', 'invalide')}")
        return _respond(request, BadRequest("; ".join(parts)))
