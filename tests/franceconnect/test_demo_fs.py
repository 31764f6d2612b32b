"""The demo FS end to end in-process: its button, FranceConnect's pages, its callback, and the call
to the gateway's FC route (a stand-in gateway checks what the demo FS sends)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from dgfip_sandbox.assembly import build_demo_fs_app
from dgfip_sandbox.clock import FrozenClock
from dgfip_sandbox.demo_fs.app import DEMO_CONSUMER
from dgfip_sandbox.franceconnect.checktoken_client import ChecktokenClient
from dgfip_sandbox.franceconnect.reconciliation import find_spi
from dgfip_sandbox.franceconnect.registry import DEMO_FS
from dgfip_sandbox.store.database import create_engine, create_sessionmaker

from .fc_flow import FlowDriver

pytestmark = pytest.mark.anyio


async def test_demo_fs_runs_the_whole_flow(fc_client, fc_settings, fc_clock):
    fc_settings.credentials_path.write_text(
        json.dumps(
            {
                "gateway": {"base_url": "https://localhost:8443", "ca_cert": None},
                "consumers": [
                    {
                        "name": DEMO_CONSUMER,
                        "cert": "c.pem",
                        "key": "k.pem",
                        "client_id": "mairie",
                        "client_secret": "s",
                        "id_teleservice": "TELESERVICE-DEMO",
                    }
                ],
            }
        )
    )
    checktoken = ChecktokenClient(fc_settings, transport=fc_client._transport)
    engine = create_engine(fc_settings.sqlalchemy_url)
    seen: list[httpx.Request] = []

    async def gateway(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "apim-token", "token_type": "Bearer", "expires_in": 3600})
        # what the real gateway will do: checktoken, then réconciliation
        introspection = await checktoken.introspect(request.headers["X-FranceConnect-OAuth"])
        async with create_sessionmaker(engine)() as session:
            spi = await find_spi(session, introspection.identity)
        return httpx.Response(200, json={"rfr": 36705, "spi_reconcilie": spi, "scopes": sorted(introspection.scopes)})

    app = build_demo_fs_app(
        fc_settings, fc_transport=fc_client._transport, gateway_transport=httpx.MockTransport(gateway)
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8446") as demo:
        home = await demo.get("/")
        # FranceConnect's official button and its help link
        assert '<span class="fr-connect__login">S’identifier avec</span>' in home.text
        assert '<span class="fr-connect__brand">FranceConnect</span>' in home.text
        assert ">Qu’est-ce que FranceConnect ?</a>" in home.text
        assert "<link" not in home.text and "<script" not in home.text  # nothing loaded from elsewhere
        start = await demo.get("/login")
        assert start.status_code == 303
        authorize = urlsplit(start.headers["location"])
        assert authorize.path == "/api/v2/authorize"
        location = await FlowDriver(fc_client, fc_settings, fc_clock).browse(
            start.headers["location"], login="1234567890123"
        )
        callback = urlsplit(location)
        assert callback.netloc == "localhost:8446" and callback.path == "/callback"
        done = await demo.get(f"/callback?{callback.query}")
        assert done.status_code == 303
        page = await demo.get("/")
        assert "Elodie Marie" in page.text and "LEFEBVRE" in page.text
        assert "36705" in page.text and "1234567890123" in page.text
        data_call = seen[-1]
        assert data_call.url.path.startswith("/impotparticulier/1.0/situations/ir/assiettes/annrev/")
        assert data_call.headers["Authorization"] == "Bearer apim-token"
        assert data_call.headers["ID_Teleservice"] == "TELESERVICE-DEMO"
        assert data_call.headers["X-Correlation-ID"]
        # logout goes through FranceConnect and comes back
        out = await demo.get("/logout")
        end = urlsplit(out.headers["location"])
        assert end.path == "/api/v2/session/end"
        back_out = await fc_client.get(f"{end.path}?{end.query}")
        assert back_out.status_code == 303
        final = urlsplit(back_out.headers["location"])
        await demo.get(f"{final.path}?{final.query}")
        assert 'class="fr-connect"' in (await demo.get("/")).text
    await checktoken.aclose()
    await engine.dispose()


async def test_demo_fs_rejects_a_wrong_state(fc_client, fc_settings):
    app = build_demo_fs_app(fc_settings, fc_transport=fc_client._transport)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8446") as demo:
        await demo.get("/login")
        await demo.get("/callback?code=x&state=forged")
        assert "state ne correspond pas" in (await demo.get("/")).text


async def test_demo_fs_rejects_an_answer_from_another_issuer(fc_client, fc_settings):
    """RFC 9207: the callback's iss must be the FranceConnect the demo FS called (mix-up defence)."""
    app = build_demo_fs_app(fc_settings, fc_transport=fc_client._transport)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8446") as demo:
        start = await demo.get("/login")
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        await demo.get(f"/callback?code=x&state={state}&iss=https://autre-fournisseur.example/api/v2")
        assert "Le paramètre iss ne correspond pas à FranceConnect" in (await demo.get("/")).text


async def test_demo_fs_keeps_the_origin_the_browser_used(fc_client, fc_settings):
    """Opened at 127.0.0.1, the demo FS asks FranceConnect to come back to 127.0.0.1 (also registered):
    the session cookie, set for 127.0.0.1, then comes back with the callback."""
    app = build_demo_fs_app(fc_settings, fc_transport=fc_client._transport)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8446") as demo:
        start = await demo.get("/login")
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["redirect_uri"] == ["http://127.0.0.1:8446/callback"]
    assert query["redirect_uri"][0] in DEMO_FS.redirect_uris(fc_settings)
    # An origin FranceConnect does not know falls back to the first registered one.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://demo.example:8446") as demo:
        start = await demo.get("/login")
    assert parse_qs(urlsplit(start.headers["location"]).query)["redirect_uri"] == ["http://localhost:8446/callback"]


async def test_a_callback_without_session_shows_why(fc_client, fc_settings):
    """A callback reaching a fresh session (cookie lost) says why instead of silently showing the button."""
    app = build_demo_fs_app(fc_settings, fc_transport=fc_client._transport)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8446") as demo:
        back = await demo.get("/callback?code=x&state=y")
        assert back.status_code == 303 and "demo_fs_session" in back.headers.get("set-cookie", "")
        assert "state ne correspond pas" in (await demo.get("/")).text
        refused = await demo.get("/callback?error=access_denied&error_description=user+authentication+aborted")
        assert refused.status_code == 303
        assert "FranceConnect a répondu access_denied : user authentication aborted" in (await demo.get("/")).text


async def test_demo_fs_reaches_franceconnect_where_credentials_json_says(fc_client, fc_settings):
    """`dgfip-sandbox demo-fs` in a second terminal: FranceConnect's issuer comes from what `up` wrote."""
    fc_settings.credentials_path.write_text(json.dumps({"franceconnect": {"issuer": "http://127.0.0.1:28444/api/v2"}}))
    app = build_demo_fs_app(fc_settings, fc_transport=fc_client._transport)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8446") as demo:
        start = await demo.get("/login")
    assert start.headers["location"].startswith("http://127.0.0.1:28444/api/v2/authorize?")


async def test_demo_fs_asks_for_the_latest_taxed_year(fc_client, fc_settings):
    """Before the July campaign, the latest published income year is N-2, not N-1."""
    spring = FrozenClock(datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    app = build_demo_fs_app(fc_settings, clock=spring, fc_transport=fc_client._transport)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8446") as demo:
        assert "(revenus 2025)" in (await demo.get("/")).text
