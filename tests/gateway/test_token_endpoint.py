"""POST /token: client credentials with Basic or form authentication, RFC 6749 errors, certificate binding."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from dgfip_sandbox import pki

pytestmark = pytest.mark.anyio


def claims_of(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


async def test_basic_authentication(sandbox) -> None:
    consumer = sandbox.consumer("caf-demo")
    client = sandbox.raw_client(cert=consumer["cert"])
    response = await client.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "RessourceIR"},
        auth=(consumer["client_id"], consumer["client_secret"]),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "RessourceIR"
    assert response.headers["cache-control"] == "no-store"
    claims = claims_of(body["access_token"])
    assert claims["keytype"] == "SANDBOX"
    assert claims["organisation"] == consumer["organisation"]
    assert claims["application"]
    assert claims["client_id"] == consumer["client_id"]
    assert claims["exp"] - claims["iat"] == 3600
    cert = pki.load_pem_cert(Path(consumer["cert"]).read_bytes())
    assert claims["cnf"] == {"x5t#S256": pki.x5t_s256(cert)}


async def test_form_authentication_and_all_granted_scopes_by_default(sandbox) -> None:
    consumer = sandbox.consumer("caf-demo")
    client = sandbox.raw_client(cert=consumer["cert"])
    response = await client.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_id": consumer["client_id"],
            "client_secret": consumer["client_secret"],
        },
    )
    assert response.status_code == 200, response.text
    assert set(response.json()["scope"].split()) == set(consumer["oauth_scopes"])


async def test_jwks_publishes_the_verification_key(sandbox) -> None:
    response = await sandbox.raw_client(cert=None).get("/.well-known/jwks.json")
    keys = response.json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "EC" and "d" not in keys[0]


@pytest.mark.parametrize(
    ("data", "auth", "status", "error"),
    [
        ({"grant_type": "client_credentials"}, None, 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, ("wrong", "secret"), 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, "bad-secret", 401, "invalid_client"),
        ({}, "good", 400, "invalid_request"),
        ({"grant_type": "password"}, "good", 400, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "scope": "RessourceIFI"}, "good", 400, "invalid_scope"),
        ({"grant_type": "client_credentials", "scope": "RessourceIR Inconnue"}, "good", 400, "invalid_scope"),
    ],
)
async def test_rfc6749_errors(sandbox, data, auth, status, error) -> None:  # type: ignore[no-untyped-def]
    consumer = sandbox.consumer("caf-demo")
    if auth == "good":
        auth = (consumer["client_id"], consumer["client_secret"])
    elif auth == "bad-secret":
        auth = (consumer["client_id"], "pas-le-bon-secret")
    client = sandbox.raw_client(cert=consumer["cert"])
    response = await client.post("/token", data=data, auth=auth)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Basic")


async def test_client_id_of_another_consumer_with_this_certificate(sandbox) -> None:
    caf = sandbox.consumer("caf-demo")
    mairie = sandbox.consumer("mairie-demo")
    client = sandbox.raw_client(cert=caf["cert"])
    response = await client.post(
        "/token", data={"grant_type": "client_credentials"}, auth=(mairie["client_id"], mairie["client_secret"])
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_token_endpoint_requires_the_client_certificate(sandbox) -> None:
    consumer = sandbox.consumer("caf-demo")
    client = sandbox.raw_client(cert=None)
    response = await client.post(
        "/token", data={"grant_type": "client_credentials"}, auth=(consumer["client_id"], consumer["client_secret"])
    )
    assert response.status_code == 401
    assert response.json()["erreur"]["code"] == 900901


async def test_token_endpoint_refuses_other_content_types(sandbox) -> None:
    consumer = sandbox.consumer("caf-demo")
    client = sandbox.raw_client(cert=consumer["cert"])
    response = await client.post(
        "/token", json={"grant_type": "client_credentials"}, auth=(consumer["client_id"], consumer["client_secret"])
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_secrets_are_stored_hashed(sandbox) -> None:
    from sqlalchemy import select

    from dgfip_sandbox.store.consumers import Consumer

    async with sandbox.state.sessionmaker() as session:
        rows = (await session.execute(select(Consumer))).scalars().all()
    secrets = {c["client_secret"] for c in sandbox.credentials["consumers"]}
    for row in rows:
        assert row.client_secret_hash.startswith("sha256$")
        assert not any(secret in row.client_secret_hash for secret in secrets)
