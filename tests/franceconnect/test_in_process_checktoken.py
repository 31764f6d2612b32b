"""The in-process checktoken transport answers exactly as FranceConnect's app does over its ASGI
stack: the same statuses, headers and error bodies for every refused form, and a JWE that opens to
the same introspection for a valid one."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest

from dgfip_sandbox.franceconnect.checktoken_client import ChecktokenClient
from dgfip_sandbox.franceconnect.in_process import InProcessChecktoken
from dgfip_sandbox.franceconnect.registry import DataProviderCredentials

pytestmark = pytest.mark.anyio

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def transports(fc_client):
    app = fc_client._transport.app
    return httpx.ASGITransport(app=app, client=("127.0.0.1", 0)), InProcessChecktoken(app)


def _cases(creds: DataProviderCredentials) -> dict[str, tuple[str, bytes]]:
    good = {"token": "inconnu", "client_id": creds.client_id, "client_secret": creds.client_secret}
    return {
        "unknown token": (FORM, urlencode(good).encode()),
        "wrong secret": (FORM, urlencode({**good, "client_secret": "faux"}).encode()),
        "missing field": (FORM, urlencode({"token": "x", "client_id": creds.client_id}).encode()),
        "extra field": (FORM, urlencode({**good, "scope": "openid"}).encode()),
        "empty field": (FORM, urlencode({**good, "token": ""}).encode()),
        "field twice": (FORM, (urlencode(good) + "&token=y").encode()),
        "control byte": (FORM, urlencode({**good, "token": "a\x00b"}).encode()),
        "json body": ("application/json", b'{"token": "x"}'),
        "no content type": ("", urlencode(good).encode()),
        "raw non-ASCII": (FORM, "token=é&client_id=a&client_secret=b".encode()),
    }


@pytest.mark.parametrize(
    "case",
    [
        "unknown token",
        "wrong secret",
        "missing field",
        "extra field",
        "empty field",
        "field twice",
        "control byte",
        "json body",
        "no content type",
        "raw non-ASCII",
    ],
)
async def test_each_form_gets_the_answer_the_app_gives(case, transports, fc_settings):
    content_type, body = _cases(DataProviderCredentials.load(fc_settings))[case]
    answers = []
    for transport in transports:
        headers = {"content-type": content_type} if content_type else {}
        request = httpx.Request("POST", "http://fc.test/api/v2/checktoken", headers=headers, content=body)
        response = await transport.handle_async_request(request)
        await response.aread()
        answers.append(response)
    asgi, direct = answers
    assert direct.status_code == asgi.status_code
    assert direct.headers.get("content-type") == asgi.headers.get("content-type")
    assert direct.headers.get("cache-control") == asgi.headers.get("cache-control")
    if asgi.headers.get("content-type", "").startswith("application/json"):
        assert direct.json() == asgi.json()
    else:  # a JWE: different bytes (a fresh key and IV each time), checked by the next test
        assert direct.status_code == 200 and direct.text.count(".") == 4


async def test_a_valid_token_opens_to_the_same_introspection(flow, fc_client, fc_settings):
    tokens = await flow.tokens()
    app = fc_client._transport.app
    results = []
    for transport in (httpx.ASGITransport(app=app), InProcessChecktoken(app)):
        async with ChecktokenClient(fc_settings, transport=transport) as client:
            results.append(await client.introspect(tokens["access_token"]))
    assert results[0] == results[1]
    assert results[1].scopes == {"dgfip_rfr", "dgfip_nbpart", "dgfip_sitfam"}


async def test_other_requests_go_through_the_app(transports):
    _asgi, direct = transports
    response = await direct.handle_async_request(httpx.Request("GET", "http://fc.test/api/v2/jwks"))
    await response.aread()
    assert response.status_code == 200 and response.json()["keys"]
    response = await direct.handle_async_request(httpx.Request("POST", "http://fc.test/api/v2/checktoken?x=1"))
    await response.aread()
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


async def test_checktoken_answers_while_another_process_holds_the_write_lock(flow, fc_client, fc_settings):
    import asyncio
    import sqlite3

    from dgfip_sandbox.store.franceconnect import list_events

    if not fc_settings.sqlalchemy_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    tokens = await flow.tokens()
    app = fc_client._transport.app
    other = sqlite3.connect(app.state.franceconnect.engine.url.database, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holding the write lock
        async with ChecktokenClient(fc_settings, transport=InProcessChecktoken(app)) as client:
            task = asyncio.ensure_future(client.introspect(tokens["access_token"]))
            for _ in range(3):  # a few turns of the loop: the read is done, the event waits off the loop
                await asyncio.sleep(0)
            assert not task.done()
            other.execute("ROLLBACK")
            result = await task
    finally:
        other.close()
    assert result.jti
    async with app.state.franceconnect.sessionmaker() as db:
        events = await list_events(db, type_="DP_VERIFIED_FC_CHECKTOKEN", limit=10)
    assert any(e["data"]["jti"] == result.jti for e in events)
