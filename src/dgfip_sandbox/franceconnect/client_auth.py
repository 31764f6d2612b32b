"""Client authentication at FranceConnect's token endpoint: ``client_secret_post`` and
``private_key_jwt``, the only two methods FranceConnect enables (no ``client_secret_basic``).

The checks, their order and their texts are oidc-provider's (``shared/client_auth.js`` and
``shared/jwt_client_auth.js``), each with the error code FranceConnect generated for it (Y04…).
A client assertion is verified with joserfc against the FS's registered JWKS, or the document at its
``jwks_uri`` (fetched at each call, so a key rotation is effective at once), and used only once.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import httpx
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from joserfc.util import urlsafe_b64decode
from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.franceconnect.errors import invalid_client, invalid_request
from dgfip_sandbox.franceconnect.jose import CLIENT_AUTH_ALGS
from dgfip_sandbox.franceconnect.state import FranceConnectState
from dgfip_sandbox.store.consumers import verify_secret
from dgfip_sandbox.store.franceconnect import FcServiceProvider, get_service_provider, use_client_assertion

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
JWKS_URI_TIMEOUT_SECONDS = 5.0
CLIENT_AUTH_REGISTRY = JWSRegistry(algorithms=list(CLIENT_AUTH_ALGS))


def _unverified_part(value: str, index: int) -> dict[str, Any]:
    parts = value.split(".")
    if len(parts) != 3:
        raise ValueError("not a compact JWS")
    decoded = json.loads(urlsafe_b64decode(parts[index].encode()))
    if not isinstance(decoded, dict):
        raise ValueError("not a JSON object")
    return decoded


def _used_method(request_headers: Any, form: dict[str, str]) -> str:
    methods = []
    if request_headers.get("authorization", "")[:6].lower() == "basic ":
        methods.append("client_secret_basic")
    if "client_assertion" in form or "client_assertion_type" in form:
        methods.append("private_key_jwt")
    if "client_secret" in form:
        methods.append("client_secret_post")
    if len(methods) > 1:
        raise invalid_request("client authentication must only be provided using one mechanism", "Y047E9E5")
    return methods[0] if methods else "none"


async def authenticate_client(
    db: AsyncSession,
    state: FranceConnectState,
    request_headers: Any,
    form: dict[str, str],
    *,
    endpoint_url: str,
) -> FcServiceProvider:
    """The FS calling the token endpoint, or an OidcError with FranceConnect's text and code."""
    method = _used_method(request_headers, form)
    client_id = form.get("client_id", "")
    assertion: dict[str, Any] | None = None
    if method == "private_key_jwt":
        if "client_assertion_type" not in form:
            raise invalid_request("client_assertion_type must be provided", "Y04AF36C")
        if form["client_assertion_type"] != JWT_BEARER:
            raise invalid_request(f"client_assertion_type must have value {JWT_BEARER}", "Y04EA12E")
        try:
            assertion = _unverified_part(form.get("client_assertion", ""), 1)
        except ValueError:
            raise invalid_request("invalid client_assertion format", "Y04E1CFF") from None
        sub = assertion.get("sub")
        if not isinstance(sub, str) or not sub:
            raise invalid_client("sub (JWT subject) must be provided in the client_assertion JWT", "Y044B38D")
        if client_id and client_id != sub:
            raise invalid_request(
                "subject of client_assertion must be the same as client_id provided in the body", "Y048454B"
            )
        client_id = sub
    elif method == "client_secret_basic":
        client_id = _basic_client_id(request_headers.get("authorization", ""))
    if not client_id:
        raise invalid_request("no client authentication mechanism provided", "Y044FEB3")
    client = await get_service_provider(db, client_id)
    if client is None or not client.active:
        raise invalid_client("client not found", "Y0479FCE")
    if method != client.token_endpoint_auth_method:
        raise invalid_client(
            "the provided authentication mechanism does not match the registered client authentication method",
            "Y044D82C",
        )
    if method == "client_secret_post":
        if not verify_secret(form["client_secret"], client.client_secret_hash):
            raise invalid_client("invalid secret provided", "Y0434A7B")
        return client
    if assertion is None:  # unreachable: private_key_jwt parsed it above
        raise invalid_request("invalid client_assertion format", "Y04E1CFF")
    await _verify_assertion(db, state, client, form["client_assertion"], assertion, endpoint_url)
    return client


def _basic_client_id(header: str) -> str:
    """Only to name the client in the refusal: FranceConnect does not enable client_secret_basic."""
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        return unquote(decoded.split(":", 1)[0])
    except (ValueError, UnicodeDecodeError):
        raise invalid_request("invalid authorization header value format", "Y04F62CD") from None


async def _client_keys(client: FcServiceProvider) -> KeySet:
    if client.jwks is not None:
        return KeySet.import_key_set(client.jwks)  # type: ignore[arg-type]  # a JWKS dict, checked at registration
    if not client.jwks_uri:
        raise invalid_client("client JSON Web Key Set is invalid", "Y0450142")
    try:
        async with httpx.AsyncClient(timeout=JWKS_URI_TIMEOUT_SECONDS) as http:
            answer = await http.get(client.jwks_uri)
        answer.raise_for_status()
        return KeySet.import_key_set(answer.json())
    except (httpx.HTTPError, ValueError, JoseError, TypeError, KeyError):
        raise invalid_client("client JSON Web Key Set is invalid", "Y0450142") from None


async def _verify_assertion(
    db: AsyncSession,
    state: FranceConnectState,
    client: FcServiceProvider,
    value: str,
    payload: dict[str, Any],
    endpoint_url: str,
) -> None:
    """oidc-provider's jwt_client_auth, in its order."""
    if not payload.get("exp"):
        raise invalid_client("expiration must be specified in the client_assertion JWT", "Y0480889")
    if not payload.get("jti"):
        raise invalid_client("unique jti (JWT ID) must be provided in the client_assertion JWT", "Y04C5ACB")
    if not payload.get("iss"):
        raise invalid_client("iss (JWT issuer) must be provided in the client_assertion JWT", "Y04AC0DD")
    if payload["iss"] != client.client_id:
        raise invalid_client("iss (JWT issuer) must be the client_id", "Y0421A2A")
    audience = payload.get("aud")
    if not audience:
        raise invalid_client("aud (JWT audience) must be provided in the client_assertion JWT", "Y0464868")
    accepted = {endpoint_url, state.issuer, state.url("/token")}
    if isinstance(audience, list):
        if not accepted & set(audience):
            raise invalid_client(
                "list of audience (aud) must include the endpoint url, issuer identifier or token endpoint url",
                "Y045642B",
            )
    elif audience not in accepted:
        raise invalid_client(
            "audience (aud) must equal the endpoint url, issuer identifier or token endpoint url", "Y04C17F5"
        )
    try:
        header = _unverified_part(value, 0)
    except ValueError:
        raise invalid_request("invalid client_assertion format", "Y04E1CFF") from None
    if header.get("alg") not in CLIENT_AUTH_ALGS:
        raise invalid_client("alg mismatch", "Y046737D")
    keys = await _client_keys(client)
    try:
        jws.deserialize_compact(value, keys, registry=CLIENT_AUTH_REGISTRY)
    except (JoseError, ValueError):
        raise invalid_client("invalid signature", "Y04F7688") from None
    now = state.clock.now()
    if not isinstance(payload["exp"], int | float) or payload["exp"] <= now.timestamp():
        raise invalid_client("jwt expired", "Y04F7688")
    if isinstance(payload.get("nbf"), int | float) and payload["nbf"] > now.timestamp():
        raise invalid_client("jwt not active", "Y04F7688")
    expires_at = datetime.fromtimestamp(payload["exp"], tz=UTC)
    if not await use_client_assertion(db, client.client_id, str(payload["jti"]), expires_at, now):
        raise invalid_client("client assertion tokens must only be used once", "Y0486328")
