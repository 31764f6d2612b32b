"""The developer portal in a real browser (Playwright driving Debian's chromium), screenshot under test-artifacts/."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
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


def login(page, running: DgfipSandbox) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{running.admin_url}/portal")
    page.get_by_label("Jeton d'administration").fill(running.admin_token)
    with page.expect_response(f"{running.admin_url}/portal/login"):
        page.get_by_role("button", name="Entrer").click()
    page.wait_for_load_state()


def document_width(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"))


ASSIETTES = "/impotparticulier/1.0/spi/{spi}/situations/ir/assiettes/annrev/{annrev}"


def test_the_workbench_builds_the_curl_runs_the_route_and_the_journal_shows_its_detail(
    running: DgfipSandbox,
    page,  # type: ignore[no-untyped-def]
) -> None:
    from playwright.sync_api import expect

    login(page, running)
    page.select_option("#consumer", "caf-demo")
    caf = running.consumer("caf-demo")
    expect(page.locator("#credentials")).to_contain_text(caf.client_id)
    route = page.locator(f'details.route[data-method="GET"][data-path="{ASSIETTES}"]')
    route.locator("summary").click()
    # The exact curl: the consumer's certificate paths, a token step reading the secret from credentials.json
    # (not on the page), a fresh X-Correlation-ID, the gateway's URL with the path parameters filled in.
    curl = route.locator("pre.curl")
    cert, key = caf.cert_pair
    expect(curl).to_contain_text(f"--cert '{cert}' --key '{key}'")
    expect(curl).to_contain_text(f"-u '{caf.client_id}'")
    expect(curl).to_contain_text("credentials.json")
    expect(curl).to_contain_text("/token")
    expect(curl).to_contain_text("Authorization: Bearer $TOKEN")
    expect(curl).to_contain_text(f"{running.gateway_url}/impotparticulier/1.0/spi/")
    assert caf.client_secret not in curl.inner_text()
    first_id = route.locator("input[name='X-Correlation-ID']").input_value()
    assert len(first_id) == 36 and first_id in curl.inner_text()

    # Run it: the admin app sends it through the gateway over mTLS; the answer and a fresh id for the next run.
    route.get_by_role("button", name="Exécuter").click()
    answer = route.locator("pre.answer")
    expect(answer).to_contain_text("Jeton : HTTP 200")
    expect(answer).to_contain_text(f"X-Correlation-ID {first_id}")
    status = answer.get_attribute("data-status")
    assert status is not None and status.isdigit(), answer.inner_text()
    second_id = route.locator("input[name='X-Correlation-ID']").input_value()
    assert second_id != first_id and second_id in curl.inner_text()

    # The copied curl runs as it is in a shell (curl and python3 only) and its call lands in the journal.
    shell = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + curl.inner_text()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shell.returncode == 0, shell.stderr
    json.loads(shell.stdout)
    admin = httpx.get(
        f"{running.admin_url}/api/consumers/caf-demo/journal",
        headers={"Authorization": f"Bearer {running.admin_token}"},
    )
    assert second_id in [e["correlation_id"] for e in admin.json()["entries"]]

    # A wrong SPI: the API's own refusal is shown as the answer, not an admin error.
    route.locator("input[name='spi']").fill("123")
    route.get_by_role("button", name="Exécuter").click()
    expect(answer).to_have_attribute("data-status", "400")
    expect(answer).to_have_class("answer ko")

    # The journal shows both runs; a click on a row shows its request, response and decision trace.
    journal = page.locator("#journal tbody")
    expect(journal.locator("tr.entry", has_text="/situations/ir/assiettes").first).to_be_visible(timeout=10_000)
    row = journal.locator("tr.entry").first
    row.click()
    detail = journal.locator("tr.detail")
    expect(detail).to_contain_text("Requête")
    expect(detail).to_contain_text("Réponse")
    expect(detail).to_contain_text("Trace des décisions")
    assert caf.client_secret not in detail.inner_text()
    row.click()
    expect(detail).to_have_count(0)

    # Usage per minute: an inline SVG chart (no external asset) counting the runs.
    chart = page.locator("#usage-chart svg")
    expect(chart).to_be_visible()
    counts = [int(c) for c in chart.locator("rect").evaluate_all("rs => rs.map(r => r.dataset.count)")]
    assert len(counts) == 15 and sum(counts) >= 2

    # Responsive: no horizontal overflow at 1280 and 1024 px, screenshots of both.
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1280, 1024):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(0)
        assert document_width(page) <= width, f"{document_width(page)} px wide at a {width} px viewport"
        shot = ARTIFACTS / f"portal-workbench-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        route.screenshot(path=str(ARTIFACTS / f"portal-workbench-route-{width}.png"))


def test_the_workbench_run_refuses_what_is_not_the_portal_or_not_a_gateway_route(running: DgfipSandbox) -> None:
    with httpx.Client(base_url=running.admin_url) as admin:
        request = {"consumer": "caf-demo", "method": "GET", "path": "/health"}
        # no token, no cookie
        assert admin.post("/api/portal/try", json=request).status_code == 401
        # the portal's cookie alone, without the browser's same-origin mark: refused (no cross-site run)
        with httpx.Client(base_url=running.admin_url, cookies={"dgfip_sandbox_admin": running.admin_token}) as cookie:
            refused = cookie.post("/api/portal/try", json=request)
            assert refused.status_code == 401 and "session du portail" in refused.text
            # ... and with it, a form-encoded body (what a cross-site form sends) is refused too
            form = cookie.post("/api/portal/try", data=request, headers={"Sec-Fetch-Site": "same-origin"})
            assert form.status_code == 401
        bearer = {"Authorization": f"Bearer {running.admin_token}"}
        outside = admin.post("/api/portal/try", json={**request, "path": "http://example.org/"}, headers=bearer)
        assert outside.status_code == 400 and "route inconnue" in outside.text
        unknown = admin.post("/api/portal/try", json={**request, "consumer": "inconnu"}, headers=bearer)
        assert unknown.status_code == 400 and "var/credentials.json" in unknown.text
        missing = admin.post(
            "/api/portal/try",
            json={**request, "path": ASSIETTES, "path_params": {"spi": "1000000001084"}},
            headers=bearer,
        )
        assert missing.status_code == 400 and "annrev" in missing.text
        health = admin.post("/api/portal/try", json=request, headers=bearer)
        assert health.status_code == 200, health.text
        answer = health.json()
        assert answer["status"] == 200 and answer["token"]["status"] == 200
        assert "access_token" not in health.text and answer["request"]["headers"]["Authorization"] == "Bearer …"
        # The token route itself runs with the consumer's credentials; the token stays in the admin app.
        token = admin.post("/api/portal/try", json={**request, "method": "POST", "path": "/token"}, headers=bearer)
        assert token.status_code == 200, token.text
        assert token.json()["status"] == 200 and token.json()["token"] is None
        assert token.json()["body"]["access_token"].startswith("…") and token.json()["body"]["token_type"]
