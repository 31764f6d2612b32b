"""The whole FranceConnect journey in a real browser (Playwright driving Debian's chromium), on real
servers: the demo service provider (FS), FranceConnect, and the gateway over HTTPS with mutual TLS,
all on one temporary sandbox on free loopback ports (``start_sandbox(..., with_demo_fs=True)``).

The browser clicks "S’identifier avec FranceConnect" on the demo FS, picks the identity provider, logs in on the identity
provider page as the couple's déclarant 1 (password 123), consents, and lands back on the demo FS,
which has called the gateway's FC route with the FranceConnect token: the DGFIP data it shows are
those the SPI route returns for that SPI, restricted to what the user consented to. Screenshots
under test-artifacts/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dgfip_sandbox.apis.impot_particulier.calendar import latest_taxed_annrev
from dgfip_sandbox.demo_fs.display import euros
from dgfip_sandbox.testing.sandbox import DgfipSandbox, start_sandbox

pytestmark = pytest.mark.services

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SPI = "1000000001084"  # couple_marie, déclarant 1: JEAN PIERRE DUPONT
FC_ROUTE = "/impotparticulier/1.0/situations/ir/assiettes/annrev/{year}"
SPI_ROUTE = "/impotparticulier/1.0/spi/{spi}/situations/ir/assiettes/annrev/{year}"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DgfipSandbox]:
    box = start_sandbox(
        tmp_path_factory.mktemp("demo-fs"),
        seed_size=40,
        clock_start=datetime.now(UTC).replace(microsecond=0),
        with_demo_fs=True,
    )
    try:
        yield box
    finally:
        box.stop()


VIEWPORT = {"width": 1100, "height": 1400}


def _no_spaces(text: str) -> str:
    return re.sub(r"\s", "", text)


def test_browser_signs_in_with_franceconnect_and_sees_the_dgfip_data(running: DgfipSandbox, page) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    assert running.demo_fs_url is not None
    year = latest_taxed_annrev(running.clock.now())
    expected = running.client("mairie-demo").get(SPI_ROUTE.format(spi=SPI, year=year))
    assert expected.status_code == 200, expected.text
    spi_answer = expected.json()
    ARTIFACTS.mkdir(exist_ok=True)

    # The demo FS: one button.
    page.goto(running.demo_fs_url + "/")
    expect(page.locator("h1")).to_have_text("Service en ligne de démonstration")
    expect(page.get_by_text(f"revenus {year}")).to_be_visible()
    expect(page.get_by_role("link", name="Qu’est-ce que FranceConnect ?")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "demo-fs-button.png"), full_page=True)
    page.get_by_role("button", name="S’identifier avec FranceConnect").click()

    # FranceConnect's identity-provider choice, on FranceConnect's own port, then the provider's page.
    page.wait_for_url(f"{running.franceconnect_url}/api/v2/interaction/*")
    expect(page.locator("h2")).to_have_text("Choisissez un compte pour vous connecter :")
    page.click("#idp-fip-demo-dgfip-sandbox")
    page.wait_for_url("**/fi")
    expect(page.locator("h1")).to_have_text("Identifiez-vous")
    expect(page.locator(f'table.identities button[data-login="{SPI}"]')).to_be_visible()
    page.fill("#login", SPI)
    page.fill("#password", "123")
    page.click("#submit-login")

    # The consent page names the service and the DGFIP data requested.
    page.wait_for_url("**/consent")
    expect(page.locator("h1")).to_have_text("Vous allez vous connecter en tant que :")
    expect(page.locator("h2.fc-identity")).to_have_text("Jean Pierre DUPONT")
    page.click("summary")  # "Données transmises"
    labels = set(page.locator("ul.claims li").all_inner_texts())
    assert {
        "Revenu fiscal de référence",
        "Nombre de parts du foyer fiscal",
        "Situation de famille (marié, pacsé, célibataire, veuf, divorcé)",
    } <= labels
    assert "Catégorie 1 - Salaires, pensions, rentes" not in labels  # not requested by the demo FS
    page.screenshot(path=str(ARTIFACTS / "demo-fs-consent.png"), full_page=True)
    page.click("#consent-submit")

    # Back on the demo FS, which called the gateway's FranceConnect route.
    page.wait_for_url(running.demo_fs_url + "/")
    expect(page.locator("#identity")).to_contain_text("Jean Pierre")
    expect(page.locator("#identity")).to_contain_text("DUPONT")
    expect(page.locator("#data-status")).to_have_text("200")
    rfr_cell = page.locator('#situation tr[data-field="rfr"] td')
    expect(rfr_cell).to_be_visible()
    assert _no_spaces(rfr_cell.inner_text()) == _no_spaces(euros(spi_answer["rfr"]))
    expect(page.locator('#situation tr[data-field="rfr"] th')).to_have_text("Revenu fiscal de référence")
    expect(page.locator('#situation tr[data-field="sitFam"] td')).to_have_text("Marié(e)s (M)")
    expect(page.locator('#situation tr[data-field="nbPart"] td')).to_have_text(
        str(spi_answer["nbPart"]).replace(".0", "")
    )
    page.screenshot(path=str(ARTIFACTS / "demo-fs-dgfip-data.png"), full_page=True)

    # The raw answer: the SPI route's values, restricted to the consent (∩ the consumer's DataPass).
    shown = json.loads(page.locator("#data").text_content() or "null")
    assert shown["rfr"] == spi_answer["rfr"]
    assert shown == {name: spi_answer[name] for name in shown}
    assert {
        "rfr",
        "sitFam",
        "nbPart",
        "pac",
        "aft",
        "aftDetail",
        "nmNaiDec1",
        "prnmDec1",
        "nmNaiDec2",
    } <= set(shown)
    # FranceConnect's scope library has no dgfip_rbg: the FC route cannot serve revenuBrutGlobal
    assert "revenuBrutGlobal" not in shown
    assert "rev" not in shown  # revenus catégoriels were not consented
    rows = page.locator("#situation tbody tr")
    assert [rows.nth(i).get_attribute("data-field") for i in range(rows.count())] == list(shown)

    # The gateway's journal: the demo consumer's call on the FranceConnect route, with the FC token.
    entry = next(e for e in running.journal("mairie-demo", limit=10) if e["path"] == FC_ROUTE.format(year=year))
    assert entry["status"] == 200
    assert "x-franceconnect-oauth" in {name.lower() for name in entry["request"]["headers"]}

    # Logging out goes through FranceConnect and back to the button.
    page.click("#logout")
    page.wait_for_url(running.demo_fs_url + "/")
    expect(page.get_by_role("button", name="S’identifier avec FranceConnect")).to_be_visible()


def test_the_same_journey_without_a_browser_from_127_0_0_1(running: DgfipSandbox) -> None:
    """The same servers driven by httpx (runs where chromium is missing), entering the demo FS by
    127.0.0.1 this time: FranceConnect sends the browser back to that origin, where its cookie is."""
    import httpx

    assert running.demo_fs_url is not None
    demo = running.demo_fs_url.replace("localhost", "127.0.0.1")
    year = latest_taxed_annrev(running.clock.now())
    rfr = running.client("mairie-demo").get(SPI_ROUTE.format(spi=SPI, year=year)).json()["rfr"]
    csrf = re.compile(r'name="csrfToken" value="([^"]+)"')
    provider = re.compile(r'name="providerUid" value="([^"]+)"')
    with httpx.Client(timeout=15, follow_redirects=True) as browser:
        choice = browser.get(demo + "/login")
        assert choice.status_code == 200 and "Choisissez un compte pour vous connecter" in choice.text
        uid = str(choice.url).rstrip("/").split("/")[-1]
        idp = browser.post(
            f"{running.franceconnect_url}/api/v2/interaction/{uid}/redirect-to-idp",
            data={
                "providerUid": provider.search(choice.text).group(1),  # type: ignore[union-attr]
                "csrfToken": csrf.search(choice.text).group(1),  # type: ignore[union-attr]
            },
        )
        assert idp.status_code == 200 and "Identifiez-vous" in idp.text
        consent = browser.post(
            f"{running.franceconnect_url}/api/v2/interaction/{uid}/login",
            data={"login": SPI, "password": "123", "csrfToken": csrf.search(idp.text).group(1)},  # type: ignore[union-attr]
        )
        assert str(consent.url).endswith("/consent"), consent.text[:300]
        home = browser.post(
            running.franceconnect_url + "/api/v2/login",
            data={"interactionId": uid, "csrfToken": csrf.search(consent.text).group(1)},  # type: ignore[union-attr]
        )
    assert str(home.url) == demo + "/"
    assert [str(r.url).split("?")[0] for r in home.history][-1] == demo + "/callback"
    assert 'id="data-status">200<' in home.text
    assert (
        f'<tr data-field="rfr"><th scope="row">Revenu fiscal de référence</th><td>{euros(rfr)}</td></tr>' in home.text
    )


def test_the_plugin_token_helper_goes_through_franceconnects_pages(running: DgfipSandbox) -> None:
    """The pytest plugin's browserless helper: tile, provider's page, consent, token (client_secret_post),
    and the token works on the gateway's FranceConnect route."""
    tokens = running.franceconnect_token(SPI, ["identite_pivot", "dgfip_rfr", "dgfip_annee_n_moins_1"])
    assert tokens.scope == "openid identite_pivot dgfip_rfr dgfip_annee_n_moins_1"
    assert tokens.token_type == "Bearer" and tokens.expires_in == 60
    year = latest_taxed_annrev(running.clock.now())
    answer = running.client("mairie-demo").get(
        FC_ROUTE.format(year=year), headers={"X-FranceConnect-OAuth": tokens.access_token}
    )
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) >= {"rfr"}
