"""The one renderer of DGFIP's error envelope (errors.py), shared by the gateway and the admin app.

``install_envelope(app, …)`` registers the exception handlers of an app (its ``ApiError``, Starlette's
404/405 and other HTTP errors, FastAPI's validation errors, optionally any unexpected exception), each
app saying only what differs: which ApiError a routing or validation failure becomes, and what to
note about an answered error (the gateway's audit record). ``render`` and ``send_error`` give the
same bytes to ASGI middleware that answers before any route runs (loopback lock, header size,
unhandled error).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime

import structlog
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import Send

from dgfip_sandbox.errors import ApiError, InternalError

RawHeaders = list[tuple[bytes, bytes]]


def render(error: ApiError, now: datetime) -> tuple[int, RawHeaders, bytes]:
    """Status, raw headers (JSON content type, length, the error's own headers) and body."""
    body = json.dumps(error.envelope(now), ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode("latin-1", "replace")) for k, v in error.headers.items()]
    return error.status_code, headers, body


async def send_error(
    send: Send, error: ApiError, now: datetime, *, extra_headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """Answer ``error`` straight on an ASGI ``send``."""
    status, headers, body = render(error, now)
    await send({"type": "http.response.start", "status": status, "headers": headers + list(extra_headers)})
    await send({"type": "http.response.body", "body": body})


def validation_detail(exc: RequestValidationError) -> str:
    """FastAPI's validation errors as one French-readable line (the first five)."""
    parts = []
    for err in exc.errors()[:5]:
        location = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{location} : {err.get('msg', 'invalide')}")
    return "; ".join(parts)


def install_envelope(
    app: FastAPI,
    *,
    now: Callable[[Request], datetime],
    http_error: Callable[[Request, StarletteHTTPException], ApiError | Response],
    invalid_request: Callable[[str], ApiError],
    observe: Callable[[Request, ApiError], None] | None = None,
    unexpected_logger: str | None = None,
) -> None:
    """Every error the app answers, in the envelope.

    ``now``: the app's clock for the ``horodatage``; ``http_error``: the ApiError a routing failure
    (404, 405, …) becomes (or a plain answer: the gateway's OPTIONS); ``invalid_request``: the ApiError for a request FastAPI could not validate;
    ``observe``: called with each answered error; ``unexpected_logger``: also answer any unexpected
    exception as a 500 in the envelope, logging it there (an app whose middleware does not already)."""

    def respond(request: Request, error: ApiError) -> JSONResponse:
        if observe is not None:
            observe(request, error)
        return JSONResponse(error.envelope(now(request)), status_code=error.status_code, headers=error.headers)

    @app.exception_handler(ApiError)
    async def on_api_error(request: Request, exc: ApiError) -> JSONResponse:
        return respond(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        answer = http_error(request, exc)
        return answer if isinstance(answer, Response) else respond(request, answer)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return respond(request, invalid_request(validation_detail(exc)))

    if unexpected_logger is not None:
        log = structlog.get_logger(unexpected_logger)

        @app.exception_handler(Exception)
        async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
            log.exception("unhandled_error", path=request.url.path)
            return respond(request, InternalError())
