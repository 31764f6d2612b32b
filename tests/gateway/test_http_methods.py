"""HTTP methods as RFC 9110 says: Allow on every 405, HEAD wherever GET is served, OPTIONS answered with
Allow, and no redirect for a trailing slash (an unknown path is a 404 in DGFIP's envelope)."""

from __future__ import annotations

import pytest

from dgfip_sandbox.seed import personas_impot as P

pytestmark = pytest.mark.anyio

ROUTE = f"/impotparticulier/1.0/spi/{P.SPI_COUPLE_DEC1}/situations/ir/assiettes/annrev/2025"


async def test_405_carries_allow_in_the_envelope(sandbox) -> None:  # type: ignore[no-untyped-def]
    client = await sandbox.client("mairie-demo")
    response = await client.post(ROUTE)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert response.json()["erreur"]["code"] == 405


async def test_405_on_token_lists_post(sandbox) -> None:  # type: ignore[no-untyped-def]
    response = await sandbox.raw_client(cert=sandbox.consumer("mairie-demo")["cert"]).get("/token")
    assert response.status_code == 405
    assert response.headers["allow"] == "OPTIONS, POST"


async def test_head_is_served_wherever_get_is(sandbox) -> None:  # type: ignore[no-untyped-def]
    client = await sandbox.client("mairie-demo")
    got = await client.get(ROUTE)
    head = await client.head(ROUTE)
    assert got.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == got.headers["content-length"]
    health = await sandbox.raw_client(cert=None).head("/health")
    assert health.status_code == 200
    assert health.content == b""


async def test_head_runs_the_whole_pipeline(sandbox) -> None:  # type: ignore[no-untyped-def]
    response = await sandbox.raw_client(cert=None).head(ROUTE)
    assert response.status_code == 401
    assert response.content == b""


async def test_options_answers_allow_without_authentication(sandbox) -> None:  # type: ignore[no-untyped-def]
    anonymous = sandbox.raw_client(cert=None)
    response = await anonymous.options(ROUTE)
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    unknown = await anonymous.options("/impotparticulier/1.0/nulle-part")
    assert unknown.status_code == 404
    assert unknown.json()["erreur"]["code"] == 404


async def test_a_trailing_slash_is_an_unknown_path_not_a_redirect(sandbox) -> None:  # type: ignore[no-untyped-def]
    client = await sandbox.client("mairie-demo")
    response = await client.get(ROUTE + "/")
    assert response.status_code == 404
    assert "location" not in response.headers
    assert response.json()["erreur"]["code"] == 404
