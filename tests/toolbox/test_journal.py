"""The request journal: captured by the audit middleware, redacted, bounded, per consumer only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dgfip_sandbox.store.journal import JournalEntry

pytestmark = pytest.mark.anyio


async def test_journal_keeps_headers_bodies_status_and_trace_with_secrets_redacted(probed) -> None:
    consumer = probed.consumer("mairie-demo")
    token_client = probed.raw_client(cert=consumer["cert"])
    token_response = await token_client.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_id": consumer["client_id"],
            "client_secret": consumer["client_secret"],
        },
    )
    assert token_response.status_code == 200
    access_token = token_response.json()["access_token"]

    client = await probed.client("mairie-demo")
    await client.get("/probe/ifi?annee=2025", headers={"X-FranceConnect-OAuth": "secret-fc-token"})
    await client.get("/probe/open", headers={"X-Correlation-ID": "pas-un-uuid"})

    response = await client.get("/sandbox/journal")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["consumer"] == "mairie-demo"
    entries = body["entries"]
    # newest first; the token calls are journaled too; reading the journal is not
    assert [e["path"] for e in entries[:3]] == ["/probe/open", "/probe/ifi", "/token"]
    refused, ok = entries[0], entries[1]
    assert refused["status"] == 400 and refused["outcome"] == "910000"
    assert refused["trace"][-1] == {
        "check": "correlation_id",
        "passed": False,
        "reason": refused["trace"][-1]["reason"],
    }
    assert "910000" in refused["response"]["body"]
    assert ok["status"] == 200 and ok["query"] == "annee=2025"
    assert ok["request"]["headers"]["authorization"] == "Bearer ***"
    assert ok["request"]["headers"]["x-franceconnect-oauth"] == "***"
    assert [step["check"] for step in ok["trace"]] == [
        "client_certificate",
        "caller_ip",
        "bearer_token",
        "route_scope",
        "correlation_id",
        "quota",
        "scenario",
    ]
    assert ok["response"]["headers"]["ratelimit-policy"] == '"probe";q=200;w=60'

    token_entries = [e for e in entries if e["path"] == "/token"]
    texts = str(token_entries)
    assert consumer["client_secret"] not in texts
    assert access_token not in texts
    assert "client_secret=***" in token_entries[-1]["request"]["body"]
    assert '"access_token":"***"' in token_entries[-1]["response"]["body"]
    assert access_token not in str(entries) and "secret-fc-token" not in str(entries)


async def test_a_consumer_never_reads_another_consumers_calls(probed) -> None:
    mairie = await probed.client("mairie-demo")
    caf = await probed.client("caf-demo")
    await mairie.get("/probe/open")
    await caf.get("/probe/open?de=caf")
    mine = (await caf.get("/sandbox/journal")).json()
    assert mine["consumer"] == "caf-demo"
    assert {e["consumer"] for e in mine["entries"]} == {"caf-demo"}
    theirs = (await mairie.get("/sandbox/journal")).json()["entries"]
    assert all(e["consumer"] == "mairie-demo" for e in theirs)
    assert not any(e["query"].startswith("de=") for e in theirs)


async def test_since_id_tails_and_limits_are_validated_in_the_envelope(probed) -> None:
    client = await probed.client("mairie-demo")
    await client.get("/probe/open")
    first = (await client.get("/sandbox/journal", params={"limit": 1})).json()["entries"]
    assert len(first) == 1
    await client.get("/probe/open?n=2")
    newer = (await client.get("/sandbox/journal", params={"since_id": first[0]["id"]})).json()["entries"]
    assert [e["query"] for e in newer] == ["n=***"]  # an undeclared parameter: its name kept, not its value
    bad = await client.get("/sandbox/journal", params={"limit": 0})
    assert bad.status_code == 400 and bad.json()["erreur"]["code"] == 400


async def test_the_journal_needs_the_pipeline(probed) -> None:
    response = await probed.raw_client(cert=None).get("/sandbox/journal")
    assert response.status_code == 401 and response.json()["erreur"]["code"] == 900901


async def test_bodies_are_truncated_to_the_configured_bound(probed) -> None:
    probed.settings.journal_body_bytes = 64
    consumer = probed.consumer("mairie-demo")
    client = probed.raw_client(cert=consumer["cert"])
    form = "pad=" + "x" * 4996 + "&grant_type=client_credentials"
    response = await client.post(
        "/token",
        content=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=(consumer["client_id"], consumer["client_secret"]),
    )
    assert response.status_code == 200
    async with probed.state.sessionmaker() as session:
        row = (await session.execute(select(JournalEntry).order_by(JournalEntry.id.desc()).limit(1))).scalar_one()
    # the kept bytes, decoded and whitelisted ("pad" is no field of the /token form), then the note
    assert row.request_body == f"pad=***… [{len(form) - 64} octets tronqués]"
    assert len(row.response_body) < 64 + 40 and "octets tronqués" in row.response_body


async def test_unidentified_callers_are_audited_but_not_journaled(probed) -> None:
    async def count() -> int:
        async with probed.state.sessionmaker() as session:
            return (await session.execute(select(func.count()).select_from(JournalEntry))).scalar_one()

    before = await count()
    assert (await probed.raw_client(cert=None).get("/probe/open")).status_code == 401
    assert await count() == before
