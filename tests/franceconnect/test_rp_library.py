"""The flow driven by a real relying-party library: Authlib's OAuth2 client (as an FS author would
write it), with the id_token validated by joserfc — client_secret_post, private_key_jwt, and the
refusal Authlib's default (client_secret_basic) meets at FranceConnect."""

from __future__ import annotations

import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from joserfc.jwt import JWTClaimsRegistry

from .fc_flow import DEFAULT_SCOPE, register_fs

pytestmark = pytest.mark.anyio
ISSUER = "http://127.0.0.1:8444/api/v2"


def _rp(fc_client, client_id: str, secret: object, redirect_uri: str, **options: object) -> AsyncOAuth2Client:  # type: ignore[no-untyped-def]
    return AsyncOAuth2Client(
        client_id=client_id,
        client_secret=secret,
        scope=DEFAULT_SCOPE,
        redirect_uri=redirect_uri,
        transport=fc_client._transport,
        **options,
    )


async def _validated_id_token(rp: AsyncOAuth2Client, token: dict, client_id: str, nonce: str, now: int) -> dict:
    jwks = (await rp.request("GET", ISSUER + "/jwks", withhold_token=True)).json()
    claims = jwt.decode(token["id_token"], KeySet.import_key_set(jwks), algorithms=["ES256", "RS256"]).claims
    JWTClaimsRegistry(
        now=now,
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": client_id},
        nonce={"essential": True, "value": nonce},
        acr={"essential": True, "value": "eidas1"},
        sub={"essential": True},
    ).validate(claims)
    return claims


async def test_authlib_with_client_secret_post(flow, fc_client, fc_clock):
    spec = flow.sp()
    redirect_uri = spec.redirect_uris(flow.settings)[0]
    async with _rp(
        fc_client, spec.client_id, flow.secret(), redirect_uri, token_endpoint_auth_method="client_secret_post"
    ) as rp:
        url, state = rp.create_authorization_url(ISSUER + "/authorize", nonce=flow.nonce, acr_values="eidas1")
        callback = await flow.browse(url)
        assert f"state={state}" in callback and "iss=http" in callback  # RFC 9207: the RP can check who answered
        token = await rp.fetch_token(ISSUER + "/token", authorization_response=callback, state=state)
        claims = await _validated_id_token(rp, token, spec.client_id, flow.nonce, int(fc_clock.now().timestamp()))
        assert token["scope"] == DEFAULT_SCOPE and token["token_type"] == "Bearer"
        info = await rp.request(
            "GET",
            ISSUER + "/userinfo",
            headers={"Authorization": f"Bearer {token['access_token']}"},
            withhold_token=True,
        )
        assert info.status_code == 200 and info.headers["content-type"] == "application/jwt"
        userinfo = jwt.decode(
            info.text, KeySet.import_key_set((await rp.request("GET", ISSUER + "/jwks", withhold_token=True)).json())
        ).claims
        assert userinfo["sub"] == claims["sub"] and userinfo["family_name"] == "DUPONT"


async def test_authlib_default_basic_auth_is_refused_with_franceconnects_error(flow, fc_client):
    spec = flow.sp()
    redirect_uri = spec.redirect_uris(flow.settings)[0]
    async with _rp(
        fc_client, spec.client_id, flow.secret(), redirect_uri
    ) as rp:  # Authlib's default: client_secret_basic
        url, state = rp.create_authorization_url(ISSUER + "/authorize", nonce=flow.nonce, acr_values="eidas1")
        callback = await flow.browse(url)
        with pytest.raises(OAuthError) as refused:
            await rp.fetch_token(ISSUER + "/token", authorization_response=callback, state=state)
    assert refused.value.error == "invalid_client"
    assert refused.value.description == (
        "client authentication failed (the provided authentication mechanism does not match the registered "
        "client authentication method)"
    )


async def test_authlib_pkce_is_refused_before_any_token(flow, fc_client):
    """Authlib's PKCE (code_challenge_method=S256) meets FranceConnect's Y030007 page at /authorize."""
    spec = flow.sp()
    redirect_uri = spec.redirect_uris(flow.settings)[0]
    async with _rp(
        fc_client,
        spec.client_id,
        flow.secret(),
        redirect_uri,
        token_endpoint_auth_method="client_secret_post",
        code_challenge_method="S256",
    ) as rp:
        url, _state = rp.create_authorization_url(
            ISSUER + "/authorize", nonce=flow.nonce, acr_values="eidas1", code_verifier="v" * 48
        )
        page = await fc_client.get(url)
    assert page.status_code == 400 and '<code id="error-code">Y030007</code>' in page.text


async def test_authlib_with_private_key_jwt(flow, fc_client, fc_clock, fc_settings):
    key = RSAKey.generate_key(2048, parameters={"alg": "RS256", "use": "sig"}, auto_kid=True)
    client_id, _secret = await register_fs(
        fc_settings,
        "authlib-pkjwt",
        token_endpoint_auth_method="private_key_jwt",
        jwks={"keys": [key.as_dict(private=False)]},
        id_token_signed_response_alg="RS256",
    )
    async with _rp(
        fc_client,
        client_id,
        key.as_dict(private=True),
        "https://authlib-pkjwt.example/callback",
        token_endpoint_auth_method="private_key_jwt",
    ) as rp:
        rp.register_client_auth_method(PrivateKeyJWT(ISSUER + "/token", headers={"kid": key.kid}))
        url, state = rp.create_authorization_url(ISSUER + "/authorize", nonce=flow.nonce, acr_values="eidas1")
        callback = await flow.browse(url)
        token = await rp.fetch_token(ISSUER + "/token", authorization_response=callback, state=state)
        claims = await _validated_id_token(rp, token, client_id, flow.nonce, int(fc_clock.now().timestamp()))
    assert claims["aud"] == client_id
