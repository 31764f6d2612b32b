"""The demo service provider (FS), on ``settings.demo_fs_port`` (8446).

``/`` shows a "S’identifier avec FranceConnect" button; ``/login`` starts the authorization code
flow (Authlib's OAuth 2 client builds the request and exchanges the code); ``/callback`` checks the
state, verifies the id_token (FranceConnect's JWKS, iss, aud, nonce) with joserfc, reads
``/userinfo``, then calls the gateway's FC route of API Impôt particulier
``/impotparticulier/1.0/situations/ir/assiettes/annrev/{year}`` (the latest income year the taxation
calendar has published) over mTLS with a demo consumer's certificate and APIM token (from
var/credentials.json) and the FranceConnect access token in ``X-FranceConnect-OAuth``, and shows the
answer as a table (``display.py``); ``/logout`` ends the FranceConnect session.

Where the demo FS finds the others: the gateway's URL and CA, the demo consumer's credentials and
FranceConnect's issuer come from var/credentials.json (what ``dgfip-sandbox up`` served), so that
``dgfip-sandbox demo-fs`` in a second terminal needs no port repeated; without that file, the
settings. Its own origin is the one the browser used (``localhost`` or ``127.0.0.1``, both
registered at FranceConnect), so that the session cookie comes back with the callback.

The demo FS keeps its users' sessions in memory (one process, a demo); nothing here is a pattern for
production session storage.
"""

from __future__ import annotations

import json
import secrets
import ssl
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

from dgfip_sandbox.apis.impot_particulier.calendar import latest_taxed_annrev
from dgfip_sandbox.clock import Clock, SystemClock
from dgfip_sandbox.demo_fs.credentials import DEMO_CONSUMER, franceconnect_issuer, load_gateway_access  # noqa: F401 - DEMO_CONSUMER re-exported
from dgfip_sandbox.demo_fs.display import french_date, situation_rows
from dgfip_sandbox.franceconnect import jose
from dgfip_sandbox.franceconnect.registry import DEMO_FS, service_provider_secret
from dgfip_sandbox.franceconnect.state import template_environment
from dgfip_sandbox.health import health_router
from dgfip_sandbox.settings import Settings

COOKIE = "demo_fs_session"
# Identity, then the DGFIP data the demo shows (DataPass scopes of API Impôt particulier; the gateway
# answers with what the user consented to, within the demo consumer's DataPass).
SCOPE = " ".join(
    (
        "openid identite_pivot",
        "dgfip_rfr dgfip_nbpart dgfip_sitfam dgfip_pac dgfip_pariso dgfip_aft",
        "dgfip_nmNaiDec1 dgfip_nmUsaDec1 dgfip_prnmDec1 dgfip_dateNaisDec1",
        "dgfip_nmNaiDec2 dgfip_nmUsaDec2 dgfip_prnmDec2 dgfip_dateNaisDec2",
        "dgfip_mntRevbareme dgfip_inddeficit dgfip_annee_n_moins_1",
    )
)
TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class DemoSession:
    state: str | None = None
    nonce: str | None = None
    redirect_uri: str | None = None
    identity: dict[str, Any] | None = None
    id_token: str | None = None
    data: Any = None
    data_status: int | None = None
    year: int | None = None
    error: str | None = None
    history: list[str] = field(default_factory=list)


def create_demo_fs_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    fc_transport: httpx.AsyncBaseTransport | None = None,
    gateway_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    clock = clock or SystemClock()
    templates = template_environment(TEMPLATES)
    templates.filters["date_fr"] = french_date
    sessions: dict[str, DemoSession] = {}
    origins = DEMO_FS.origins(settings)  # the origins whose /callback FranceConnect knows for the demo FS
    app = FastAPI(title="Service de démonstration FranceConnect", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(health_router(include_in_schema=False))

    def session_of(request: Request) -> tuple[str, DemoSession]:
        sid = request.cookies.get(COOKIE)
        if sid and sid in sessions:
            return sid, sessions[sid]
        sid = secrets.token_urlsafe(24)
        sessions[sid] = DemoSession()
        return sid, sessions[sid]

    def origin_of(request: Request) -> str:
        """The origin the browser used, when FranceConnect knows it; else the first registered one."""
        used = f"{request.url.scheme}://{request.url.netloc}"
        return used if used in origins else origins[0]

    def with_cookie(response: Response, sid: str) -> Response:
        response.set_cookie(COOKIE, sid, httponly=True, samesite="lax")
        return response

    def back_home(sid: str) -> Response:
        return with_cookie(RedirectResponse("/", status_code=303), sid)

    def page(sid: str, session: DemoSession) -> Response:
        year = session.year or latest_taxed_annrev(clock.now())
        rows = situation_rows(session.data) if session.data_status == 200 else []
        # The raw answer in the gateway's field order (Jinja's tojson would sort the keys).
        raw = session.data if isinstance(session.data, str) else json.dumps(session.data, indent=2, ensure_ascii=False)
        html = templates.get_template("index.html").render(s=session, year=year, rows=rows, raw=raw)
        return with_cookie(HTMLResponse(html, headers={"Cache-Control": "no-store"}), sid)

    def oauth_client(redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=DEMO_FS.client_id,
            client_secret=service_provider_secret(settings, DEMO_FS.client_id),
            token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name, not a secret
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
        session.redirect_uri = origin_of(request) + "/callback"
        async with oauth_client(session.redirect_uri) as client:
            url, _ = client.create_authorization_url(
                franceconnect_issuer(settings) + "/authorize",
                state=session.state,
                nonce=session.nonce,
                acr_values="eidas1",
            )
        return with_cookie(RedirectResponse(url, status_code=303), sid)

    @app.get("/callback")
    async def callback(request: Request) -> Response:
        sid, session = session_of(request)
        params = request.query_params
        expected_state, session.state = session.state, None
        if params.get("error"):
            session.error = f"FranceConnect a répondu {params['error']} : {params.get('error_description', '')}"
            return back_home(sid)
        if not expected_state or params.get("state") != expected_state:
            session.error = "Le paramètre state ne correspond pas à la demande : connexion refusée."
            return back_home(sid)
        issuer = franceconnect_issuer(settings)
        if params.get("iss") != issuer:  # RFC 9207: the answer comes from the FranceConnect we called
            session.error = "Le paramètre iss ne correspond pas à FranceConnect : connexion refusée."
            return back_home(sid)
        try:
            async with oauth_client(session.redirect_uri or origin_of(request) + "/callback") as client:
                token = await client.fetch_token(
                    issuer + "/token", code=params.get("code", ""), grant_type="authorization_code"
                )
                # FranceConnect's access tokens live 60 s, within Authlib's expiry leeway: send them by hand.
                keys = KeySet.import_key_set(
                    (await client.request("GET", issuer + "/jwks", withhold_token=True)).json()
                )
                _h, claims = jose.verify(token["id_token"], keys, algorithms=[DEMO_FS.signing_alg])
                if (
                    claims.get("iss") != issuer
                    or claims.get("aud") != DEMO_FS.client_id
                    or claims.get("nonce") != session.nonce
                ):
                    raise ValueError("id_token: iss, aud ou nonce inattendu")
                info = await client.request(
                    "GET",
                    issuer + "/userinfo",
                    headers={"Authorization": f"Bearer {token['access_token']}"},
                    withhold_token=True,
                )
                _h, userinfo = jose.verify(info.text, keys, algorithms=[DEMO_FS.signing_alg])
        except (httpx.HTTPError, JoseError, ValueError, KeyError) as exc:
            session.error = f"Échec de l'échange avec FranceConnect : {type(exc).__name__} {exc}"
            return back_home(sid)
        session.error = None
        session.identity, session.id_token = userinfo, token["id_token"]
        session.year = latest_taxed_annrev(clock.now())
        session.data_status, session.data = await fetch_impot_particulier(token["access_token"], session.year)
        return back_home(sid)

    async def fetch_impot_particulier(fc_token: str, year: int) -> tuple[int | None, Any]:
        access = load_gateway_access(settings)
        if access is None:
            return None, "Passerelle non configurée : lancez « dgfip-sandbox up » (var/credentials.json)."
        context: ssl.SSLContext | bool = True
        if gateway_transport is None:  # an injected transport (tests) carries no TLS
            try:
                context = access.ssl_context()
            except (OSError, ssl.SSLError) as exc:
                return None, f"Certificat client ou CA illisible ({access.cert}, {access.ca_cert}) : {exc}"
        try:
            async with httpx.AsyncClient(
                base_url=access.base_url, verify=context, transport=gateway_transport, timeout=10
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
                answer = await client.get(
                    f"/impotparticulier/1.0/situations/ir/assiettes/annrev/{year}", headers=headers
                )
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
            return back_home(sid)
        session.state = secrets.token_urlsafe(24)
        query = urlencode(
            {
                "id_token_hint": session.id_token,
                "state": session.state,
                "post_logout_redirect_uri": origin_of(request) + "/logout-callback",
            }
        )
        return with_cookie(
            RedirectResponse(f"{franceconnect_issuer(settings)}/session/end?{query}", status_code=303), sid
        )

    @app.get("/logout-callback")
    async def logout_callback(request: Request) -> Response:
        sid, session = session_of(request)
        if session.state and request.query_params.get("state") == session.state:
            sessions[sid] = DemoSession()
        return back_home(sid)

    return app
