"""The FranceConnect-like app factory: an OIDC provider (FranceConnect v2, eidas1) with a demo identity
provider, a consent page and checktoken for data providers, all state in SQL.

Served on ``settings.fc_port`` (8444) by the CLI: plain HTTP on loopback by default, HTTPS with the
sandbox server certificate when ``settings.fc_https``. Links, cookies (Secure) and the issuer follow
``settings.franceconnect_base_url``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from dgfip_sandbox.clock import Clock, SystemClock
from dgfip_sandbox.franceconnect import authorize, checktoken, oidc
from dgfip_sandbox.franceconnect.control_bytes import RefuseControlBytes
from dgfip_sandbox.franceconnect.errors import PageError, RedirectError, is_back_channel
from dgfip_sandbox.franceconnect.keys import load_or_create_provider_keys
from dgfip_sandbox.franceconnect.pages import redirect_error, render, render_error
from dgfip_sandbox.franceconnect.state import STATIC_DIR, TEMPLATES_DIR, FranceConnectState, template_environment
from dgfip_sandbox.health import health_router
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.database import create_engine, create_sessionmaker
from dgfip_sandbox.store.franceconnect import open_checktoken_store

log = structlog.get_logger("franceconnect")


def create_franceconnect_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    engine = create_engine(settings.sqlalchemy_url)
    state = FranceConnectState(
        settings=settings,
        clock=clock or SystemClock(),
        engine=engine,
        sessionmaker=create_sessionmaker(engine),
        keys=load_or_create_provider_keys(settings),
        templates=template_environment(TEMPLATES_DIR),
        checktoken_store=open_checktoken_store(engine),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await state.checktoken_store.close()
        await engine.dispose()

    app = FastAPI(
        title="FranceConnect (bac à sable)",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.franceconnect = state
    app.include_router(health_router(include_in_schema=False))
    app.include_router(authorize.router)
    app.include_router(oidc.router)
    app.include_router(checktoken.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(RefuseControlBytes, state=state)

    @app.get("/", include_in_schema=False)
    async def home() -> Response:
        return render(state, "home.html", issuer=state.issuer)

    # The pages' errors, raised anywhere in authorize.py: shown to the user, or sent back to the FS.
    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError) -> Response:
        return render_error(state, exc)

    @app.exception_handler(RedirectError)
    async def redirect_to_service_provider(request: Request, exc: RedirectError) -> Response:
        return redirect_error(exc, state.issuer)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("franceconnect.unexpected_error", path=request.url.path, error=type(exc).__name__)
        if is_back_channel(request.url.path):
            return JSONResponse(
                {
                    "error": "server_error",
                    "error_description": "The authorization server encountered an unexpected condition that prevented it from fulfilling the request.",
                },
                status_code=500,
            )
        return render_error(
            state,
            PageError("Une erreur technique est survenue.", code="Y000000", error="server_error", status_code=500),
        )

    return app
