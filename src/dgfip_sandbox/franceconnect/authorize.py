"""The browser side: /authorize, the identity provider's login page, the consent page, /login.

Steps (FranceConnect v2 naming)::

    GET|POST /api/v2/authorize                    validate, open a session, 303 → interaction
    GET      /api/v2/interaction/{uid}            demo identity provider: pick an identity (login + "123")
    POST     /api/v2/interaction/{uid}/login      authenticate, 303 → consent
    GET      /api/v2/interaction/{uid}/consent    the requested data grouped by provider, CSRF token
    POST     /api/v2/login                        consent given: authorization code, 303 → redirect_uri
    GET      /api/v2/interaction/{uid}/abort      "revenir sur le service": access_denied to redirect_uri

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

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.franceconnect.errors import PageError, RedirectError
from dgfip_sandbox.franceconnect.pages import redirect, redirect_error, render, with_query
from dgfip_sandbox.franceconnect.scopes import (
    DGFIP_SCOPES,
    IDENTITY_SCOPES,
    claims_for_scopes,
    consent_groups,
    split_scope,
    unknown_scopes,
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
    get_citizen_by_login,
    get_service_provider,
    list_citizens,
    record_event,
    token_digest,
)

router = APIRouter(prefix=PREFIX)

NONCE_MIN_LENGTH = 22
ALLOWED_PROMPTS = {"login", "consent"}
StateDep = Annotated[FranceConnectState, Depends(get_state)]


async def _params(request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    if request.method == "POST":
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def _validate_format(params: dict[str, str]) -> None:
    """FranceConnect's AuthorizeParamsDto: a failure is a 400 page (Y000400), never a redirect."""
    for name in ("response_type", "scope", "state", "nonce", "acr_values"):
        if not params.get(name, "").strip():
            raise PageError(f"Le paramètre « {name} » est obligatoire et n'a pas été fourni.")
    if len(params["nonce"]) < NONCE_MIN_LENGTH:
        raise PageError(
            f"Le paramètre « nonce » doit comporter au moins {NONCE_MIN_LENGTH} caractères "
            f"(reçu : {len(params['nonce'])})."
        )


def _validate_protocol(params: dict[str, str], client: FcServiceProvider) -> tuple[list[str], dict[str, Any]]:
    """Errors that go back to the (now trusted) redirect_uri."""
    redirect_uri, state = params["redirect_uri"], params.get("state")

    def fail(error: str, description: str) -> RedirectError:
        return RedirectError(redirect_uri, state, error, description)

    if params["response_type"] != "code":
        raise fail("unsupported_response_type", "unsupported response_type requested")
    scopes = split_scope(params["scope"])
    if "openid" not in scopes:
        raise fail("invalid_request", "openid scope must be requested for this response_type")
    unknown = unknown_scopes(scopes)
    if unknown:
        raise fail("invalid_scope", f"requested scope is not whitelisted: {' '.join(unknown)}")
    not_allowed = [s for s in scopes if s not in set(client.scopes)]
    if not_allowed:
        raise fail("invalid_scope", f"requested scope is not whitelisted: {' '.join(not_allowed)}")
    if ACR not in params["acr_values"].split():
        raise fail("access_denied", "requested ACRs could not be satisfied")
    claims: dict[str, Any] = {}
    if params.get("claims"):
        try:
            claims = json.loads(params["claims"])
        except ValueError:
            raise fail("invalid_request", "could not parse the claims parameter JSON") from None
        if not isinstance(claims, dict) or not all(isinstance(v, dict) for v in claims.values()):
            raise fail("invalid_request", "claims parameter should be a JSON object of objects")
    prompts = set((params.get("prompt") or "").split())
    if prompts - ALLOWED_PROMPTS:
        raise fail("invalid_request", "unsupported prompt value requested")
    return scopes, claims


@router.api_route("/authorize", methods=["GET", "POST"])
async def authorize(request: Request, state: StateDep) -> Response:
    params = await _params(request)
    client_id = params.get("client_id", "").strip()
    if not client_id:
        raise PageError("Le paramètre « client_id » est obligatoire et n'a pas été fourni.")
    redirect_uri = params.get("redirect_uri", "")
    async with state.sessionmaker() as db:
        client = await get_service_provider(db, client_id)
    if client is None or not client.active:
        raise PageError(
            "Le fournisseur de service est inconnu de FranceConnect (client_id non enregistré).",
            code="Y030106",
            error="invalid_client",
        )
    if not redirect_uri:
        raise PageError("Le paramètre « redirect_uri » est obligatoire et n'a pas été fourni.")
    if redirect_uri not in client.redirect_uris:
        raise PageError(
            "L'adresse de retour (redirect_uri) ne correspond à aucune des adresses enregistrées "
            "pour ce fournisseur de service.",
            code="Y030118",
            error="invalid_redirect_uri",
        )
    _validate_format(params)
    scopes, claims = _validate_protocol(params, client)

    now = state.clock.now()
    browser_id = secrets.token_urlsafe(32)
    uid = secrets.token_hex(16)
    async with state.sessionmaker() as db, db.begin():
        db.add(
            FcSession(
                id=uid,
                browser_id_hash=token_digest(browser_id),
                client_id=client.client_id,
                redirect_uri=redirect_uri,
                scope=" ".join(scopes),
                state=params["state"],
                nonce=params["nonce"],
                acr=ACR,
                claims=claims,
                prompt=params.get("prompt") or None,
                csrf_token=secrets.token_hex(32),
                citizen_id=None,
                status="pending",
                created_at=now,
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
    response = redirect(f"{PREFIX}/interaction/{uid}")
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
    client = await get_service_provider(db, session.client_id)
    assert client is not None
    return session, client


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
async def identity_provider_page(uid: str, request: Request, state: StateDep) -> Response:
    async with state.sessionmaker() as db:
        session, client = await _load_session(db, request, state, uid, statuses=("pending", "authenticated"))
        citizens = await list_citizens(db)
    return render(
        state,
        "login.html",
        uid=uid,
        sp_name=client.name,
        csrf_token=session.csrf_token,
        identities=_identity_rows(citizens),
        error=None,
        login="",
    )


@router.post("/interaction/{uid}/login", response_class=HTMLResponse)
async def identity_provider_login(uid: str, request: Request, state: StateDep) -> Response:
    form = await request.form()
    login = str(form.get("login", "")).strip()
    password = str(form.get("password", ""))
    csrf = str(form.get("csrfToken", ""))
    now = state.clock.now()
    async with state.sessionmaker() as db, db.begin():
        session, client = await _load_session(db, request, state, uid, statuses=("pending", "authenticated"))
        if not hmac.compare_digest(session.csrf_token, csrf):
            raise PageError("Le jeton de sécurité du formulaire est invalide.", code="Y190004", error="invalid_csrf")
        citizen = await get_citizen_by_login(db, login) if login else None
        if citizen is None or not verify_secret(password, citizen.password_hash):
            citizens = await list_citizens(db)
            return render(
                state,
                "login.html",
                status_code=401,
                uid=uid,
                sp_name=client.name,
                csrf_token=session.csrf_token,
                identities=_identity_rows(citizens),
                error="Identifiant ou mot de passe incorrect.",
                login=login,
            )
        session.citizen_id = citizen.id
        session.status = "authenticated"
        session.authenticated_at = now
        await record_event(
            db, "IDP_AUTHENTICATED", now, session_id=uid, sp_client_id=client.client_id, citizen_login=citizen.login
        )
    return redirect(f"{PREFIX}/interaction/{uid}/consent")


@router.get("/interaction/{uid}/consent", response_class=HTMLResponse)
async def consent_page(uid: str, request: Request, state: StateDep) -> Response:
    now = state.clock.now()
    async with state.sessionmaker() as db, db.begin():
        session, client = await _load_session(db, request, state, uid, statuses=("authenticated",))
        citizen = await db.get(FcCitizen, session.citizen_id)
        assert citizen is not None
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
    anonymous = scopes == ["openid"]
    return render(
        state,
        "consent.html",
        uid=uid,
        sp_name=client.name,
        csrf_token=session.csrf_token,
        groups=consent_groups(scopes),
        anonymous=anonymous,
        consent_required=client.sp_type == "private" and not anonymous,
        citizen_name=f"{citizen.given_name} {citizen.family_name}",
        error=None,
    )


@router.post("/login")
async def consent_given(request: Request, state: StateDep) -> Response:
    form = await request.form()
    uid = str(form.get("interactionId", ""))
    csrf = str(form.get("csrfToken", ""))
    now = state.clock.now()
    async with state.sessionmaker() as db, db.begin():
        session, client = await _load_session(db, request, state, uid, statuses=("authenticated",))
        if not hmac.compare_digest(session.csrf_token, csrf):
            raise PageError("Le jeton de sécurité du formulaire est invalide.", code="Y190004", error="invalid_csrf")
        citizen = await db.get(FcCitizen, session.citizen_id)
        assert citizen is not None
        scopes = split_scope(session.scope)
        anonymous = scopes == ["openid"]
        if client.sp_type == "private" and not anonymous and form.get("accept") != "1":
            return render(
                state,
                "consent.html",
                status_code=400,
                uid=uid,
                sp_name=client.name,
                csrf_token=session.csrf_token,
                groups=consent_groups(scopes),
                anonymous=False,
                consent_required=True,
                citizen_name=f"{citizen.given_name} {citizen.family_name}",
                error="Vous devez accepter la transmission de vos données pour continuer.",
            )
        code = secrets.token_urlsafe(32)
        id_token_claims = session.claims.get("id_token") or {}
        db.add(
            FcAuthorizationCode(
                code_hash=token_digest(code),
                session_id=uid,
                client_id=client.client_id,
                redirect_uri=session.redirect_uri,
                citizen_id=citizen.id,
                scope=session.scope,
                nonce=session.nonce,
                acr=session.acr,
                want_amr="amr" in id_token_claims or "amr" in scopes,
                auth_time=session.authenticated_at or now,
                created_at=now,
                expires_at=now + timedelta(seconds=AUTHORIZATION_CODE_TTL_SECONDS),
            )
        )
        # A new state token for any later step: the consent form cannot be replayed.
        session.csrf_token = secrets.token_hex(32)
        session.status = "consented"
        kind = "CONSENT" if client.sp_type == "private" else "INFORMATION"
        what = "ANONYMOUS" if anonymous else "IDENTITY"
        await record_event(
            db,
            f"FC_DATATRANSFER_{kind}_{what}",
            now,
            session_id=uid,
            sp_client_id=client.client_id,
            citizen_login=citizen.login,
            data={
                "claims": claims_for_scopes(scopes),
                "identity_scopes": [s for s in scopes if s in IDENTITY_SCOPES],
                "data_scopes": [s for s in scopes if s in DGFIP_SCOPES],
            },
        )
        await record_event(
            db, "FC_REDIRECTED_TO_SP", now, session_id=uid, sp_client_id=client.client_id, citizen_login=citizen.login
        )
    return redirect(with_query(session.redirect_uri, {"code": code, "state": session.state}))


@router.get("/interaction/{uid}/abort")
async def abort(uid: str, request: Request, state: StateDep) -> Response:
    async with state.sessionmaker() as db, db.begin():
        session, _client = await _load_session(db, request, state, uid, statuses=("pending", "authenticated"))
        await db.execute(
            update(FcSession).where(FcSession.id == uid).values(status="ended", ended_at=state.clock.now())
        )
    return redirect_error(RedirectError(session.redirect_uri, session.state, "access_denied", "User auth aborted"))
