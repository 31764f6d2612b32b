"""The developer portal: one page served by the admin app, a workbench for the chosen consumer.

It shows the APIs and their routes (from the gateway app's OpenAPI document), each with a form, its curl and
its answer when run (``POST /api/portal/try``, run server-side by admin/workbench.py), the personas
(``seed.all_personas()``), and for the chosen consumer its credentials, scopes, quota used now and
its journal, refreshed by polling the admin API (``portal.js``; GET requests authenticated by the
``HttpOnly; SameSite=Strict`` cookie that the login form, ``POST /portal/login``, sets). The token
never travels in a URL: a ``?token=`` is refused, not read (URLs end up in access logs and history).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request

from dgfip_sandbox.admin import workbench
from dgfip_sandbox.admin.access import COOKIE, require_admin, require_portal_session
from dgfip_sandbox.admin.credential import token_matches
from dgfip_sandbox.admin.errors import InvalidAdminRequest, RouteNotFound
from dgfip_sandbox.admin.state import admin_state
from dgfip_sandbox.settings import Settings

HERE = Path(__file__).parent
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def build_router(settings: Settings, gateway_openapi: dict[str, Any] | None) -> APIRouter:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
    router = APIRouter(include_in_schema=False)
    cache: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        document: dict[str, Any] = cache.setdefault("openapi", gateway_openapi or {"paths": {}})
        return document

    def credentials_file() -> dict[str, Any]:
        try:
            data = json.loads(settings.credentials_path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @router.get("/", response_class=RedirectResponse)
    async def root() -> RedirectResponse:
        return RedirectResponse("/portal", status_code=303)

    def login_page(error: str | None, status_code: int) -> HTMLResponse:
        html = env.get_template("login.html").render(error=error)
        return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)

    @router.post("/portal/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        """The login form: the token in a POST body, answered by the cookie and a redirect."""
        state = admin_state(request)
        # A login form posted from another site is refused (Sec-Fetch-Site; the Origin when the browser
        # gives one: the portal's no-referrer policy makes it "null").
        origin = request.headers.get("origin")
        site = request.headers.get("sec-fetch-site")
        if (site is not None and site not in ("same-origin", "none")) or (
            origin not in (None, "null", f"{request.url.scheme}://{request.url.netloc}")
        ):
            return login_page("Connexion refusée : le formulaire ne vient pas du portail.", 403)
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return login_page("Connexion refusée : envoyez le formulaire de connexion.", 400)
        token = (await request.form()).get("token")
        if not isinstance(token, str) or len(token) > 200 or not token_matches(token, state.token):
            return login_page("Jeton d'administration incorrect.", 401)
        response = RedirectResponse("/portal", status_code=303, headers=PAGE_HEADERS)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
        return response

    @router.get("/portal", response_class=HTMLResponse)
    async def portal(request: Request) -> Response:
        state = admin_state(request)
        if "token" in request.query_params:
            return login_page(
                "Le jeton d'administration ne se passe pas dans l'adresse : saisissez-le dans le formulaire "
                "ci-dessous (l'adresse a pu être enregistrée dans l'historique ou un journal).",
                400,
            )
        cookie = request.cookies.get(COOKIE, "")
        if not cookie or not token_matches(cookie, state.token):
            return login_page(None, 401)
        from dgfip_sandbox.seed import all_personas

        service = state.service()
        html = env.get_template("portal.html").render(
            apis=workbench.route_forms(openapi()),
            personas=all_personas(),
            consumers=await service.list_consumers(),
            gateway_url=settings.gateway_base_url,
            franceconnect_url=settings.franceconnect_base_url,
        )
        return HTMLResponse(html, headers=PAGE_HEADERS)

    @router.get("/portal/static/{name}")
    async def static(name: str) -> Response:
        files = {"portal.js": "text/javascript", "portal.css": "text/css"}
        if name not in files:
            raise RouteNotFound(f"/portal/static/{name[:60]}")
        return Response(
            (HERE / "static" / name).read_bytes(), media_type=files[name], headers={"Cache-Control": "no-cache"}
        )

    @router.get("/api/portal/credentials/{name}")
    async def portal_credentials(name: str, _admin: Any = Depends(require_admin)) -> dict[str, Any]:
        """What var/credentials.json says of a demo consumer (paths, secret), for the portal."""
        data = credentials_file()
        where = {"credentials_file": str(settings.credentials_path.resolve())}
        for consumer in data.get("consumers", []):
            if consumer.get("name") == name:
                return {
                    "name": name,
                    "client_secret": consumer.get("client_secret"),
                    "cert": consumer.get("cert"),
                    "key": consumer.get("key"),
                    "ca_cert": data.get("gateway", {}).get("ca_cert"),
                    "token_url": data.get("gateway", {}).get("token_url"),
                    **where,
                }
        return {
            "name": name,
            "client_secret": None,
            "cert": None,
            "key": None,
            "ca_cert": data.get("gateway", {}).get("ca_cert"),
            **where,
        }

    @router.post("/api/portal/try")
    async def portal_try(body: workbench.TryRequest, _admin: Any = Depends(require_portal_session)) -> dict[str, Any]:
        """Runs one gateway route for a demo consumer, from the admin app, over mutual TLS (admin/workbench.py)."""
        files = workbench.consumer_files(credentials_file(), body.consumer)
        if files is None:
            raise InvalidAdminRequest(
                f"le partenaire « {body.consumer[:64]} » n'a pas de secret ni de certificat dans var/credentials.json"
            )
        return await workbench.run(settings.gateway_base_url, openapi(), files, body)

    return router
