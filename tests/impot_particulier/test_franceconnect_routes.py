"""The FranceConnect routes of API Impôt particulier through the gateway: checktoken v2, réconciliation,
consent ∩ DataPass filtering, FS linkage, and every error."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from dgfip_sandbox.assembly import build_franceconnect_app
from dgfip_sandbox.store.audit import AuditRecord
from tests.franceconnect.fc_flow import FlowDriver

pytestmark = pytest.mark.anyio

COUPLE_DEC1 = "1000000001084"
ROUTE = "/impotparticulier/1.0/situations/ir/assiettes/annrev/2025"
ALL_YEARS = "dgfip_annee_n_moins_1 dgfip_annee_n_moins_2 dgfip_annee_n_moins_3"


@pytest.fixture
async def fc(sandbox):  # type: ignore[no-untyped-def]
    """FranceConnect in-process on the sandbox's database; the gateway's checktoken client reaches it."""
    app = build_franceconnect_app(sandbox.settings, clock=sandbox.clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        await sandbox.use_fc_transport(transport)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8444") as browser:
            yield FlowDriver(client=browser, settings=sandbox.settings, clock=sandbox.clock)


async def fc_token(
    fc, *, login: str = COUPLE_DEC1, scope: str = "openid identite_pivot dgfip_rfr dgfip_sitfam dgfip_annee_n_moins_1"
) -> str:  # type: ignore[no-untyped-def]
    tokens = await fc.tokens(login=login, scope=scope)
    return tokens["access_token"]


async def test_fc_route_returns_consented_fields_of_the_reconciled_foyer(sandbox, fc) -> None:
    token = await fc_token(fc)
    client = await sandbox.client("mairie-demo")
    response = await client.get(ROUTE, headers={"X-FranceConnect-OAuth": token})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/prs.dgfip.part.situations.ir.assiettes.v1+json")
    body = response.json()
    assert "rfr" in body and "sitFam" in body
    assert "nbPart" not in body and "aft" not in body  # not consented
    spi_route = await client.get(f"/impotparticulier/1.0/spi/{COUPLE_DEC1}/situations/ir/assiettes/annrev/2025")
    assert spi_route.json()["rfr"] == body["rfr"]


async def test_fields_are_the_intersection_with_the_datapass(sandbox, fc) -> None:
    # caf-demo has no dgfip_rfr in its DataPass: consent to rfr does not give it rfr.
    async with sandbox.state.sessionmaker() as session, session.begin():
        from dgfip_sandbox.store.consumers import Consumer

        row = (await session.execute(select(Consumer).where(Consumer.name == "caf-demo"))).scalar_one()
        row.fc_client_id = (
            await session.execute(select(Consumer.fc_client_id).where(Consumer.name == "mairie-demo"))
        ).scalar_one()
    token = await fc_token(fc, scope="openid identite_pivot dgfip_rfr dgfip_sitfam dgfip_nbpart dgfip_annee_n_moins_1")
    response = await (await sandbox.client("caf-demo")).get(ROUTE, headers={"X-FranceConnect-OAuth": token})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "rfr" not in body
    assert {"sitFam", "nbPart"} <= set(body)


async def test_audit_record_holds_jti_sub_and_consented_scopes(sandbox, fc) -> None:
    token = await fc_token(fc)
    corr = "33333333-3333-4333-8333-333333333333"
    client = await sandbox.client("mairie-demo")
    await client.get(ROUTE, headers={"X-FranceConnect-OAuth": token, "X-Correlation-ID": corr})
    async with sandbox.state.sessionmaker() as session:
        record = (await session.execute(select(AuditRecord).where(AuditRecord.correlation_id == corr))).scalar_one()
    assert record.spi == COUPLE_DEC1
    assert record.extra["fc"]["jti"] and record.extra["fc"]["sub"]
    assert "dgfip_rfr" in record.extra["fc"]["scopes"]
    assert token not in str(record.extra)


# Each FranceConnect twin route and what it answers for the couple's first déclarant (consented: rfr,
# sitFam, aft, indiIFI): the keys of a 200 body, or the codeapp of the error.
TWIN_ROUTES = [
    ("situations/ir/assiettes/annrev/2025", 200, {"rfr", "sitFam", "aft", "aftDetail"}),
    ("situations/ir/factures/annrev/2025", 200, {"rfr", "sitFam", "aft", "aftDetail"}),
    ("dernieresituation/ir/assiettes/annrev/2025", 200, {"annRevenu", "rfr", "sitFam", "aft", "aftDetail"}),
    ("dernieresituation/ir/assiettes/deuxans", 200, {"annRevenu", "rfr", "sitFam", "aft", "aftDetail"}),
    ("situations/ir/assiettes/multiple/annrev/2025", 200, {"situationsIR"}),
    ("situations/ifiisf/assiettes/annrev/2025", 410, 4101),  # the couple pays no IFI
    ("situations/th/assiettes/principale/annrev/2022", 200, {"situationsTH"}),
]


@pytest.mark.parametrize(("path", "status", "expected"), TWIN_ROUTES, ids=[r[0] for r in TWIN_ROUTES])
async def test_every_fc_twin_route_answers(sandbox, fc, path: str, status: int, expected: set[str] | int) -> None:
    token = await fc_token(
        fc, scope="openid identite_pivot dgfip_rfr dgfip_sitfam dgfip_aft dgfip_indiIFI " + ALL_YEARS
    )
    client = await sandbox.client("mairie-demo")
    response = await client.get(f"/impotparticulier/1.0/{path}", headers={"X-FranceConnect-OAuth": token})
    assert response.status_code == status, response.text
    body = response.json()
    if isinstance(expected, int):
        assert body["erreur"]["code"] == expected
    else:
        assert set(body) == expected
        if "rfr" in body:
            assert body["rfr"] == 70344 and body["sitFam"] == "M"


async def test_missing_header(sandbox, fc) -> None:
    response = await (await sandbox.client("mairie-demo")).get(ROUTE)
    assert response.status_code == 400
    assert response.json()["erreur"]["code"] == 4008


async def test_inactive_or_expired_token(sandbox, fc) -> None:
    client = await sandbox.client("mairie-demo")
    bogus = await client.get(ROUTE, headers={"X-FranceConnect-OAuth": "inconnu"})
    assert bogus.status_code == 401 and bogus.json()["erreur"]["code"] == 4011
    token = await fc_token(fc)
    sandbox.clock.advance(61)  # FranceConnect access tokens live 60 s
    expired = await client.get(ROUTE, headers={"X-FranceConnect-OAuth": token})
    assert expired.status_code == 401 and expired.json()["erreur"]["code"] == 4011


async def test_no_dgfip_scope_consented(sandbox, fc) -> None:
    token = await fc_token(fc, scope="openid identite_pivot")
    response = await (await sandbox.client("mairie-demo")).get(ROUTE, headers={"X-FranceConnect-OAuth": token})
    assert response.status_code == 403 and response.json()["erreur"]["code"] == 4032


async def test_token_of_another_service_provider(sandbox, fc) -> None:
    token = await fc_token(fc)
    response = await (await sandbox.client("editeur-demo")).get(ROUTE, headers={"X-FranceConnect-OAuth": token})
    assert response.status_code == 403 and response.json()["erreur"]["code"] == 4033


@pytest.mark.parametrize("login", ["sans_correspondance", "homonyme"])
async def test_no_single_declarant(sandbox, fc, login: str) -> None:
    token = await fc_token(fc, login=login)
    response = await (await sandbox.client("mairie-demo")).get(ROUTE, headers={"X-FranceConnect-OAuth": token})
    assert response.status_code == 404, response.text
    assert response.json()["erreur"]["code"] == 4041


async def test_franceconnect_unreachable(sandbox) -> None:
    async def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    await sandbox.use_fc_transport(httpx.MockTransport(down))
    response = await (await sandbox.client("mairie-demo")).get(ROUTE, headers={"X-FranceConnect-OAuth": "x" * 40})
    assert response.status_code == 502
    assert response.json()["erreur"]["code"] == 5021


async def test_franceconnect_too_slow(sandbox) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    await sandbox.use_fc_transport(httpx.MockTransport(slow))
    response = await (await sandbox.client("mairie-demo")).get(ROUTE, headers={"X-FranceConnect-OAuth": "x" * 40})
    assert response.status_code == 502


# Point 6: the user consents to years; a year is served only when the consent and the DataPass allow it.


async def test_a_year_the_user_did_not_consent_to_is_refused(sandbox, fc) -> None:
    token = await fc_token(fc)  # consents to N-1 (2025) only; mairie-demo's DataPass allows N-1, N-2, N-3
    client = await sandbox.client("mairie-demo")
    consented = await client.get(ROUTE, headers={"X-FranceConnect-OAuth": token})
    assert consented.status_code == 200, consented.text
    n_2 = await client.get(ROUTE.replace("2025", "2024"), headers={"X-FranceConnect-OAuth": token})
    assert n_2.status_code == 403, n_2.text
    assert n_2.json()["erreur"]["code"] == 4031
    spi_route = await client.get(f"/impotparticulier/1.0/spi/{COUPLE_DEC1}/situations/ir/assiettes/annrev/2024")
    assert spi_route.status_code == 200  # the habilitation alone allows 2024 on the SPI route


async def test_no_year_consented_answers_4032_naming_the_years(sandbox, fc) -> None:
    token = await fc_token(fc, scope="openid identite_pivot dgfip_rfr dgfip_sitfam")
    response = await (await sandbox.client("mairie-demo")).get(ROUTE, headers={"X-FranceConnect-OAuth": token})
    assert response.status_code == 403
    error = response.json()["erreur"]
    assert error["code"] == 4032
    assert "aucune année consentie" in response.text and "dgfip_annee_n_moins_1" in response.text


async def test_every_consented_year_of_the_datapass_is_served(sandbox, fc) -> None:
    token = await fc_token(fc, scope="openid identite_pivot dgfip_rfr " + ALL_YEARS)
    client = await sandbox.client("mairie-demo")
    for year in (2025, 2024, 2023):
        response = await client.get(ROUTE.replace("2025", str(year)), headers={"X-FranceConnect-OAuth": token})
        assert response.status_code == 200, (year, response.text)
        assert response.json()["rfr"] is not None


@pytest.mark.parametrize(
    ("consented", "datapass", "expected"),
    [
        ({"dgfip_annee_n_moins_1"}, {"dgfip_annee_n_moins_1", "dgfip_annee_n_moins_2"}, {"dgfip_annee_n_moins_1"}),
        ({"dgfip_annee_n_moins_2"}, {"dgfip_annee_n_moins_1"}, set()),
        (set(), {"dgfip_annee_n_moins_1"}, set()),
        ({"dgfip_annee_n_moins_1"}, {"dgfip_annee_n_moins_2_si_indispo_n_moins_1"}, {"dgfip_annee_n_moins_1"}),
        ({"dgfip_annee_n_moins_2_si_indispo_n_moins_1"}, {"dgfip_annee_n_moins_1"}, {"dgfip_annee_n_moins_1"}),
        ({"dgfip_annee_n_moins_2"}, {"dgfip_annee_n_moins_2_si_indispo_n_moins_1"}, set()),
        (
            {"dgfip_annee_n_moins_2_si_indispo_n_moins_1"},
            {"dgfip_annee_n_moins_2_si_indispo_n_moins_1"},
            {"dgfip_annee_n_moins_2_si_indispo_n_moins_1"},
        ),
    ],
)
def test_consented_years(consented: set[str], datapass: set[str], expected: set[str]) -> None:
    from dgfip_sandbox.apis.impot_particulier.franceconnect import consented_years

    assert consented_years(frozenset(consented | {"dgfip_rfr"}), frozenset(datapass | {"dgfip_rfr"})) == expected


async def test_a_revoked_session_token_is_refused_on_the_next_call(sandbox, fc) -> None:
    tokens = await fc.tokens(login=COUPLE_DEC1, scope="openid identite_pivot dgfip_rfr dgfip_annee_n_moins_1")
    client = await sandbox.client("mairie-demo")
    headers = {"X-FranceConnect-OAuth": tokens["access_token"]}
    assert (await client.get(ROUTE, headers=headers)).status_code == 200
    logout = await fc.client.get(
        "/api/v2/session/end",
        params={
            "id_token_hint": tokens["id_token"],
            "state": "s",
            "post_logout_redirect_uri": fc.sp().post_logout_redirect_uris(sandbox.settings)[0],
        },
    )
    assert logout.status_code in (302, 303), logout.text
    after = await client.get(ROUTE, headers=headers)
    assert after.status_code == 401 and after.json()["erreur"]["code"] == 4011


async def test_a_link_made_by_another_process_is_effective_at_once(sandbox, fc) -> None:
    from sqlalchemy import text

    token = await fc_token(fc)  # the demo FS's token; editeur-demo is linked to no FS
    client = await sandbox.client("editeur-demo")
    refused = await client.get(ROUTE, headers={"X-FranceConnect-OAuth": token})
    assert refused.status_code == 403 and refused.json()["erreur"]["code"] == 4033  # editeur-demo now cached
    # Another process's `consumers link-fs`: a plain SQL write (the database's change counters see it).
    engine = sandbox.state.sessionmaker.kw["bind"]
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE consumers SET fc_client_id = :fs WHERE name = 'editeur-demo'"), {"fs": fc.sp().client_id}
        )
    accepted = await client.get(ROUTE, headers={"X-FranceConnect-OAuth": token})
    assert accepted.status_code == 200, accepted.text
