"""The gateway's checktoken client against the FranceConnect app (httpx.ASGITransport), and the
réconciliation of the pivot identity with the déclarants."""

from __future__ import annotations

import httpx
import pytest

from dgfip_sandbox.franceconnect.checktoken_client import (
    ChecktokenClient,
    ChecktokenRejected,
    FranceConnectUnavailable,
    InvalidChecktokenResponse,
    TokenInactive,
)
from dgfip_sandbox.franceconnect.reconciliation import IncompleteIdentity, NoMatch, SeveralMatches, find_spi
from dgfip_sandbox.franceconnect.registry import DataProviderCredentials
from dgfip_sandbox.franceconnect.seed import HOMONYM_IDENTITY, HOMONYM_SPIS, NO_MATCH_IDENTITY
from dgfip_sandbox.store.database import create_engine, create_sessionmaker

pytestmark = pytest.mark.anyio


@pytest.fixture
async def checktoken(fc_client, fc_settings):
    client = ChecktokenClient(fc_settings, transport=fc_client._transport)
    yield client
    await client.aclose()


@pytest.fixture
async def db(fc_settings):
    engine = create_engine(fc_settings.sqlalchemy_url)
    async with create_sessionmaker(engine)() as session:
        yield session
    await engine.dispose()


async def test_introspect_returns_identity_scopes_and_client(flow, checktoken, db):
    tokens = await flow.tokens()
    result = await checktoken.introspect(tokens["access_token"])
    assert result.client_id == flow.sp().client_id
    assert result.scopes == {"dgfip_rfr", "dgfip_nbpart", "dgfip_sitfam"}
    assert result.acr == "eidas1" and result.jti and result.sub.endswith("v1")
    assert result.identity.family_name == "DUPONT" and result.identity.given_name_array == ("Jean", "Pierre")
    assert await find_spi(db, result.identity.as_dict()) == "0123456789012"
    assert await find_spi(db, result.identity) == "0123456789012"


async def test_introspect_inactive_token(flow, checktoken, fc_clock):
    with pytest.raises(TokenInactive):
        await checktoken.introspect("inconnu")
    tokens = await flow.tokens()
    fc_clock.advance(61)
    with pytest.raises(TokenInactive):
        await checktoken.introspect(tokens["access_token"])


async def test_wrong_credentials_are_rejected(fc_client, fc_settings):
    creds = DataProviderCredentials.load(fc_settings)
    bad = DataProviderCredentials(**{**creds.__dict__, "client_secret": "faux"})
    async with ChecktokenClient(fc_settings, credentials=bad, transport=fc_client._transport) as client:
        with pytest.raises(ChecktokenRejected) as info:
            await client.introspect("x")
    assert info.value.status_code == 401 and info.value.error == "invalid_client"


async def test_answer_encrypted_to_another_key_is_invalid(fc_client, fc_settings):
    from dgfip_sandbox.franceconnect.keys import generate_encryption_key

    creds = DataProviderCredentials.load(fc_settings)
    other = {"keys": [generate_encryption_key("ECDH-ES").as_dict(private=True)]}
    forged = DataProviderCredentials(**{**creds.__dict__, "private_jwks": other})
    async with ChecktokenClient(fc_settings, credentials=forged, transport=fc_client._transport) as client:
        with pytest.raises(InvalidChecktokenResponse):
            await client.introspect("x")


async def test_unreachable_slow_and_failing_franceconnect(fc_settings):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timeout", request=request)

    def failing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"error": "server_error"})

    for handler in (refuse, slow, failing):
        async with ChecktokenClient(fc_settings, transport=httpx.MockTransport(handler)) as client:
            with pytest.raises(FranceConnectUnavailable):
                await client.introspect("x")


async def test_timeout_is_the_setting(fc_settings):
    client = ChecktokenClient(fc_settings.model_copy(update={"fc_checktoken_timeout_seconds": 1.5}))
    assert client._client.timeout.read == 1.5
    await client.aclose()


async def test_reconciliation_cases(db):
    with pytest.raises(SeveralMatches) as several:
        await find_spi(db, HOMONYM_IDENTITY)
    assert several.value.spis == sorted(HOMONYM_SPIS)
    with pytest.raises(NoMatch):
        await find_spi(db, NO_MATCH_IDENTITY)
    # accents and case do not matter; only the first given name counts
    identity = {
        "given_name": "Élodie Marie-Thérèse",
        "family_name": "Lefèbvre",
        "birthdate": "1975-11-02",
        "gender": "female",
        "birthcountry": "99100",
    }
    assert await find_spi(db, identity) == "1234567890123"
    with pytest.raises(NoMatch):
        await find_spi(db, {**identity, "gender": "male"})
    with pytest.raises(NoMatch):
        await find_spi(db, {**identity, "birthcountry": "99243"})
    with pytest.raises(IncompleteIdentity):
        await find_spi(db, {k: v for k, v in identity.items() if k != "birthdate"})
    with pytest.raises(IncompleteIdentity):
        await find_spi(db, {**identity, "gender": "autre"})


async def test_concurrent_checktokens_each_commit_their_event(flow, checktoken, db):
    import asyncio

    from dgfip_sandbox.store.franceconnect import list_events

    tokens = await flow.tokens()
    before = len(await list_events(db, type_="DP_VERIFIED_FC_CHECKTOKEN", limit=1000))
    results = await asyncio.gather(*(checktoken.introspect(tokens["access_token"]) for _ in range(20)))
    assert {r.jti for r in results} == {results[0].jti}
    await db.rollback()  # a fresh read: the events were committed before each answer
    after = await list_events(db, type_="DP_VERIFIED_FC_CHECKTOKEN", limit=1000)
    assert len(after) - before == 20
    assert all(e["data"]["jti"] == results[0].jti for e in after[:20])


def test_the_in_process_transport_reaches_the_app_served_by_this_process(fc_settings):
    from dgfip_sandbox.assembly import build_franceconnect_app, in_process_checktoken
    from dgfip_sandbox.franceconnect.in_process import InProcessChecktoken

    assert in_process_checktoken(None) is None  # FranceConnect served elsewhere: real HTTP
    app = build_franceconnect_app(fc_settings)
    transport = in_process_checktoken(app)
    assert isinstance(transport, InProcessChecktoken) and transport.app is app


async def test_one_refused_event_costs_the_others_of_its_group_nothing(fc_settings):
    import asyncio
    from datetime import UTC, datetime

    from dgfip_sandbox.store.franceconnect import EventBatcher, open_checktoken_store

    groups: list[int] = []
    engine = create_engine(fc_settings.sqlalchemy_url)
    store = open_checktoken_store(engine)
    insert_events = store.insert_events

    async def recorded(rows):  # type: ignore[no-untyped-def]
        groups.append(len(rows))
        await insert_events(rows)

    store.insert_events = recorded  # type: ignore[method-assign]
    batcher = EventBatcher()
    at = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    # The three calls under way share one group, one of them unstorable.
    first, good, bad = await asyncio.gather(
        batcher.record(store, "DP_VERIFIED_FC_CHECKTOKEN", at, data={"jti": "premier"}),
        batcher.record(store, "DP_VERIFIED_FC_CHECKTOKEN", at, data={"jti": "bon"}),
        batcher.record(store, "DP_VERIFIED_FC_CHECKTOKEN", at, data={"jti": object()}),  # not JSON
        return_exceptions=True,
    )
    await store.close()
    await engine.dispose()
    assert first is None and good is None
    assert isinstance(bad, Exception)
    assert groups == [3, 1, 1, 1]  # the group refused, then each of its events alone
