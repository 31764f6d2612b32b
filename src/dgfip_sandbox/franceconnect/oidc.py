"""The OpenID Connect back channel: discovery, JWKS, /token, /userinfo, and /session/end.

Authlib's authorization-server classes are synchronous and tied to Flask/Django request objects,
so the code flow is implemented here directly over the SQL store, with joserfc for the JWS.
"""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from joserfc.errors import JoseError
from sqlalchemy import select, update

from dgfip_sandbox.franceconnect import jose
from dgfip_sandbox.franceconnect.errors import (
    OidcError,
    PageError,
    invalid_client,
    invalid_grant,
    invalid_request,
    invalid_token,
)
from dgfip_sandbox.franceconnect.identity import AMR, claims_for, pairwise_sub
from dgfip_sandbox.franceconnect.pages import redirect, with_query
from dgfip_sandbox.franceconnect.scopes import CLAIMS_SUPPORTED, SCOPES, split_scope
from dgfip_sandbox.franceconnect.state import (
    ACR,
    BROWSER_COOKIE,
    ID_TOKEN_TTL_SECONDS,
    PREFIX,
    FranceConnectState,
    get_state,
)
from dgfip_sandbox.store.consumers import verify_secret
from dgfip_sandbox.store.franceconnect import (
    FcAccessToken,
    FcAuthorizationCode,
    FcCitizen,
    FcServiceProvider,
    FcSession,
    aware,
    get_access_token,
    get_service_provider,
    record_event,
    revoke_tokens_of_code,
    token_digest,
)

router = APIRouter(prefix=PREFIX)
StateDep = Annotated[FranceConnectState, Depends(get_state)]
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oidc_error_response(error: OidcError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status_code, headers={**NO_STORE, **error.headers})


@router.get("/.well-known/openid-configuration")
async def discovery(state: StateDep) -> JSONResponse:
    return JSONResponse(
        {
            "issuer": state.issuer,
            "authorization_endpoint": state.url("/authorize"),
            "token_endpoint": state.url("/token"),
            "userinfo_endpoint": state.url("/userinfo"),
            "end_session_endpoint": state.url("/session/end"),
            "jwks_uri": state.url("/jwks"),
            "scopes_supported": sorted(SCOPES),
            "claims_supported": list(CLAIMS_SUPPORTED),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["pairwise"],
            "acr_values_supported": [ACR],
            "id_token_signing_alg_values_supported": list(jose.SIGNING_ALGS),
            "userinfo_signing_alg_values_supported": list(jose.SIGNING_ALGS),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_parameter_supported": True,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "prompt_values_supported": ["login", "consent"],
            "frontchannel_logout_supported": False,
            "backchannel_logout_supported": False,
        }
    )


@router.get("/jwks")
async def jwks(state: StateDep) -> JSONResponse:
    return JSONResponse(state.keys.public_jwks())


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """client_secret_basic (RFC 6749 §2.3.1, form-encoded then base64) or client_secret_post."""
    header = request.headers.get("authorization", "")
    if header[:6].lower() == "basic ":
        if "client_secret" in form:
            raise invalid_request("client authentication must only be provided using one mechanism")
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            client_id, client_secret = decoded.split(":", 1)
        except (ValueError, UnicodeDecodeError):
            raise invalid_request("invalid authorization header value format") from None
        client_id, client_secret = unquote(client_id), unquote(client_secret)
        if form.get("client_id") not in (None, client_id):
            raise invalid_request("mismatch in body and authorization client ids")
        return client_id, client_secret
    client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
    if not client_id or not client_secret:
        raise invalid_client("no client authentication mechanism provided")
    return client_id, client_secret


async def _authenticate_client(db: Any, client_id: str, client_secret: str) -> FcServiceProvider:
    client = await get_service_provider(db, client_id)
    if client is None or not client.active:
        raise invalid_client("client authentication failed (client not found)")
    if not verify_secret(client_secret, client.client_secret_hash):
        raise invalid_client("client authentication failed (invalid secret provided)")
    return client


def _id_token(
    state: FranceConnectState, client: FcServiceProvider, citizen: FcCitizen, code: FcAuthorizationCode
) -> str:
    now = state.clock.now()
    claims: dict[str, Any] = {
        "sub": pairwise_sub(client.client_id, citizen, state.keys.sub_secret),
        "auth_time": int(aware(code.auth_time).timestamp()),
        "acr": code.acr,
        "nonce": code.nonce,
        "aud": client.client_id,
        "exp": int(now.timestamp()) + ID_TOKEN_TTL_SECONDS,
        "iat": int(now.timestamp()),
        "iss": state.issuer,
    }
    if code.want_amr:
        claims["amr"] = AMR
    return jose.sign(claims, state.keys.signing_key(client.id_token_signed_response_alg))


@router.post("/token")
async def token(request: Request, state: StateDep) -> JSONResponse:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    now = state.clock.now()
    try:
        client_id, client_secret = _client_credentials(request, form)
        async with state.sessionmaker() as db, db.begin():
            client = await _authenticate_client(db, client_id, client_secret)
            grant_type = form.get("grant_type", "")
            if not grant_type:
                raise invalid_request("missing required parameter 'grant_type'")
            if grant_type != "authorization_code":
                raise OidcError(400, "unsupported_grant_type", "unsupported grant_type requested")
            if not form.get("code"):
                raise invalid_request("missing required parameter 'code'")
            if not form.get("redirect_uri"):
                raise invalid_request("missing required parameter 'redirect_uri'")
            code = (
                await db.execute(
                    select(FcAuthorizationCode).where(FcAuthorizationCode.code_hash == token_digest(form["code"]))
                )
            ).scalar_one_or_none()
            if code is None or code.client_id != client.client_id:
                raise invalid_grant("authorization code not found")
            # Consume atomically: of two concurrent exchanges, one wins and the other is a reuse.
            consumed = await db.execute(
                update(FcAuthorizationCode)
                .where(FcAuthorizationCode.id == code.id, FcAuthorizationCode.used_at.is_(None))
                .values(used_at=now)
            )
            if consumed.rowcount != 1:
                revoked = await revoke_tokens_of_code(db, code.id, now)
                await record_event(
                    db,
                    "FC_AUTHORIZATION_CODE_REUSED",
                    now,
                    session_id=code.session_id,
                    sp_client_id=client.client_id,
                    data={"revoked_access_tokens": revoked},
                )
                await db.commit()  # the revocation stands although the exchange fails
                raise invalid_grant("authorization code already consumed")
            if aware(code.expires_at) <= now:
                raise invalid_grant("authorization code is expired")
            if form["redirect_uri"] != code.redirect_uri:
                raise invalid_grant("authorization code redirect_uri mismatch")
            citizen = await db.get(FcCitizen, code.citizen_id)
            assert citizen is not None
            access_token = secrets.token_urlsafe(32)
            ttl = state.settings.fc_access_token_ttl_seconds
            db.add(
                FcAccessToken(
                    token_hash=token_digest(access_token),
                    jti=secrets.token_hex(16),
                    code_id=code.id,
                    session_id=code.session_id,
                    client_id=client.client_id,
                    citizen_id=citizen.id,
                    scope=code.scope,
                    acr=code.acr,
                    issued_at=now,
                    expires_at=now + timedelta(seconds=ttl),
                )
            )
            id_token = _id_token(state, client, citizen, code)
            await record_event(
                db,
                "SP_REQUESTED_FC_TOKEN",
                now,
                session_id=code.session_id,
                sp_client_id=client.client_id,
                citizen_login=citizen.login,
            )
    except OidcError as error:
        return oidc_error_response(error)
    return JSONResponse(
        {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "id_token": id_token,
            "scope": code.scope,
        },
        headers=NO_STORE,
    )


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer " and header[7:].strip():
        return header[7:].strip()
    raise invalid_token("no access token provided")


async def active_token(db: Any, state: FranceConnectState, value: str) -> FcAccessToken | None:
    """The access token if known, not expired and not revoked."""
    row = await get_access_token(db, value)
    if row is None or row.revoked_at is not None or aware(row.expires_at) <= state.clock.now():
        return None
    return row


@router.api_route("/userinfo", methods=["GET", "POST"])
async def userinfo(request: Request, state: StateDep) -> Response:
    now = state.clock.now()
    try:
        value = _bearer(request)
        async with state.sessionmaker() as db, db.begin():
            row = await active_token(db, state, value)
            if row is None:
                raise invalid_token("invalid token provided (access token not found)")
            client = await get_service_provider(db, row.client_id)
            citizen = await db.get(FcCitizen, row.citizen_id)
            assert client is not None and citizen is not None
            await record_event(
                db,
                "SP_REQUESTED_FC_USERINFO",
                now,
                session_id=row.session_id,
                sp_client_id=client.client_id,
                citizen_login=citizen.login,
            )
    except OidcError as error:
        return oidc_error_response(error)
    payload = {
        "sub": pairwise_sub(client.client_id, citizen, state.keys.sub_secret),
        **claims_for(citizen, split_scope(row.scope)),
        "aud": client.client_id,
        "exp": int(now.timestamp()) + ID_TOKEN_TTL_SECONDS,
        "iat": int(now.timestamp()),
        "iss": state.issuer,
    }
    signed = jose.sign(payload, state.keys.signing_key(client.userinfo_signed_response_alg))
    return Response(signed, media_type="application/jwt", headers=NO_STORE)


@router.get("/session/end")
async def end_session(request: Request, state: StateDep) -> Response:
    params = request.query_params
    for name in ("id_token_hint", "state", "post_logout_redirect_uri"):
        if not params.get(name):
            raise PageError(f"Le paramètre « {name} » est obligatoire et n'a pas été fourni.")
    try:
        _header, claims = jose.verify(params["id_token_hint"], state.keys.keys)
    except (JoseError, ValueError):
        raise PageError(
            "Le paramètre « id_token_hint » n'est pas un jeton d'identité émis par FranceConnect."
        ) from None
    if claims.get("iss") != state.issuer or not isinstance(claims.get("aud"), str):
        raise PageError("Le paramètre « id_token_hint » n'est pas un jeton d'identité émis par FranceConnect.")
    now = state.clock.now()
    async with state.sessionmaker() as db, db.begin():
        client = await get_service_provider(db, claims["aud"])
        if client is None:
            raise PageError("Le fournisseur de service du jeton d'identité est inconnu.", error="invalid_client")
        target = params["post_logout_redirect_uri"]
        if target not in client.post_logout_redirect_uris:
            raise PageError(
                "L'adresse de retour après déconnexion (post_logout_redirect_uri) n'est pas enregistrée "
                "pour ce fournisseur de service.",
                code="Y030119",
                error="invalid_post_logout_redirect_uri",
            )
        cookie = request.cookies.get(BROWSER_COOKIE)
        ended: list[str] = []
        if cookie:
            ended = list(
                (
                    await db.execute(
                        select(FcSession.id).where(
                            FcSession.browser_id_hash == token_digest(cookie), FcSession.ended_at.is_(None)
                        )
                    )
                ).scalars()
            )
        if ended:
            await db.execute(update(FcSession).where(FcSession.id.in_(ended)).values(status="ended", ended_at=now))
            # Ending the FranceConnect session ends the grants made in it (checktoken → inactive).
            await db.execute(
                update(FcAccessToken)
                .where(FcAccessToken.session_id.in_(ended), FcAccessToken.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        await record_event(
            db, "FC_SESSION_TERMINATED", now, sp_client_id=client.client_id, data={"sessions_ended": len(ended)}
        )
    response = redirect(with_query(target, {"state": params["state"]}))
    response.delete_cookie(BROWSER_COOKIE, path=PREFIX)
    return response
