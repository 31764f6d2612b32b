"""A real browser (Debian's chromium driven by Playwright) clicks through the FranceConnect pages
served by uvicorn: identity provider page, consent page, back to the service provider.

Skips with its reason when chromium or Playwright is missing, and fails instead when
DGFIP_SANDBOX_REQUIRE_SERVICES=1. Never runs ``playwright install``: it uses /usr/bin/chromium.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import uvicorn

from dgfip_sandbox.assembly import build_franceconnect_app
from dgfip_sandbox.franceconnect.registry import DEMO_FS

from .conftest import make_settings, prepare_database

CHROMIUM = os.environ.get("DGFIP_SANDBOX_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = pytest.mark.services


def _require_browser() -> None:
    reason = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "the Python package playwright is not installed (pip install -e '.[test]')"
    if reason is None and not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        reason = f"no chromium at {CHROMIUM} (apt-get install -y chromium)"
    if reason:
        if os.environ.get("DGFIP_SANDBOX_REQUIRE_SERVICES") == "1":
            pytest.fail(f"DGFIP_SANDBOX_REQUIRE_SERVICES=1 but {reason}")
        pytest.skip(reason)


class _Server(uvicorn.Server):
    """A uvicorn server that sets ``startup_done`` when its startup ends, listening or not."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.startup_done = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.startup_done.set()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served_franceconnect(tmp_path: Path):
    _require_browser()
    port = _free_port()
    settings = make_settings(tmp_path, fc_port=port)
    prepare_database(settings)
    app = build_franceconnect_app(settings)
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    # Told by the server when its startup ended (listening, or failed): no polling.
    if not server.startup_done.wait(timeout=20) or not server.started:
        pytest.fail("uvicorn did not start")
    yield settings
    server.should_exit = True
    thread.join(timeout=10)


def test_browser_clicks_through_identity_and_consent(served_franceconnect):
    from playwright.sync_api import sync_playwright

    settings = served_franceconnect
    state, nonce = "etat-navigateur-0001", "nonce-navigateur-0123456789"
    redirect_uri = DEMO_FS.redirect_uris(settings)[0]
    authorize = (
        settings.franceconnect_base_url
        + "/api/v2/authorize?"
        + urlencode(
            {
                "client_id": DEMO_FS.client_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": "openid identite_pivot dgfip_rfr dgfip_nbpart dgfip_aft",
                "state": state,
                "nonce": nonce,
                "acr_values": "eidas1",
            }
        )
    )
    ARTIFACTS.mkdir(exist_ok=True)
    callbacks: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page()

            # Stand in for the service provider's callback (nothing listens on the demo FS port here).
            def fake_callback(route):  # type: ignore[no-untyped-def]
                callbacks.append(route.request.url)
                route.fulfill(status=200, content_type="text/html", body="<h1>Retour sur le service</h1>")

            page.route("http://localhost:8446/**", fake_callback)
            page.goto(authorize)
            # FranceConnect's own page first: the identity-provider tiles.
            assert page.locator("h1").inner_text() == "Connexion en cours sur Service en ligne de démonstration"
            assert page.locator("h2").inner_text() == "Choisissez un compte pour vous connecter :"
            page.screenshot(path=str(ARTIFACTS / "franceconnect-idp-choice.png"), full_page=True)
            page.click("#idp-fip-demo-dgfip-sandbox")
            # Then the identity provider's own login page.
            page.wait_for_url("**/fi")
            assert page.locator("h1").inner_text() == "Identifiez-vous"
            assert page.locator("table.identities").is_visible()
            assert page.locator("text=sans_correspondance").count() == 1
            page.screenshot(path=str(ARTIFACTS / "franceconnect-identity-provider.png"), full_page=True)

            # Type the credentials like a person would (the list also has one-click buttons).
            page.fill("#login", "0123456789012")
            page.fill("#password", "123")
            page.click("#submit-login")
            page.wait_for_url("**/consent")
            assert page.locator("h1").inner_text() == "Vous allez vous connecter en tant que :"
            assert page.locator("h2.fc-identity").inner_text() == "Jean Pierre DUPONT"
            assert page.locator("summary").inner_text() == "Données transmises"
            page.click("summary")
            providers = page.locator("p.provider-title").all_inner_texts()
            assert providers == [
                "Informations récupérées depuis FranceConnect",
                "Informations récupérées depuis Direction générale des Finances publiques",
            ]
            labels = page.locator("ul.claims li").all_inner_texts()
            assert {
                "Revenu fiscal de référence",
                "Nombre de parts du foyer fiscal",
                "Adresse déclarée au 1er Janvier",
            } <= set(labels)
            page.screenshot(path=str(ARTIFACTS / "franceconnect-consent.png"), full_page=True)

            page.click("#consent-submit")
            page.wait_for_url("http://localhost:8446/callback**")
            assert page.locator("h1").inner_text() == "Retour sur le service"
        finally:
            browser.close()
    query = parse_qs(urlsplit(callbacks[-1]).query)
    assert query["state"] == [state] and len(query["code"][0]) >= 43
    assert query["iss"] == [settings.franceconnect_base_url + "/api/v2"]
