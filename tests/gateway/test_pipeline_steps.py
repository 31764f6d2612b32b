"""The pipeline as data: each step alone, without HTTP (a hand-built ASGI scope on the running
gateway's state), the steps' order and their declared inputs and outputs, and the decision trace."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from starlette.requests import Request

from dgfip_sandbox import pki
from dgfip_sandbox.errors import (
    ApiError,
    CertificateRejected,
    CorrelationIdMissing,
    InvalidCredentials,
    IpNotAllowed,
    MissingCredentials,
    QuotaExceeded,
    ScopeNotAllowed,
)
from dgfip_sandbox.gateway import pipeline
from dgfip_sandbox.gateway.pipeline import STEPS, Call, run_steps
from dgfip_sandbox.store.audit import AuditEntry
from dgfip_sandbox.store.journal import JournalEntry

pytestmark = pytest.mark.anyio

INPUTS = ("request", "state", "audit", "required_scope")


def make_call(
    sandbox: Any,
    *,
    cert: str | Path | None = None,
    client_ip: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
    required_scope: str | None = None,
) -> Call:
    """A call as the gateway would see it, with no HTTP client and no server."""
    audit = AuditEntry(at=sandbox.clock.now(), method="GET", route="/probe", client_ip=client_ip)
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/probe",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": (client_ip, 51000),
        "extensions": {"tls": {"client_cert_chain": [Path(cert).read_text()] if cert else []}},
        "state": {"audit": audit},
        "app": sandbox.app,
    }
    return Call(request=Request(scope), state=sandbox.state, audit=audit, required_scope=required_scope)


async def identified(sandbox: Any, name: str = "mairie-demo", **kwargs: Any) -> Call:
    call = make_call(sandbox, cert=sandbox.consumer(name)["cert"], **kwargs)
    await run_steps(STEPS[:2], call)
    return call


def token_for(sandbox: Any, call: Call, *, scopes: list[str]) -> str:
    consumer = call.need_consumer()
    token, _claims = sandbox.state.tokens.issue(
        client_id=consumer.client_id,
        organisation=consumer.organisation,
        application=consumer.application,
        scopes=scopes,
        cert_thumbprint=pki.x5t_s256(call.need_certificate()),
        now=sandbox.clock.now(),
    )
    return token


def test_the_steps_in_their_documented_order() -> None:
    assert [s.name for s in STEPS] == [
        "client_certificate",
        "caller_ip",
        "bearer_token",
        "route_scope",
        "correlation_id",
        "quota",
        "scenario",
    ]


def test_each_step_needs_only_inputs_or_what_an_earlier_step_gives() -> None:
    fields = {f.name for f in dataclasses.fields(Call)}
    available = set(INPUTS)
    for step in STEPS:
        assert set(step.needs) <= available, f"{step.name} needs {set(step.needs) - available}"
        assert set(step.gives) <= fields - set(INPUTS), step.name
        available |= set(step.gives)


# 1. client certificate


async def test_client_certificate_identifies_the_consumer(sandbox) -> None:
    call = make_call(sandbox, cert=sandbox.consumer("mairie-demo")["cert"])
    reason = await pipeline.client_certificate(call)
    assert reason == "mairie-demo"
    assert call.need_consumer().name == "mairie-demo"
    assert call.fingerprint == pki.fingerprint_sha256(call.need_certificate())
    assert (call.audit.consumer_name, call.audit.cert_fingerprint) == ("mairie-demo", call.fingerprint)


async def test_client_certificate_refuses_no_certificate_and_a_bad_one(sandbox) -> None:
    with pytest.raises(CertificateRejected, match="aucun certificat client"):
        await pipeline.client_certificate(make_call(sandbox))
    with pytest.raises(CertificateRejected, match="révoqué"):
        await pipeline.client_certificate(make_call(sandbox, cert=sandbox.credentials["bad_certs"]["revoked"]["cert"]))
    sandbox_pki = pki.ensure_pki(sandbox.settings.certs_dir, [], now=sandbox.clock.now())
    stranger, _key = pki.issue_client_certificate(sandbox_pki, "inconnu-steps", now=sandbox.clock.now())
    with pytest.raises(CertificateRejected, match="n'est enregistré pour aucun partenaire"):
        await pipeline.client_certificate(make_call(sandbox, cert=stranger))


# 2. caller IP


async def test_caller_ip_accepts_a_declared_address_and_refuses_another(sandbox) -> None:
    call = make_call(sandbox, cert=sandbox.consumer("mairie-demo")["cert"])
    await pipeline.client_certificate(call)
    assert await pipeline.caller_ip(call) == "127.0.0.1"
    assert call.client_ip == call.audit.client_ip == "127.0.0.1"

    outside = make_call(sandbox, cert=sandbox.consumer("mairie-demo")["cert"], client_ip="203.0.113.9")
    await pipeline.client_certificate(outside)
    with pytest.raises(IpNotAllowed, match="203.0.113.9") as refused:
        await pipeline.caller_ip(outside)
    assert refused.value.code == 900805


# 3. bearer token and route scope


async def test_bearer_token_needs_a_token_bound_to_the_certificate(sandbox) -> None:
    call = await identified(sandbox)
    with pytest.raises(MissingCredentials):
        await pipeline.bearer_token(call)

    token = token_for(sandbox, call, scopes=["RessourceIR"])
    good = await identified(sandbox, headers={"Authorization": f"Bearer {token}"})
    reason = await pipeline.bearer_token(good)
    assert reason == f"jti={good.claims['jti']}"

    other = await identified(sandbox, "caf-demo", headers={"Authorization": f"Bearer {token}"})
    with pytest.raises(InvalidCredentials, match="autre certificat"):
        await pipeline.bearer_token(other)


async def test_route_scope_refuses_a_token_without_the_scope(sandbox) -> None:
    call = make_call(sandbox, required_scope="RessourceIFI")
    call.claims = {"scope": "RessourceIR RessourceIFI"}
    assert await pipeline.route_scope(call) == "RessourceIFI"
    call.claims = {"scope": "RessourceIR"}
    with pytest.raises(ScopeNotAllowed, match="RessourceIFI") as refused:
        await pipeline.route_scope(call)
    assert refused.value.code == 900910
    assert await pipeline.route_scope(make_call(sandbox)) == "aucun scope exigé"


# 4. correlation id


async def test_correlation_id_must_be_a_uuid(sandbox) -> None:
    value = str(uuid.uuid4())
    call = make_call(sandbox, headers={"X-Correlation-ID": value})
    await pipeline.correlation_id(call)
    assert call.correlation_id == value
    for headers in ({}, {"X-Correlation-ID": "pas-un-uuid"}):
        with pytest.raises(CorrelationIdMissing):
            await pipeline.correlation_id(make_call(sandbox, headers=headers))


# 5. quota


async def test_quota_counts_and_refuses_past_the_limit(sandbox) -> None:
    call = await identified(sandbox)
    call.consumer = dataclasses.replace(call.need_consumer(), quota_per_minute=2)
    assert await pipeline.quota(call) == "1/2"
    assert call.request.scope["state"]["response_headers"]["RateLimit-Policy"] == '"sandbox";q=2;w=60'
    assert await pipeline.quota(call) == "2/2"
    with pytest.raises(QuotaExceeded) as refused:
        await pipeline.quota(call)
    assert refused.value.code == 900804
    assert "Retry-After" in refused.value.headers


# 6. scenario


async def test_scenario_injects_for_a_consumer_with_the_option_and_is_ignored_otherwise(sandbox) -> None:
    assert await pipeline.scenario(await identified(sandbox)) == "aucun scénario"

    call = await identified(sandbox, headers={"X-Sandbox-Scenario": "error=503"})
    assert "scenarios" in call.need_consumer().sandbox_options
    with pytest.raises(ApiError) as injected:
        await pipeline.scenario(call)
    assert injected.value.status_code == 503

    call = await identified(sandbox, headers={"X-Sandbox-Scenario": "error=503"})
    call.consumer = dataclasses.replace(call.need_consumer(), sandbox_options=frozenset())
    assert "ignoré" in await pipeline.scenario(call)
    assert call.audit.extra["scenario_ignored"] == "error=503"


# the runner and its trace


async def test_run_steps_writes_each_step_and_the_failed_one(sandbox) -> None:
    call = make_call(sandbox, cert=sandbox.consumer("mairie-demo")["cert"], client_ip="203.0.113.9")
    with pytest.raises(IpNotAllowed):
        await run_steps(STEPS[:2], call)
    assert [(t["check"], t["passed"]) for t in call.audit.trace] == [
        ("client_certificate", True),
        ("caller_ip", False),
    ]
    assert "203.0.113.9" in call.audit.trace[1]["reason"]


async def test_run_steps_stops_at_the_first_failure(sandbox) -> None:
    call = make_call(sandbox)
    with pytest.raises(ApiError):
        await run_steps(STEPS, call)
    assert [(t["check"], t["passed"]) for t in call.audit.trace] == [("client_certificate", False)]


# POST /token runs STEPS[:2] and records their failures like any route (issue 10 §3)


async def test_token_refused_for_the_caller_ip_has_the_failed_step_in_its_journal_trace(sandbox) -> None:
    consumer = sandbox.consumer("mairie-demo")
    client = sandbox.raw_client(cert=consumer["cert"], client_ip="203.0.113.9")
    response = await client.post(
        "/token",
        data={"grant_type": "client_credentials"},
        auth=(consumer["client_id"], consumer["client_secret"]),
    )
    assert response.status_code == 403
    assert response.json()["erreur"]["code"] == 900805
    async with sandbox.state.sessionmaker() as session:
        entry = (
            (await session.execute(select(JournalEntry).where(JournalEntry.path == "/token").order_by(JournalEntry.id)))
            .scalars()
            .all()[-1]
        )
    assert entry.consumer_name == "mairie-demo"
    assert entry.status == 403
    assert [(t["check"], t["passed"]) for t in entry.trace] == [("client_certificate", True), ("caller_ip", False)]
    assert "203.0.113.9" in entry.trace[1]["reason"]
