"""The OpenID Connect back channel: discovery, JWKS, /token, /token/revocation, /userinfo, /session/end.

Authlib's authorization-server classes are synchronous and tied to Flask/Django request objects,
so the code flow is implemented here directly over the SQL store, with joserfc for the JWS.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from joserfc.errors import JoseError

from dgfip_sandbox.franceconnect import jose
from dgfip_sandbox.franceconnect.client_auth import authenticate_client
from dgfip_sandbox.franceconnect.errors import (
    OidcError,
    PageError,
    format_error,
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
from dgfip_sandbox.store.franceconnect import (
    FcAccessToken,
    FcAuthorizationCode,
    FcCitizen,
    FcServiceProvider,
    aware,
    consume_authorization_code,
    end_browser_sessions,
    find_authorization_code,
    get_access_token,
    get_service_provider,
    record_event,
    require_citizen,
    require_service_provider,
    revoke_access_token,
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
    """The fields of FranceConnect low's discovery (oidc-provider's, as FranceConnect configures it)."""
    return JSONResponse(
        {
            "acr_values_supported": [ACR],
            "authorization_endpoint": state.url("/authorize"),
            "authorization_response_iss_parameter_supported": True,
            "claims_parameter_supported": True,
            "claims_supported": list(CLAIMS_SUPPORTED),
            # oidc-provider always advertises PKCE; FranceConnect's /authorize nevertheless refuses
            # code_challenge (Y030007): kept as FranceConnect publishes it (docs/franceconnect.md).
            "code_challenge_methods_supported": ["S256"],
            "end_session_endpoint": state.url("/session/end"),
            "grant_types_supported": ["authorization_code"],
            "id_token_signing_alg_values_supported": list(jose.ID_TOKEN_ALGS),
            "issuer": state.issuer,
            "jwks_uri": state.url("/jwks"),
            "response_modes_supported": ["form_post", "fragment", "query"],
            "response_types_supported": ["code"],
            "scopes_supported": sorted(SCOPES),
            "subject_types_supported": ["pairwise"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": list(jose.CLIENT_AUTH_ALGS),
            "token_endpoint": state.url("/token"),
            "request_object_signing_alg_values_supported": list(jose.ID_TOKEN_ALGS),
            "request_parameter_supported": True,
            "request_uri_parameter_supported": True,
            "require_request_uri_registration": True,
            "userinfo_endpoint": state.url("/userinfo"),
            "userinfo_signing_alg_values_supported": list(jose.ID_TOKEN_ALGS),
            "revocation_endpoint": state.url("/token/revocation"),
            "revocation_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            "revocation_endpoint_auth_signing_alg_values_supported": list(jose.CLIENT_AUTH_ALGS),
            "claim_types_supported": ["normal"],
        },
        headers={"Cache-Control": "public, max-age=600"},
    )


@router.get("/jwks")
async def jwks(state: StateDep) -> JSONResponse:
    return JSONResponse(
        state.keys.public_jwks(),
        media_type="application/jwk-set+json",
        headers={"Cache-Control": "public, max-age=600"},
    )


def sign_for(state: FranceConnectState, client: FcServiceProvider, payload: dict[str, Any], alg: str) -> str:
    """An id_token or userinfo JWS with the FS's registered algorithm (HS256: keyed with its secret)."""
    if alg == "HS256":
        if client.client_secret_sealed is None:
            raise LookupError(f"no sealed secret for {client.client_id}: register the FS again")
        return jose.sign_hs256(payload, state.keys.unseal(client.client_secret_sealed))
    return jose.sign(payload, state.keys.signing_key(alg))


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
    return sign_for(state, client, claims, client.id_token_signed_response_alg)


def _missing(form: dict[str, str], *names: str) -> OidcError | None:
    """oidc-provider's presence check: "missing required parameter 'x'" / "parameters 'x' and 'y'"."""
    missing = [name for name in names if not form.get(name)]
    if not missing:
        return None
    quoted = [f"'{name}'" for name in missing]
    listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"
    noun = "parameter" if len(missing) == 1 else "parameters"
    return invalid_request(f"missing required {noun} {listed}", "Y048017B")


async def _form(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


@router.post("/token")
async def token(request: Request, state: StateDep) -> JSONResponse:
    form = await _form(request)
    now = state.clock.now()
    try:
        async with state.sessionmaker() as db, db.begin():
            client = await authenticate_client(db, state, request.headers, form, endpoint_url=state.url("/token"))
            missing = _missing(form, "grant_type")
            if missing:
                raise missing
            if form["grant_type"] != "authorization_code":
                raise OidcError(
                    400, "unsupported_grant_type", "unsupported grant_type requested (undefined)", code="Y04C2044"
                )
            missing = _missing(form, "code", "redirect_uri")
            if missing:
                raise missing
            code = await find_authorization_code(db, form["code"])
            if code is None:
                raise invalid_grant("authorization code not found", "Y049E20B")
            if code.client_id != client.client_id:
                raise invalid_grant("client mismatch", "Y047A2EA")
            if aware(code.expires_at) <= now:
                raise invalid_grant("authorization code is expired", "Y043F0A8")
            if "code_verifier" in form:
                # No code_challenge can reach FranceConnect (Y030007), so any verifier fails.
                raise invalid_grant("PKCE verification failed", "Y0446550")
            if form["redirect_uri"] != code.redirect_uri:
                raise invalid_grant("authorization code redirect_uri mismatch", "Y04F8199")
            if not await consume_authorization_code(db, code.id, now):
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
                raise invalid_grant("authorization code already consumed", "Y0416228")
            citizen = await require_citizen(db, code.citizen_id)
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
            "expires_in": ttl,
            "id_token": id_token,
            "scope": code.scope,
            "token_type": "Bearer",
        },
        headers=NO_STORE,
    )


def _access_token_value(request: Request) -> str:
    """Bearer header or ?access_token= (FranceConnect sets acceptQueryParamAccessTokens), not both."""
    header = request.headers.get("authorization")
    query = request.query_params.get("access_token")
    if header is not None and query is not None:
        raise invalid_request("access token must only be provided using one mechanism", "Y04514E0")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            raise invalid_request('authorization header scheme must be "Bearer"', "Y043D61A")
        if not value.strip():
            raise invalid_request("invalid authorization header value format", "Y04B729E")
        return value.strip()
    if query:
        return query
    raise invalid_token("no access token provided", "no access token provided", "Y04146A2")


async def active_token(db: Any, state: FranceConnectState, value: str) -> FcAccessToken | None:
    """The access token if known, not expired and not revoked."""
    row = await get_access_token(db, value)
    if row is None or row.revoked_at is not None or aware(row.expires_at) <= state.clock.now():
        return None
    return row


@router.get("/userinfo")
async def userinfo(request: Request, state: StateDep) -> Response:
    now = state.clock.now()
    try:
        value = _access_token_value(request)
        async with state.sessionmaker() as db, db.begin():
            row = await active_token(db, state, value)
            if row is None:
                raise invalid_token("invalid token provided", "access token not found", "Y040001")
            client = await require_service_provider(db, row.client_id)
            citizen = await require_citizen(db, row.citizen_id)
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
    signed = sign_for(state, client, payload, client.userinfo_signed_response_alg)
    return Response(signed, media_type="application/jwt", headers=NO_STORE)


REVOCATION_FIELDS = frozenset({"token", "client_id", "client_secret"})
SAFE_TOKEN = re.compile(r"^[^.*?{}()|\[\]\s\\]*$")


@router.post("/token/revocation")
async def revocation(request: Request, state: StateDep) -> Response:
    """RFC 7009 as FranceConnect: its DTO takes exactly token, client_id and client_secret (so
    client_secret_post only); an unknown token is a success, another FS's token is refused."""
    form = await _form(request)
    now = state.clock.now()
    try:
        valid = (
            set(form) == REVOCATION_FIELDS
            and len(form["token"]) >= 43
            and SAFE_TOKEN.match(form["token"]) is not None
            and len(form["client_secret"]) >= 32
            and form["client_secret"].isascii()
        )
        if not valid:
            raise format_error(back_channel=True)
        async with state.sessionmaker() as db, db.begin():
            client = await authenticate_client(
                db, state, request.headers, form, endpoint_url=state.url("/token/revocation")
            )
            row = await get_access_token(db, form["token"])
            if row is not None:
                if row.client_id != client.client_id:
                    raise invalid_request("this token does not belong to you", "Y0466776")
                await revoke_access_token(db, row.id, now)
                await record_event(
                    db, "SP_REVOKED_FC_TOKEN", now, session_id=row.session_id, sp_client_id=client.client_id
                )
    except OidcError as error:
        return oidc_error_response(error)
    return Response(status_code=200, headers=NO_STORE)


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
        # Ending the FranceConnect session ends the grants made in it (checktoken → inactive).
        ended = await end_browser_sessions(db, token_digest(cookie), now) if cookie else 0
        await record_event(
            db, "FC_SESSION_TERMINATED", now, sp_client_id=client.client_id, data={"sessions_ended": ended}
        )
    response = redirect(with_query(target, {"state": params["state"]}))
    response.delete_cookie(BROWSER_COOKIE, path=PREFIX)
    return response
