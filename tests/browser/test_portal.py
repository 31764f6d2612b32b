"""The developer portal in a real browser (Playwright driving Debian's chromium), screenshot under test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dgfip_sandbox.testing.sandbox import DgfipSandbox, start_sandbox

pytestmark = pytest.mark.services

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DgfipSandbox]:
    box = start_sandbox(
        tmp_path_factory.mktemp("portal"), seed_size=40, clock_start=datetime.now(UTC).replace(microsecond=0)
    )
    try:
        yield box
    finally:
        box.stop()


def test_portal_shows_routes_credentials_quota_personas_and_the_live_journal(running: DgfipSandbox, page) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    refused = page.goto(f"{running.admin_url}/portal")
    assert refused is not None and refused.status == 401
    expect(page.get_by_label("Jeton d'administration")).to_be_visible()

    # The login form posts the token (never in a URL) and comes back to the portal with the cookie.
    page.get_by_label("Jeton d'administration").fill(running.admin_token)
    with page.expect_response(f"{running.admin_url}/portal/login") as login:
        page.get_by_role("button", name="Entrer").click()
    assert login.value.status == 303, login.value.text()
    page.wait_for_load_state()
    assert page.url == f"{running.admin_url}/portal" and running.admin_token not in page.url
    expect(page.locator("h1")).to_have_text("Portail développeur du bac à sable DGFiP")
    # APIs and routes from the gateway's OpenAPI document
    expect(page.locator("#apis")).to_contain_text("/token")
    expect(page.locator("#apis")).to_contain_text("/sandbox/journal")
    # The chosen consumer: credentials from var/credentials.json, scopes, quota
    page.select_option("#consumer", "caf-demo")
    caf = running.consumer("caf-demo")
    expect(page.locator("#credentials")).to_contain_text(caf.client_id)
    expect(page.locator("#credentials")).to_contain_text(caf.client_secret)
    expect(page.locator("#scopes")).to_contain_text("dgfip_sitfam")
    expect(page.locator("#quota")).to_contain_text("0 / 500")
    # Personas
    expect(page.locator("#personas tbody tr").first).to_be_visible()

    # A call through the gateway appears in the journal (polled), with the failing check of a refusal.
    client = running.client("caf-demo")
    assert client.get("/sandbox/audit", headers={"X-Sandbox-Scenario": "error=503"}).status_code == 503
    journal = page.locator("#journal tbody")
    expect(journal).to_contain_text("/sandbox/audit", timeout=10_000)
    expect(journal).to_contain_text("scenario : Service indisponible")
    expect(page.locator("#quota")).to_contain_text("/ 500", timeout=10_000)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "portal.png"), full_page=True)
    assert (ARTIFACTS / "portal.png").stat().st_size > 10_000


def test_portal_refuses_a_wrong_token(running: DgfipSandbox, page) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.goto(f"{running.admin_url}/portal")
    page.get_by_label("Jeton d'administration").fill("faux")
    with page.expect_response(f"{running.admin_url}/portal/login") as answer:
        page.get_by_role("button", name="Entrer").click()
    assert answer.value.status == 401
    expect(page.get_by_role("alert")).to_have_text("Jeton d'administration incorrect.")
    # A token put in the address is refused, not read
    in_url = page.goto(f"{running.admin_url}/portal?token={running.admin_token}")
    assert in_url is not None and in_url.status == 400
    assert not [c for c in page.context.cookies() if c["name"] == "dgfip_sandbox_admin"]
