"""The browser side: /authorize, the identity-provider choice, the identity provider's login page,
the consent page, /login.

Steps (FranceConnect v2 naming)::

    GET|POST /api/v2/authorize                       validate, open a session, 303 → interaction
    GET      /api/v2/interaction/{uid}               "Choisissez un compte pour vous connecter" (tiles)
    POST     /api/v2/interaction/{uid}/redirect-to-idp  the chosen tile, 303 → the provider's login page
    GET      /api/v2/interaction/{uid}/fi            demo identity provider: pick an identity (login + "123")
    POST     /api/v2/interaction/{uid}/login         authenticate, 303 → consent
    GET      /api/v2/interaction/{uid}/consent       "Vous allez vous connecter en tant que :", CSRF token
    POST     /api/v2/login                           consent given: authorization code, 303 → redirect_uri
    GET      /api/v2/interaction/{uid}/abort         "Revenir sur …": access_denied to redirect_uri

As FranceConnect: /authorize validates its parameters like FranceConnect's AuthorizeParamsDto
(``forbidNonWhitelisted``: an unknown parameter such as ``code_challenge`` is a Y030007 page), ignores
unknown scopes, picks the lowest known acr (``invalid_acr`` when it is not eidas1), answers with
``iss`` (RFC 9207), and keeps an SSO session: a second /authorize in the same browser, within the
session's 30 minutes, skips the identity provider and goes to the consent page.

The session row (SQL) is bound to the browser by a cookie holding a random value whose SHA-256 is
stored; every interaction step checks it, so a leaked interaction URL is useless in another browser.

A step refuses by raising ``PageError`` (an error page) or ``RedirectError`` (an OAuth error sent back
to the FS's redirect_uri); the app's exception handlers (app.py) answer both, once for every route.
"""

from __future__ import annotations

import hmac
import json
import secrets
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.franceconnect.errors import SP_COMMUNICATION_ERROR, PageError, RedirectError
from dgfip_sandbox.franceconnect.identity import IDP_ID
from dgfip_sandbox.franceconnect.pages import redirect, redirect_error, render, with_query
from dgfip_sandbox.franceconnect.scopes import (
    DGFIP_SCOPES,
    IDENTITY_SCOPES,
    claims_for_scopes,
    consent_groups,
    known_scopes,
    split_scope,
)
from dgfip_sandbox.franceconnect.state import (
    ACR,
    AUTHORIZATION_CODE_TTL_SECONDS,
    BROWSER_COOKIE,
    PREFIX,
    SESSION_TTL_SECONDS,
    FranceConnectState,
    get_state,
)
from dgfip_sandbox.store.consumers import verify_secret
from dgfip_sandbox.store.franceconnect import (
    FcAuthorizationCode,
    FcCitizen,
    FcServiceProvider,
    FcSession,
    aware,
    end_session,
    get_citizen_by_login,
    get_service_provider,
    latest_sso_session,
    list_citizens,
    record_event,
    require_citizen,
    require_service_provider,
    token_digest,
)

router = APIRouter(prefix=PREFIX)
StateDep = Annotated[FranceConnectState, Depends(get_state)]

# FranceConnect's AuthorizeParamsDto: the only parameters /authorize accepts (forbidNonWhitelisted).
AUTHORIZE_PARAMETERS = frozenset(
    {
        "client_id",
        "acr_values",
        "claims",
        "response_type",
        "nonce",
        "state",
        "redirect_uri",
        "scope",
        "prompt",
        "idp_hint",
        "ui_locales",
    }
)
REQUIRED_PARAMETERS = ("client_id", "acr_values", "response_type", "nonce", "state", "redirect_uri", "scope")
NONCE_MIN_LENGTH = 22
PROMPTS = ("login", "consent")  # FranceConnect's allowedPrompt
KNOWN_ACRS = ("eidas1", "eidas2", "eidas3")  # weakest first (FranceConnect's knownAcrValues)
ABORTED = "user authentication aborted"
IDP_TITLE = "Démonstration (bac à sable)"


async def _raw_params(request: Request) -> list[tuple[str, str]]:
    pairs = list(request.query_params.multi_items())
    if request.method == "POST":
        form = await request.form()
        pairs += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    return pairs


def validate_dto(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """FranceConnect's AuthorizeParamsDto: any failure is the Y030007 page (400), never a redirect."""
    names = [name for name, _ in pairs]
    if set(names) - AUTHORIZE_PARAMETERS or len(names) != len(set(names)):
        raise PageError()
    params = dict(pairs)
    if any(name not in params for name in REQUIRED_PARAMETERS) or not params["client_id"]:
        raise PageError()
    if len(params["nonce"]) < NONCE_MIN_LENGTH:
        raise PageError()
    target = urlsplit(params["redirect_uri"])
    if target.scheme not in ("http", "https") or not target.netloc:
        raise PageError()
    if "prompt" in params:
        values = params["prompt"].split()
        if not values or any(value not in PROMPTS for value in values):
            raise PageError()
    return params


def pick_acr(requested: str) -> str:
    """FranceConnect's pickAcr: the weakest known value requested, eidas1 when none is known."""
    values = requested.split()
    known = [acr for acr in KNOWN_ACRS if acr in values]
    return known[0] if known else ACR


def _validate_protocol(params: dict[str, str], client: FcServiceProvider) -> tuple[list[str], dict[str, Any]]:
    """Errors that go back to the (now trusted) redirect_uri, with oidc-provider's texts."""
    redirect_uri, state = params["redirect_uri"], params.get("state")

    def fail(error: str, description: str, *, fragment: bool = False) -> RedirectError:
        return RedirectError(redirect_uri, state, error, description, fragment=fragment)

    response_type = params["response_type"]
    if not response_type:
        raise fail("invalid_request", "missing required parameter 'response_type'")
    if response_type != "code":
        fragment = any(part in ("token", "id_token") for part in response_type.split())
        raise fail("unsupported_response_type", "unsupported response_type requested", fragment=fragment)
    claims: dict[str, Any] = {}
    if params.get("claims"):
        try:
            claims = json.loads(params["claims"])
        except ValueError:
            raise fail("invalid_request", "could not parse the claims parameter JSON") from None
        if not isinstance(claims, dict):
            raise fail("invalid_request", "claims parameter should be a JSON object")
        for member in ("id_token", "userinfo"):
            if member in claims and not isinstance(claims[member], dict):
                raise fail("invalid_request", f"claims.{member} should be an object")
    scopes = known_scopes(split_scope(params["scope"]))
    if "openid" not in scopes:
        raise fail("invalid_request", "openid scope must be requested when using the acr_values parameter")
    if any(scope not in set(client.scopes) for scope in scopes):
        raise fail("invalid_scope", "requested scope is not allowed")
    acr = pick_acr(params["acr_values"])
    if acr != ACR:
        raise fail(
            "invalid_acr",
            f"acr_value is not valid, should be equal one of these values, expected {ACR}, got {acr}",
        )
    return scopes, claims


def _wants_amr(claims: dict[str, Any]) -> bool:
    return any(isinstance(member, dict) and "amr" in member for member in claims.values())


def _sp_prompt(params: dict[str, str], client: FcServiceProvider) -> str | None:
    """The prompt FranceConnect honours: only an FS allowed to send it; else it forces "login consent"."""
    values = list(dict.fromkeys((params.get("prompt") or "").split()))  # each value once
    allowed = client.allowed_prompts or []
    if values and allowed and all(value in allowed for value in values):
        return " ".join(values)
    return None


@router.api_route("/authorize", methods=["GET", "POST"])
async def authorize(request: Request, state: StateDep) -> Response:
    # PageError and RedirectError are answered by the app's handlers (app.py): a page, or back to the FS.
    params = validate_dto(await _raw_params(request))
    async with state.sessionmaker() as db:
        client = await get_service_provider(db, params["client_id"])
    if client is None or not client.active:
        raise PageError(SP_COMMUNICATION_ERROR, code="Y04EA6EF", error="invalid_client")
    if params["redirect_uri"] not in client.redirect_uris:
        raise PageError(SP_COMMUNICATION_ERROR, code="Y04C013C", error="invalid_redirect_uri")
    scopes, claims = _validate_protocol(params, client)
    if _wants_amr(claims) and "amr" not in client.scopes:
        raise PageError(
            "Une erreur technique est survenue, fermez l’onglet de votre navigateur et reconnectez-vous",
            code="Y100009",
            error="server_error",
        )

    now = state.clock.now()
    cookie = request.cookies.get(BROWSER_COOKIE)
    browser_id = cookie or secrets.token_urlsafe(32)
    uid = secrets.token_hex(16)
    async with state.sessionmaker() as db, db.begin():
        sso = None
        if cookie:
            sso = await latest_sso_session(db, token_digest(cookie), since=now - timedelta(seconds=SESSION_TTL_SECONDS))
        db.add(
            FcSession(
                id=uid,
                browser_id_hash=token_digest(browser_id),
                client_id=client.client_id,
                redirect_uri=params["redirect_uri"],
                scope=" ".join(scopes),
                state=params["state"],
                nonce=params["nonce"],
                acr=ACR,
                claims=claims,
                prompt=_sp_prompt(params, client),
                csrf_token=secrets.token_hex(32),
                citizen_id=sso.citizen_id if sso else None,
                status="authenticated" if sso else "pending",
                created_at=now,
                authenticated_at=sso.authenticated_at if sso else None,
                expires_at=now + timedelta(seconds=SESSION_TTL_SECONDS),
            )
        )
        await record_event(
            db,
            "FC_AUTHORIZE_INITIATED",
            now,
            session_id=uid,
            sp_client_id=client.client_id,
            data={"scope": " ".join(scopes), "acr_values": params["acr_values"]},
        )
        if sso is not None:
            await record_event(db, "FC_SSO_INITIATED", now, session_id=uid, sp_client_id=client.client_id)
    target = f"{PREFIX}/interaction/{uid}/verify" if sso else f"{PREFIX}/interaction/{uid}"
    response = redirect(target)
    response.set_cookie(
        BROWSER_COOKIE,
        browser_id,
        max_age=SESSION_TTL_SECONDS,
        httponly=True,
        samesite="lax",
        secure=state.secure_cookies,
        path=PREFIX,
    )
    return response


async def _load_session(
    db: AsyncSession, request: Request, state: FranceConnectState, uid: str, *, statuses: tuple[str, ...]
) -> tuple[FcSession, FcServiceProvider]:
    session = await db.get(FcSession, uid)
    cookie = request.cookies.get(BROWSER_COOKIE, "")
    if session is None or not hmac.compare_digest(session.browser_id_hash, token_digest(cookie)):
        raise PageError(
            "Votre session FranceConnect est introuvable ou a expiré. Veuillez recommencer la connexion "
            "depuis le site du fournisseur de service.",
            code="Y190001",
            error="session_not_found",
        )
    if aware(session.expires_at) <= state.clock.now() or session.status == "ended":
        raise PageError(
            "Votre session FranceConnect a expiré. Veuillez recommencer la connexion depuis le site du "
            "fournisseur de service.",
            code="Y190002",
            error="session_expired",
        )
    if session.status not in statuses:
        raise PageError(
            "Cette étape de la connexion n'est pas disponible : veuillez recommencer la connexion depuis "
            "le site du fournisseur de service.",
            code="Y190003",
            error="invalid_step",
        )
    return session, await require_service_provider(db, session.client_id)


def _check_csrf(session: FcSession, submitted: str) -> None:
    if not hmac.compare_digest(session.csrf_token, submitted):
        raise PageError("Le jeton de sécurité du formulaire est invalide.", code="Y190004", error="invalid_csrf")


def _identity_rows(citizens: list[FcCitizen]) -> list[dict[str, str]]:
    return [
        {
            "login": c.login,
            "name": f"{c.given_name} {c.family_name}",
            "birthdate": c.birthdate,
            "description": c.description,
        }
        for c in citizens
    ]


@router.get("/interaction/{uid}", response_class=HTMLResponse)
async def identity_provider_choice(uid: str, request: Request, state: StateDep) -> Response:
    now = state.clock.now()
    async with state.sessionmaker() as db, db.begin():
        session, client = await _load_session(db, request, state, uid, statuses=("pending",))
        await record_event(db, "FC_SHOWED_IDP_CHOICE", now, session_id=uid, sp_client_id=client.client_id)
    return render(
        state,
        "interaction.html",
        uid=uid,
        sp_name=client.name,
        csrf_token=session.csrf_token,
        providers=[{"uid": IDP_ID, "title": IDP_TITLE}],
    )


@router.post("/interaction/{uid}/redirect-to-idp")
async def redirect_to_identity_provider(uid: str, request: Request, state: StateDep) -> Response:
    form = await request.form()
    async with state.sessionmaker() as db:
        session, _client = await _load_session(db, request, state, uid, statuses=("pending",))
        _check_csrf(session, str(form.get("csrfToken", "")))
        if form.get("providerUid") != IDP_ID:
            raise PageError(
                "Une erreur technique est survenue. Si le problème persiste, veuillez nous contacter.",
                code="Y020001",
                error="invalid_request",
            )
    return redirect(f"{PREFIX}/interaction/{uid}/fi")


async def _render_login(
    db: AsyncSession,
    state: FranceConnectState,
    uid: str,
    session: FcSession,
    client: FcServiceProvider,
    *,
    error: str | None = None,
    login: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    citizens = await list_citizens(db)
    return render(
        state,
        "login.html",
        status_code=status_code,
        uid=uid,
        sp_name=client.name,
        idp_title=IDP_TITLE,
        csrf_token=session.csrf_token,
        identities=_identity_rows(citizens),
        error=error,
        login=login,
    )


@router.get("/interaction/{uid}/fi", response_class=HTMLResponse)
async def identity_provider_page(uid: str, request: Request, state: StateDep) -> Response:
    async with state.sessionmaker() as db:
        session, client = await _load_session(db, request, state, uid, statuses=("pending",))
        return await _render_login(db, state, uid, session, client)


@router.post("/interaction/{uid}/login", response_class=HTMLResponse)
async def identity_provider_login(uid: str, request: Request, state: StateDep) -> Response:
    form = await request.form()
    login = str(form.get("login", "")).strip()
    password = str(form.get("password", ""))
    now = state.clock.now()
    async with state.sessionmaker() as db, db.begin():
        session, client = await _load_session(db, request, state, uid, statuses=("pending",))
        _check_csrf(session, str(form.get("csrfToken", "")))
        citizen = await get_citizen_by_login(db, login) if login else None
        if citizen is None or not verify_secret(password, citizen.password_hash):
            return await _render_login(
                db,
                state,
                uid,
                session,
                client,
                error="Identifiant ou mot de passe incorrect.",
                login=login,
                status_code=401,
            )
        session.citizen_id = citizen.id
        session.status = "authenticated"
        session.authenticated_at = now
        await record_event(
            db, "IDP_AUTHENTICATED", now, session_id=uid, sp_client_id=client.client_id, citizen_login=citizen.login
        )
    return redirect(f"{PREFIX}/interaction/{uid}/verify")


def _skips_consent(session: FcSession) -> bool:
    """An FS allowed to send prompt=login (without consent) skips the consent page (FranceConnect)."""
    return bool(session.prompt) and "consent" not in (session.prompt or "").split()


async def _authenticated(
    db: AsyncSession, request: Request, state: FranceConnectState, uid: str
) -> tuple[FcSession, FcServiceProvider, FcCitizen]:
    """The session of a browser whose identity is known (after the identity provider or SSO)."""
    session, client = await _load_session(db, request, state, uid, statuses=("authenticated",))
    return session, client, await require_citizen(db, session.citizen_id)


@router.get("/interaction/{uid}/verify")
async def verify(uid: str, request: Request, state: StateDep) -> Response:
    """After the identity provider (or SSO): to the consent page, or straight back with a code."""
    now = state.clock.now()
    async with state.sessionmaker() as db, db.begin():
        session, client, citizen = await _authenticated(db, request, state, uid)
        if _skips_consent(session):
            return await _issue_code(db, state, session, client, citizen, now)
    return redirect(f"{PREFIX}/interaction/{uid}/consent")


def _consent_context(
    uid: str, session: FcSession, client: FcServiceProvider, citizen: FcCitizen, *, error: str | None = None
) -> dict[str, Any]:
    scopes = split_scope(session.scope)
    anonymous = scopes == ["openid"]
    groups = consent_groups(scopes)
    return {
        "uid": uid,
        "sp_name": client.name,
        "csrf_token": session.csrf_token,
        "groups": groups,
        "labels_count": sum(len(group.labels) for group in groups),
        "anonymous": anonymous,
        "consent_required": client.sp_type == "private" and not anonymous,
        "citizen_name": f"{citizen.given_name} {citizen.family_name}",
        "error": error,
    }


@router.get("/interaction/{uid}/consent", response_class=HTMLResponse)
async def consent_page(uid: str, request: Request, state: StateDep) -> Response:
    now = state.clock.now()
    async with state.sessionmaker() as db, db.begin():
        session, client, citizen = await _authenticated(db, request, state, uid)
        scopes = split_scope(session.scope)
        await record_event(
            db,
            "FC_SHOWED_CONSENT",
            now,
            session_id=uid,
            sp_client_id=client.client_id,
            citizen_login=citizen.login,
            data={"claims": claims_for_scopes(scopes), "scope": session.scope},
        )
    return render(state, "consent.html", **_consent_context(uid, session, client, citizen))


@router.post("/login")
async def consent_given(request: Request, state: StateDep) -> Response:
    form = await request.form()
    uid = str(form.get("interactionId", ""))
    now = state.clock.now()
    async with state.sessionmaker() as db, db.begin():
        session, client, citizen = await _authenticated(db, request, state, uid)
        _check_csrf(session, str(form.get("csrfToken", "")))
        context = _consent_context(uid, session, client, citizen)
        if context["consent_required"] and form.get("accept") != "1":
            context["error"] = "Veuillez cocher la case pour accepter le transfert des données"
            return render(state, "consent.html", status_code=400, **context)
        return await _issue_code(db, state, session, client, citizen, now)


async def _issue_code(
    db: AsyncSession,
    state: FranceConnectState,
    session: FcSession,
    client: FcServiceProvider,
    citizen: FcCitizen,
    now: Any,
) -> Response:
    scopes = split_scope(session.scope)
    anonymous = scopes == ["openid"]
    code = secrets.token_urlsafe(32)
    db.add(
        FcAuthorizationCode(
            code_hash=token_digest(code),
            session_id=session.id,
            client_id=client.client_id,
            redirect_uri=session.redirect_uri,
            citizen_id=citizen.id,
            scope=session.scope,
            nonce=session.nonce,
            acr=session.acr,
            want_amr=_wants_amr(session.claims) or "amr" in scopes,
            auth_time=session.authenticated_at or now,
            created_at=now,
            expires_at=now + timedelta(seconds=AUTHORIZATION_CODE_TTL_SECONDS),
        )
    )
    # A new state token for any later step: the consent form cannot be replayed.
    session.csrf_token = secrets.token_hex(32)
    session.status = "consented"
    kind = "CONSENT" if client.sp_type == "private" and not anonymous else "INFORMATION"
    what = "ANONYMOUS" if anonymous else "IDENTITY"
    await record_event(
        db,
        f"FC_DATATRANSFER_{kind}_{what}",
        now,
        session_id=session.id,
        sp_client_id=client.client_id,
        citizen_login=citizen.login,
        data={
            "claims": claims_for_scopes(scopes),
            "identity_scopes": [s for s in scopes if s in IDENTITY_SCOPES],
            "data_scopes": [s for s in scopes if s in DGFIP_SCOPES],
        },
    )
    await record_event(
        db,
        "FC_REDIRECTED_TO_SP",
        now,
        session_id=session.id,
        sp_client_id=client.client_id,
        citizen_login=citizen.login,
    )
    return redirect(with_query(session.redirect_uri, {"code": code, "state": session.state, "iss": state.issuer}))


@router.get("/interaction/{uid}/abort")
async def abort(uid: str, request: Request, state: StateDep) -> Response:
    async with state.sessionmaker() as db, db.begin():
        session, _client = await _load_session(db, request, state, uid, statuses=("pending", "authenticated"))
        await end_session(db, uid, state.clock.now())
    return redirect_error(RedirectError(session.redirect_uri, session.state, "access_denied", ABORTED), state.issuer)
