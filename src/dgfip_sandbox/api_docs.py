"""Swagger UI (``/docs``) and ReDoc (``/redoc``) served from local files: no CDN, no network.

FastAPI's own pages load their JavaScript and CSS from a CDN, so they are blank offline. The assets come
from the ``fastapi-offline`` package (Swagger UI, Apache 2.0; ReDoc, MIT; shipped inside that wheel),
served under ``/docs/static``; only its static folder is used, not its app class.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
STATIC_URL = "/docs/static"
# Paths of the documentation pages, for layers that treat them apart (the gateway does not audit them).
DOCS_PATHS = frozenset({DOCS_URL, REDOC_URL, f"{DOCS_URL}/oauth2-redirect"})


def assets_dir() -> str:
    return str(files("fastapi_offline") / "static")


def is_docs_path(path: str) -> bool:
    return path in DOCS_PATHS or path.startswith(STATIC_URL + "/")


def install_api_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and ``/redoc`` for ``app``'s OpenAPI document; create the app with
    ``docs_url=None, redoc_url=None``."""
    openapi_url = app.openapi_url or "/openapi.json"
    title = app.title

    app.mount(STATIC_URL, StaticFiles(directory=assets_dir()), name="docs-static")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{title} — Swagger UI",
            swagger_js_url=f"{root}{STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{STATIC_URL}/favicon.png",
            oauth2_redirect_url=f"{root}{DOCS_URL}/oauth2-redirect",
        )

    @app.get(f"{DOCS_URL}/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{title} — ReDoc",
            redoc_js_url=f"{root}{STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{STATIC_URL}/favicon.png",
            with_google_fonts=False,
        )
