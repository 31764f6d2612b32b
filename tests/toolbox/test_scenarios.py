"""Scenario injection (gateway/scenarios.py): each scenario, the header's grammar, the option gate."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from dgfip_sandbox.assembly import scenario_errors
from dgfip_sandbox.gateway.scenario_errors import ScenarioErrors
from dgfip_sandbox.gateway.scenarios import ScenarioSyntaxError, parse_scenario
from dgfip_sandbox.store.audit import AuditRecord
from tests.gateway.test_pipeline import assert_envelope
from tests.toolbox.conftest import set_consumer

pytestmark = pytest.mark.anyio

FC_ROUTE = "/impotparticulier/1.0/situations/ir/assiettes/annrev/2025"


async def last_audit(sandbox) -> AuditRecord:  # type: ignore[no-untyped-def]
    async with sandbox.state.sessionmaker() as session:
        return (await session.execute(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(1))).scalar_one()


async def test_latency_waits_through_the_injected_sleeper_then_answers(probed, sleeps) -> None:
    client = await probed.client("mairie-demo")
    response = await client.get("/probe/open", headers={"X-Sandbox-Scenario": "latency=1500"})
    assert response.status_code == 200, response.text
    assert sleeps == [1.5]
    record = await last_audit(probed)
    assert record.extra["scenario"] == "latency=1500"
    assert record.extra["trace"][-1] == {"check": "scenario", "passed": True, "reason": "latency=1500 (en-tête)"}


@pytest.mark.parametrize(
    ("scenario", "status", "code"),
    [("error=503", 503, 503), ("error=500", 500, 500), ("error=4101", 410, 4101), ("quota", 429, 900804)],
)
async def test_failures_in_the_apim_envelope(probed, sleeps, scenario: str, status: int, code: int) -> None:
    client = await probed.client("mairie-demo")
    response = await client.get("/probe/open", headers={"X-Sandbox-Scenario": scenario})
    assert_envelope(response, status, code)
    record = await last_audit(probed)
    assert record.outcome == str(code)
    assert record.extra["trace"][-1]["check"] == "scenario"
    assert record.extra["trace"][-1]["passed"] is False


async def test_503_and_quota_tell_when_to_retry(probed, sleeps) -> None:
    client = await probed.client("mairie-demo")
    unavailable = await client.get("/probe/open", headers={"X-Sandbox-Scenario": "error=503"})
    assert unavailable.headers["retry-after"] == "5"
    throttled = await client.get("/probe/open", headers={"X-Sandbox-Scenario": "quota"})
    assert throttled.headers["retry-after"] == "60"  # the frozen clock stands at hh:mm:00
    assert throttled.headers["ratelimit"] == '"probe";r=0;t=60'
    assert "scénario simulé" in throttled.json()["erreur"]["message"]


async def test_ficoba_codes_use_ficobas_envelope(probed, sleeps) -> None:
    client = await probed.client("mairie-demo")
    response = await client.get("/probe/open", headers={"X-Sandbox-Scenario": "latency=200, error=CAT001"})
    assert response.status_code == 500
    erreur = response.json()["erreur"]
    assert erreur == {
        "code": "CAT001",
        "message": "Service temporairement indisponible ou en maintenance",
        "horodatage": "2026-11-25T10:00:00.000Z",
    }
    assert sleeps == [0.2]
    caf = await client.get("/probe/open", headers={"X-Sandbox-Scenario": "error=caf003"})
    assert caf.status_code == 400 and caf.json()["erreur"]["code"] == "CAF003"


async def test_fc_unreachable_fails_only_calls_carrying_a_franceconnect_token(probed, sleeps) -> None:
    client = await probed.client("mairie-demo")
    plain = await client.get("/probe/open", headers={"X-Sandbox-Scenario": "fc-unreachable"})
    assert plain.status_code == 200
    fc = await client.get(
        "/probe/open", headers={"X-Sandbox-Scenario": "fc-unreachable", "X-FranceConnect-OAuth": "jeton-fc"}
    )
    assert_envelope(fc, 502, 5021, "FranceConnect est injoignable")


async def test_fc_unreachable_answers_what_a_real_franceconnect_outage_answers(probed, sleeps) -> None:
    """Regression: the scenario answered code 502 while a real outage answers 5021 (Impôt particulier's
    FranceConnectUnreachable): an integrator's retry logic must see the same error in both cases."""

    async def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    await probed.use_fc_transport(httpx.MockTransport(down))
    client = await probed.client("mairie-demo")
    fc_headers = {"X-FranceConnect-OAuth": "x" * 40}
    real = await client.get(FC_ROUTE, headers=fc_headers)
    simulated = await client.get("/probe/open", headers={"X-Sandbox-Scenario": "fc-unreachable", **fc_headers})
    assert real.status_code == simulated.status_code == 502
    assert real.json()["erreur"]["code"] == simulated.json()["erreur"]["code"] == 5021
    assert simulated.json()["erreur"]["message"].startswith(real.json()["erreur"]["message"].split(" : ")[0])


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("", "valeur vide"),
        ("latency=abc", "millisecondes"),
        ("latency=999999", "dépasse le maximum"),
        ("error=418", "code d'erreur inconnu"),
        ("error=CAF007", "code d'erreur inconnu"),
        ("explode", "scénario inconnu"),
        ("error=503,quota", "une seule panne"),
        ("latency=1,latency=2", "deux fois"),
        ("none,quota", "none ne se combine"),
        ("quota=3", "ne prend pas de valeur"),
        ("x" * 300, "trop longue"),
        ("latency=\u00e9", "illisible"),
    ],
)
async def test_malformed_header_is_a_clear_400(probed, sleeps, header: str, reason: str) -> None:
    client = await probed.client("mairie-demo")
    response = await client.get("/probe/open", headers={"X-Sandbox-Scenario": header.encode("utf-8")})
    erreur = assert_envelope(response, 400, 400, "X-Sandbox-Scenario invalide", reason)
    assert "Traceback" not in erreur["message"]
    assert sleeps == []


async def test_header_is_ignored_and_audited_without_the_option(probed, sleeps) -> None:
    await set_consumer(probed, "caf-demo", sandbox_options=[])
    client = await probed.client("caf-demo")
    for header in ("error=503", "n'importe quoi"):
        response = await client.get("/probe/open", headers={"X-Sandbox-Scenario": header})
        assert response.status_code == 200, response.text
        record = await last_audit(probed)
        assert record.extra["scenario_ignored"] == header
        assert "option « scenarios »" in record.extra["trace"][-1]["reason"]


async def test_standing_scenario_applies_until_cleared_and_the_header_wins(probed, sleeps) -> None:
    await set_consumer(probed, "mairie-demo", sandbox_scenario="error=503")
    client = await probed.client("mairie-demo")
    assert (await client.get("/probe/open")).status_code == 503
    assert (await client.get("/probe/open")).status_code == 503
    assert (await client.get("/probe/open", headers={"X-Sandbox-Scenario": "none"})).status_code == 200
    await set_consumer(probed, "mairie-demo", sandbox_scenario=None)
    assert (await client.get("/probe/open")).status_code == 200


async def test_injected_calls_still_count_against_the_real_quota(probed, sleeps) -> None:
    await set_consumer(probed, "mairie-demo", quota_per_minute=2)
    client = await probed.client("mairie-demo")
    assert (await client.get("/probe/open", headers={"X-Sandbox-Scenario": "error=500"})).status_code == 500
    assert (await client.get("/probe/open")).status_code == 200
    assert_envelope(await client.get("/probe/open"), 429, 900804)


def test_parse_scenario_canonical_form() -> None:
    errors = scenario_errors()
    assert parse_scenario(" latency=10 ; error=cat007 ", errors).describe() == "latency=10,error=CAT007"
    assert parse_scenario("none", errors).empty
    with pytest.raises(ScenarioSyntaxError):
        parse_scenario(",", errors)


def test_injectable_codes_come_from_the_mounted_apis() -> None:
    """The gateway keeps no copy of an API's catalogue: the codes are the APIs' own error classes."""
    from dgfip_sandbox.apis.ficoba.errors import CAT001
    from dgfip_sandbox.apis.impot_particulier.errors import FranceConnectUnreachable, NoResult

    errors = scenario_errors()
    assert isinstance(errors.error("4101"), NoResult)
    assert isinstance(errors.error("CAT001"), CAT001)
    assert "CAF007" not in errors.by_code  # a 200 "no result" answer, not an HTTP error
    assert isinstance(errors.fc_unreachable("détail"), FranceConnectUnreachable)
    with pytest.raises(ScenarioSyntaxError, match="code d'erreur inconnu"):
        parse_scenario("error=4101", ScenarioErrors())  # a gateway without the API knows only 500 and 503


FICOBA_SANTE = "/fcb-masrestit/api/v2/etatSante"


@pytest.mark.parametrize(
    ("scenario", "status", "message"),
    [
        ("error=503", 503, "Service temporairement indisponible ou en maintenance"),
        ("error=500", 500, "Erreur de traitement – demande à renouveler"),
        ("error=408", 408, "Temps d'attente d'une réponse du serveur écoulé"),
        ("error=509", 509, "Limite de bande passante dépassée"),
    ],
)
async def test_http_statuses_on_ficoba_routes_answer_in_ficobas_envelope(
    probed, sleeps, scenario: str, status: int, message: str
) -> None:
    """Protocole §1.6's statuses, in FICOBA's envelope: the code is a string (the swagger's ReponseErreur)."""
    client = await probed.client("ficoba-administration")
    response = await client.get(
        FICOBA_SANTE, headers={"X-Sandbox-Scenario": scenario, "X-Request-ID": "req-1", "Accept": "application/json"}
    )
    assert response.status_code == status, response.text
    erreur = response.json()["erreur"]
    assert erreur["code"] == str(status)
    assert erreur["message"] == message
    assert erreur["horodatage"] == "2026-11-25T10:00:00.000Z"
    if status == 503:
        assert response.headers["retry-after"] == "5"


async def test_ficobas_own_statuses_elsewhere_answer_in_the_apim_envelope(probed, sleeps) -> None:
    client = await probed.client("mairie-demo")
    response = await client.get("/probe/open", headers={"X-Sandbox-Scenario": "error=509"})
    assert_envelope(response, 509, 509)


def test_status_errors_are_the_apis_own_on_their_routes() -> None:
    from dgfip_sandbox.apis.ficoba.errors import BandwidthLimitExceeded, ServiceUnavailable
    from dgfip_sandbox.gateway.scenario_errors import ServiceUnavailable as GatewayUnavailable

    errors = scenario_errors()
    assert isinstance(errors.error("503", "ficoba"), ServiceUnavailable)
    assert isinstance(errors.error("503", "impot_particulier"), GatewayUnavailable)
    assert isinstance(errors.error("509", "ficoba"), BandwidthLimitExceeded)
    assert errors.error("509", "sandbox").status_code == 509
