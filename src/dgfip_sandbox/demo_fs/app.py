"""The demo service provider (FS), on ``settings.demo_fs_port`` (8446).

``/`` shows a "S'identifier avec FranceConnect" button; ``/login`` starts the authorization code
flow (Authlib's OAuth 2 client builds the request and exchanges the code); ``/callback`` checks the
state, verifies the id_token (FranceConnect's JWKS, iss, aud, nonce) with joserfc, reads
``/userinfo``, then calls the gateway's FC route of API Impôt particulier
``/impotparticulier/1.0/situations/ir/assiettes/annrev/{year}`` over mTLS with a demo consumer's
certificate and APIM token (from var/credentials.json) and the FranceConnect access token in
``X-FranceConnect-OAuth``; ``/logout`` ends the FranceConnect session.

The demo FS keeps its users' sessions in memory (one process, a demo); nothing here is a pattern for
production session storage.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from dgfip_sandbox.clock import Clock, SystemClock
from dgfip_sandbox.franceconnect import jose
from dgfip_sandbox.franceconnect.registry import DEMO_FS, service_provider_secret
from dgfip_sandbox.franceconnect.state import template_environment
from dgfip_sandbox.settings import Settings

COOKIE = "demo_fs_session"
SCOPE = "openid identite_pivot dgfip_rfr dgfip_nbpart dgfip_sitfam dgfip_pac dgfip_aft dgfip_annee_n_moins_1"
DEMO_CONSUMER = "mairie-demo"  # the demo consumer whose fc_client_id is the demo FS
TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class DemoSession:
    state: str | None = None
    nonce: str | None = None
    identity: dict[str, Any] | None = None
    id_token: str | None = None
    data: Any = None
    data_status: int | None = None
    error: str | None = None
    history: list[str] = field(default_factory=list)


@dataclass
class GatewayAccess:
    base_url: str
    ca_cert: str | None
    cert: str
    key: str
    client_id: str
    client_secret: str
    id_teleservice: str | None


def load_gateway_access(settings: Settings, consumer: str = DEMO_CONSUMER) -> GatewayAccess | None:
    """The demo consumer's gateway access from var/credentials.json (None when not bootstrapped)."""
    try:
        credentials = json.loads(settings.credentials_path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    for entry in credentials.get("consumers", []):
        if entry.get("name") == consumer:
            gateway = credentials.get("gateway", {})
            return GatewayAccess(
                base_url=gateway.get("base_url", settings.gateway_base_url),
                ca_cert=gateway.get("ca_cert"),
                cert=entry["cert"],
                key=entry["key"],
                client_id=entry["client_id"],
                client_secret=entry["client_secret"],
                id_teleservice=entry.get("id_teleservice"),
            )
    return None


def create_demo_fs_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    fc_transport: httpx.AsyncBaseTransport | None = None,
    gateway_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    clock = clock or SystemClock()
    templates = template_environment(TEMPLATES)
    sessions: dict[str, DemoSession] = {}
    origin = f"http://localhost:{settings.demo_fs_port}"
    redirect_uri = origin + "/callback"
    issuer = settings.franceconnect_base_url + "/api/v2"
    app = FastAPI(title="Service de démonstration FranceConnect", docs_url=None, redoc_url=None, openapi_url=None)

    def session_of(request: Request) -> tuple[str, DemoSession]:
        sid = request.cookies.get(COOKIE)
        if sid and sid in sessions:
            return sid, sessions[sid]
        sid = secrets.token_urlsafe(24)
        sessions[sid] = DemoSession()
        return sid, sessions[sid]

    def page(sid: str, session: DemoSession) -> HTMLResponse:
        html = templates.get_template("index.html").render(s=session, year=clock.now().year - 1)
        response = HTMLResponse(html, headers={"Cache-Control": "no-store"})
        response.set_cookie(COOKIE, sid, httponly=True, samesite="lax")
        return response

    def oauth_client() -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=DEMO_FS.client_id,
            client_secret=service_provider_secret(settings, DEMO_FS.client_id),
            token_endpoint_auth_method="client_secret_post",
            redirect_uri=redirect_uri,
            scope=SCOPE,
            transport=fc_transport,
        )

    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> Response:
        sid, session = session_of(request)
        return page(sid, session)

    @app.get("/login")
    async def login(request: Request) -> Response:
        sid, session = session_of(request)
        session.state, session.nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
        async with oauth_client() as client:
            url, _ = client.create_authorization_url(
                issuer + "/authorize", state=session.state, nonce=session.nonce, acr_values="eidas1"
            )
        response = RedirectResponse(url, status_code=303)
        response.set_cookie(COOKIE, sid, httponly=True, samesite="lax")
        return response

    @app.get("/callback")
    async def callback(request: Request) -> Response:
        sid, session = session_of(request)
        params = request.query_params
        expected_state, session.state = session.state, None
        if params.get("error"):
            session.error = f"FranceConnect a répondu {params['error']} : {params.get('error_description', '')}"
            return RedirectResponse("/", status_code=303)
        if not expected_state or params.get("state") != expected_state:
            session.error = "Le paramètre state ne correspond pas à la demande : connexion refusée."
            return RedirectResponse("/", status_code=303)
        try:
            async with oauth_client() as client:
                token = await client.fetch_token(issuer + "/token", code=params.get("code", ""), grant_type="authorization_code")
                # FranceConnect's access tokens live 60 s, within Authlib's expiry leeway: send them by hand.
                keys = KeySet.import_key_set((await client.request("GET", issuer + "/jwks", withhold_token=True)).json())
                _h, claims = jose.verify(token["id_token"], keys, algorithms=[DEMO_FS.signing_alg])
                if claims.get("iss") != issuer or claims.get("aud") != DEMO_FS.client_id or claims.get("nonce") != session.nonce:
                    raise ValueError("id_token: iss, aud ou nonce inattendu")
                info = await client.request(
                    "GET", issuer + "/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"}, withhold_token=True
                )
                _h, userinfo = jose.verify(info.text, keys, algorithms=[DEMO_FS.signing_alg])
        except (httpx.HTTPError, JoseError, ValueError, KeyError) as exc:
            session.error = f"Échec de l'échange avec FranceConnect : {type(exc).__name__} {exc}"
            return RedirectResponse("/", status_code=303)
        session.error = None
        session.identity, session.id_token = userinfo, token["id_token"]
        session.data_status, session.data = await fetch_impot_particulier(token["access_token"], clock.now().year - 1)
        return RedirectResponse("/", status_code=303)

    async def fetch_impot_particulier(fc_token: str, year: int) -> tuple[int | None, Any]:
        access = load_gateway_access(settings)
        if access is None:
            return None, "Passerelle non configurée : lancez « dgfip-sandbox up » (var/credentials.json)."
        verify: Any = access.ca_cert or True
        try:
            async with httpx.AsyncClient(
                base_url=access.base_url, cert=(access.cert, access.key), verify=verify, transport=gateway_transport, timeout=10
            ) as client:
                apim = await client.post(
                    "/token", data={"grant_type": "client_credentials"}, auth=(access.client_id, access.client_secret)
                )
                if apim.status_code != 200:
                    return apim.status_code, apim.text
                headers = {
                    "Authorization": f"Bearer {apim.json()['access_token']}",
                    "X-FranceConnect-OAuth": fc_token,
                    "X-Correlation-ID": str(uuid.uuid4()),
                    "Accept": "application/json",
                }
                if access.id_teleservice:
                    headers["ID_Teleservice"] = access.id_teleservice
                answer = await client.get(f"/impotparticulier/1.0/situations/ir/assiettes/annrev/{year}", headers=headers)
        except httpx.HTTPError as exc:
            return None, f"Passerelle injoignable : {type(exc).__name__}"
        try:
            return answer.status_code, answer.json()
        except ValueError:
            return answer.status_code, answer.text

    @app.get("/logout")
    async def logout(request: Request) -> Response:
        sid, session = session_of(request)
        if not session.id_token:
            return RedirectResponse("/", status_code=303)
        session.state = secrets.token_urlsafe(24)
        query = urlencode(
            {"id_token_hint": session.id_token, "state": session.state, "post_logout_redirect_uri": origin + "/logout-callback"}
        )
        return RedirectResponse(f"{issuer}/session/end?{query}", status_code=303)

    @app.get("/logout-callback")
    async def logout_callback(request: Request) -> Response:
        sid, session = session_of(request)
        if session.state and request.query_params.get("state") == session.state:
            sessions[sid] = DemoSession()
        return RedirectResponse("/", status_code=303)

    return app
