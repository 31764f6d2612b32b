"""Token validation for data providers (fournisseurs de données): checktoken v2 and legacy v1.

v2 — ``POST /api/v2/checktoken``, form ``token, client_id, client_secret`` (exactly these):

* 400 ``invalid_request`` when a field is missing, empty, or an unexpected field is present;
* 401 ``invalid_client`` for an unknown data provider or a wrong secret;
* 200 ``application/token-introspection+jwt`` otherwise: a JWE (alg/enc as the data provider is
  registered, to its registered public key) wrapping a JWS signed by FranceConnect whose payload
  is exactly ``{token_introspection, aud, iat, iss}``. ``token_introspection`` is ``{"active": false}``
  for an unknown, expired or revoked token, else ``active, aud, sub, iat, exp, acr, jti, scope``
  (the token's scopes that belong to this data provider) and the identité pivot.

v1 — ``POST /api/v1/checktoken``, JSON ``{"token"}``, no data-provider authentication: plain JSON
``{scope[], identity{}, client{}, identity_provider_id, identity_provider_host, acr}``; 401
``{"status": "fail", "message": "token_not_found_or_expired"}`` (or ``"Malformed access token."``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from joserfc.jwk import ECKey, RSAKey

from dgfip_sandbox.franceconnect import jose
from dgfip_sandbox.franceconnect.errors import OidcError
from dgfip_sandbox.franceconnect.identity import IDP_HOST, IDP_ID, pairwise_sub, pivot_identity
from dgfip_sandbox.franceconnect.oidc import NO_STORE, active_token, oidc_error_response
from dgfip_sandbox.franceconnect.scopes import split_scope
from dgfip_sandbox.franceconnect.state import FranceConnectState, get_state
from dgfip_sandbox.store.consumers import verify_secret
from dgfip_sandbox.store.franceconnect import (
    CheckedCitizen,
    CheckedToken,
    aware,
    get_data_provider,
    is_active,
    record_event,
    require_citizen,
    require_service_provider,
)

router = APIRouter()
StateDep = Annotated[FranceConnectState, Depends(get_state)]
INTROSPECTION_MEDIA_TYPE = "application/token-introspection+jwt"
CHECKTOKEN_FIELDS = ("token", "client_id", "client_secret")


def _invalid_checktoken_request() -> OidcError:
    return OidcError(400, "invalid_request", "Required parameter missing or invalid.")


def checktoken_fields(items: Iterable[tuple[str, object]]) -> dict[str, str]:
    """The form's fields as checktoken v2 accepts them: exactly ``token, client_id, client_secret``,
    each once and not empty (raises ``OidcError`` 400 ``invalid_request`` otherwise)."""
    fields: dict[str, str] = {}
    for key, value in items:
        if key not in CHECKTOKEN_FIELDS or key in fields or not isinstance(value, str) or not value:
            raise _invalid_checktoken_request()
        fields[key] = value
    if set(fields) != set(CHECKTOKEN_FIELDS):
        raise _invalid_checktoken_request()
    return fields


def is_form(content_type: str) -> bool:
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


async def _form(request: Request) -> dict[str, str]:
    if not is_form(request.headers.get("content-type", "")):
        raise _invalid_checktoken_request()
    form = await request.form()
    return checktoken_fields(form.multi_items())


@dataclass(frozen=True, eq=False)
class _DataProvider:
    """A registered data provider as checktoken uses it, with its encryption key imported once (compared
    and hashed by identity: each load of the registration is a new one)."""

    client_id: str
    title: str
    secret_hash: str
    scopes: frozenset[str]
    signed_alg: str
    encrypted_alg: str
    encrypted_enc: str
    encryption_key: ECKey | RSAKey | None  # None: no key for its registered alg (answers 500)


# Data providers are written by the seeder only (`prepare`, `up`, before any checktoken): their
# registration is cached by the app (``state.data_providers``) for a few seconds.
DATA_PROVIDER_CACHE_SECONDS = 5.0


async def _data_provider(state: FranceConnectState, client_id: str) -> _DataProvider | None:
    cache: dict[str, tuple[float, _DataProvider | None]] = state.data_providers
    now = time.monotonic()
    entry = cache.get(client_id)
    if entry is not None and entry[0] > now:
        return entry[1]
    async with state.sessionmaker() as db:
        row = await get_data_provider(db, client_id)
    found = None
    if row is not None and row.active:
        try:
            encryption_key = jose.encryption_key_for(row.jwks, row.checktoken_encrypted_response_alg)
        except LookupError:
            encryption_key = None
        found = _DataProvider(
            client_id=row.client_id,
            title=row.title,
            secret_hash=row.client_secret_hash,
            scopes=frozenset(row.scopes or ()),
            signed_alg=row.checktoken_signed_response_alg,
            encrypted_alg=row.checktoken_encrypted_response_alg,
            encrypted_enc=row.checktoken_encrypted_response_enc,
            encryption_key=encryption_key,
        )
    if len(cache) > 256:
        cache.clear()
    cache[client_id] = (now + DATA_PROVIDER_CACHE_SECONDS, found)
    return found


def _introspection(
    state: FranceConnectState, provider: _DataProvider, row: CheckedToken, citizen: CheckedCitizen
) -> dict[str, Any]:
    granted = [s for s in split_scope(row.scope) if s in provider.scopes]
    return {
        "active": True,
        "aud": row.client_id,
        "sub": pairwise_sub(provider.client_id, citizen, state.keys.sub_secret),
        "iat": int(aware(row.issued_at).timestamp()),
        "exp": int(aware(row.expires_at).timestamp()),
        "acr": row.acr,
        "jti": row.jti,
        "scope": " ".join(granted),
        **pivot_identity(citizen),
    }


@router.post("/api/v2/checktoken")
async def checktoken_v2(request: Request, state: StateDep) -> Response:
    try:
        fields = await _form(request)
    except OidcError as error:
        return oidc_error_response(error)
    return await answer_v2(state, fields)


async def answer_v2(state: FranceConnectState, fields: dict[str, str]) -> Response:
    """Checktoken v2's answer to validated form fields (``checktoken_fields``): one read per call (the
    token with its citizen: revocation and expiry as SQL holds them now) and one event, committed with
    the concurrent calls' events; the data provider comes from a short per-process cache."""
    now = state.clock.now()
    try:
        provider = await _data_provider(state, fields["client_id"])
        if provider is None or not verify_secret(fields["client_secret"], provider.secret_hash):
            await state.events.record(
                state.checktoken_store, "DP_USED_INVALID_CREDENTIAL", now, dp_client_id=fields["client_id"][:100]
            )
            raise OidcError(401, "invalid_client", "Client authentication failed.")
        found = await state.checktoken_store.token_with_citizen(fields["token"])
        introspection: dict[str, Any]
        if found is None or not is_active(found[0], now):
            introspection = {"active": False}
            await state.events.record(
                state.checktoken_store, "DP_USED_INVALID_ACCESS_TOKEN", now, dp_client_id=provider.client_id
            )
        else:
            row, citizen = found
            introspection = _introspection(state, provider, row, citizen)
            await state.events.record(
                state.checktoken_store,
                "DP_VERIFIED_FC_CHECKTOKEN",
                now,
                session_id=row.session_id,
                sp_client_id=row.client_id,
                dp_client_id=provider.client_id,
                citizen_login=citizen.login,
                data={"scope": introspection["scope"], "dpTitle": provider.title, "jti": row.jti},
            )
    except OidcError as error:
        return oidc_error_response(error)
    if provider.encryption_key is None:
        return oidc_error_response(
            OidcError(
                500,
                "server_error",
                "The authorization server encountered an unexpected condition that prevented it from fulfilling the request.",
            )
        )
    iat = int(now.timestamp())
    payload = {
        "token_introspection": introspection,
        "aud": provider.client_id,
        "iat": iat,
        "iss": state.issuer,
    }
    # The same introspection in the same second (the same data provider, the token and its citizen as
    # read now, or inactive): the same answer.
    key = (provider, found if introspection["active"] else None)
    encrypted = state.answers.get(iat, key)
    if encrypted is None:
        signed = jose.sign(payload, state.keys.signing_key(provider.signed_alg))
        encrypted = jose.encrypt(
            signed, provider.encryption_key, alg=provider.encrypted_alg, enc=provider.encrypted_enc
        )
        state.answers.put(iat, key, encrypted)
    return Response(encrypted, media_type=INTROSPECTION_MEDIA_TYPE, headers=NO_STORE)


def _v1_fail(message: str) -> JSONResponse:
    return JSONResponse({"status": "fail", "message": message}, status_code=401, headers=NO_STORE)


@router.post("/api/v1/checktoken")
async def checktoken_v1(request: Request, state: StateDep) -> JSONResponse:
    now = state.clock.now()
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        body = None
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token.strip():
        return _v1_fail("Malformed access token.")
    async with state.sessionmaker() as db, db.begin():
        row = await active_token(db, state, token.strip())
        if row is None:
            await record_event(db, "DP_USED_INVALID_ACCESS_TOKEN", now, data={"api": "v1"})
            return _v1_fail("token_not_found_or_expired")
        citizen = await require_citizen(db, row.citizen_id)
        client = await require_service_provider(db, row.client_id)
        scopes = split_scope(row.scope)
        await record_event(
            db,
            "DP_VERIFIED_FC_CHECKTOKEN",
            now,
            session_id=row.session_id,
            sp_client_id=row.client_id,
            citizen_login=citizen.login,
            data={"api": "v1", "scope": row.scope},
        )
    return JSONResponse(
        {
            "scope": scopes,
            "identity": {
                "given_name": citizen.given_name,
                "family_name": citizen.family_name,
                "gender": citizen.gender,
                "birthdate": citizen.birthdate,
                "birthplace": citizen.birthplace if citizen.birthcountry == "99100" else "",
                "birthcountry": citizen.birthcountry,
                "preferred_username": citizen.preferred_username or "",
            },
            "client": {"client_id": client.client_id, "client_name": client.name},
            "identity_provider_id": IDP_ID,
            "identity_provider_host": IDP_HOST,
            "acr": row.acr,
        },
        headers=NO_STORE,
    )
