"""Each APIM check alone, and in order: the first failing check decides the answer."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import select

from dgfip_sandbox import pki
from dgfip_sandbox.store.audit import AuditRecord

pytestmark = pytest.mark.anyio


def assert_envelope(response, status: int, code: int, *fragments: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"erreur"}
    erreur = body["erreur"]
    assert erreur["code"] == code
    datetime.fromisoformat(erreur["horodatage"])  # ISO 8601 with offset
    assert erreur["horodatage"][-6] in "+-"
    for fragment in fragments:
        assert fragment in erreur["message"], erreur["message"]
    return erreur


# 1. client certificate ------------------------------------------------------------------------------


async def test_no_certificate_is_refused_with_a_reason(probed) -> None:
    client = probed.raw_client(cert=None)
    response = await client.get("/probe/open")
    assert_envelope(response, 401, 900901, "Invalid Credentials", "aucun certificat client")


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("expired", "expiré"), ("not_yet_valid", "valide qu"), ("unknown_ca", "autorité"), ("revoked", "révoqué")],
)
async def test_bad_certificates_are_refused_with_their_reason(probed, kind: str, reason: str) -> None:
    client = probed.raw_client(cert=probed.credentials["bad_certs"][kind]["cert"])
    response = await client.get("/probe/open")
    assert_envelope(response, 401, 900901, reason)


async def test_unregistered_certificate_is_refused(probed, tmp_path) -> None:
    sandbox_pki = pki.ensure_pki(probed.settings.certs_dir, [], now=probed.clock.now())
    cert_path, _key = pki.issue_client_certificate(sandbox_pki, "inconnu-test", now=probed.clock.now())
    response = await probed.raw_client(cert=cert_path).get("/probe/open")
    assert_envelope(response, 401, 900901, "n'est enregistré pour aucun partenaire")


async def test_forged_client_cert_header_from_untrusted_peer_is_ignored(probed) -> None:
    good = pki.load_pem_cert(Path(probed.consumer("mairie-demo")["cert"]).read_bytes())
    client = probed.raw_client(cert=None)
    response = await client.get("/probe/open", headers={"Client-Cert": pki.format_client_cert_header(good)})
    assert_envelope(response, 401, 900901, "aucun certificat client")


async def test_client_cert_header_from_trusted_proxy_is_honoured(probed) -> None:
    probed.state.trusted_proxies.__init__(["10.0.0.5/32"])
    consumer = probed.consumer("mairie-demo")
    token = await probed.token("mairie-demo")
    good = pki.load_pem_cert(Path(consumer["cert"]).read_bytes())
    client = probed.raw_client(cert=None, client_ip="10.0.0.5")
    response = await client.get(
        "/probe/open",
        headers={
            "Client-Cert": pki.format_client_cert_header(good),
            "X-Forwarded-For": "127.0.0.1",
            "Authorization": f"Bearer {token}",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"consumer": "mairie-demo", "ip": "127.0.0.1"}


# 2. caller IP ---------------------------------------------------------------------------------------


async def test_ip_outside_allowlist_is_refused(probed) -> None:
    consumer = probed.consumer("hors-reseau-demo")
    client = probed.raw_client(cert=consumer["cert"])
    response = await client.get("/probe/open")
    assert_envelope(response, 403, 900805, "127.0.0.1", "203.0.113.0/24")


async def test_forwarded_for_from_untrusted_peer_is_ignored(probed) -> None:
    consumer = probed.consumer("hors-reseau-demo")
    client = probed.raw_client(cert=consumer["cert"])
    response = await client.get("/probe/open", headers={"X-Forwarded-For": "203.0.113.7"})
    assert_envelope(response, 403, 900805, "127.0.0.1")


async def test_ipv6_allowlist(probed) -> None:
    client = await probed.client("mairie-demo", client_ip="::1")
    response = await client.get("/probe/open")
    assert response.status_code == 200, response.text


# 3. bearer token and route scope --------------------------------------------------------------------


async def test_missing_token(probed) -> None:
    client = probed.raw_client(cert=probed.consumer("mairie-demo")["cert"])
    response = await client.get("/probe/open")
    assert_envelope(response, 401, 900902, "Missing Credentials")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_tampered_token(probed) -> None:
    client = await probed.client("mairie-demo")
    header, payload, signature = client.headers["Authorization"].removeprefix("Bearer ").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["scope"] += " RessourceTout"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = await client.get("/probe/open", headers={"Authorization": f"Bearer {header}.{forged}.{signature}"})
    assert_envelope(response, 401, 900901, "signature")


async def test_alg_none_token(probed) -> None:
    client = await probed.client("mairie-demo")
    _header, payload, _signature = client.headers["Authorization"].removeprefix("Bearer ").split(".")
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    response = await client.get("/probe/open", headers={"Authorization": f"Bearer {none_header}.{payload}."})
    assert_envelope(response, 401, 900901)


async def test_garbage_token(probed) -> None:
    client = await probed.client("mairie-demo")
    response = await client.get("/probe/open", headers={"Authorization": "Bearer pas-un-jwt"})
    assert_envelope(response, 401, 900901)


async def test_token_signed_by_another_issuer(probed) -> None:
    client = await probed.client("mairie-demo")
    _h, payload, _s = client.headers["Authorization"].removeprefix("Bearer ").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    foreign_key = ECKey.generate_key("P-256", private=True)
    foreign = jwt.encode({"alg": "ES256"}, claims, foreign_key)
    response = await client.get("/probe/open", headers={"Authorization": f"Bearer {foreign}"})
    assert_envelope(response, 401, 900901)


async def test_expired_token(probed) -> None:
    client = await probed.client("mairie-demo")
    probed.clock.advance(3600)
    response = await client.get("/probe/open")
    assert_envelope(response, 401, 900901, "expiré")


async def test_token_presented_with_another_consumers_certificate(probed) -> None:
    token = await probed.token("mairie-demo")
    client = probed.raw_client(cert=probed.consumer("editeur-demo")["cert"])
    response = await client.get("/probe/open", headers={"Authorization": f"Bearer {token}"})
    assert_envelope(response, 401, 900901, "autre certificat")


async def test_token_without_route_scope(probed) -> None:
    client = await probed.client("mairie-demo", scopes=["RessourceIR"])
    response = await client.get("/probe/ifi")
    erreur = assert_envelope(response, 403, 900910, "RessourceIFI")
    assert "does not allow" in erreur["message"]
    ok = await (await probed.client("mairie-demo", scopes=["RessourceIFI"])).get("/probe/ifi")
    assert ok.status_code == 200


# 4. correlation id ----------------------------------------------------------------------------------


async def test_missing_correlation_id(probed) -> None:
    client = await probed.client("mairie-demo")
    client.event_hooks["request"] = []
    response = await client.get("/probe/open")
    assert_envelope(response, 400, 910000, "X-Correlation-ID")


async def test_malformed_correlation_id(probed) -> None:
    client = await probed.client("mairie-demo")
    response = await client.get("/probe/open", headers={"X-Correlation-ID": "pas-un-uuid"})
    assert_envelope(response, 400, 910000, "UUID")
    assert "x-correlation-id" not in response.headers


async def test_correlation_id_echoed_on_success_and_error(probed) -> None:
    corr = "0b7c3a6e-58a4-4f0e-9c1e-2f2f7a1d9a10"
    client = await probed.client("mairie-demo")
    ok = await client.get("/probe/open", headers={"X-Correlation-ID": corr})
    refused = await client.get("/probe/ifi-inconnue", headers={"X-Correlation-ID": corr})
    no_cert = await probed.raw_client(cert=None).get("/probe/open", headers={"X-Correlation-ID": corr})
    for response in (ok, refused, no_cert):
        assert response.headers["x-correlation-id"] == corr


# 5. quota -------------------------------------------------------------------------------------------


async def test_quota_exact_under_concurrency_and_next_window(probed) -> None:
    import asyncio

    client = await probed.client("mairie-demo")  # 200 calls per minute
    probed.clock.set(datetime(2026, 11, 25, 10, 0, 5, tzinfo=UTC))
    responses = await asyncio.gather(*(client.get("/probe/open") for _ in range(230)))
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 200
    assert statuses.count(429) == 30
    refused = next(r for r in responses if r.status_code == 429)
    assert_envelope(refused, 429, 900804, "Message throttled out", "200 appels par minute")
    assert refused.headers["retry-after"] == "55"
    assert refused.headers["ratelimit-policy"] == '"probe";q=200;w=60'
    assert refused.headers["ratelimit"] == '"probe";r=0;t=55'
    accepted = next(r for r in responses if r.status_code == 200)
    assert accepted.headers["ratelimit-policy"] == '"probe";q=200;w=60'
    probed.clock.advance(55)
    again = await client.get("/probe/open")
    assert again.status_code == 200
    assert again.headers["ratelimit"] == '"probe";r=199;t=60'


async def test_refused_calls_do_not_spend_quota(probed) -> None:
    client = probed.raw_client(cert=probed.consumer("caf-demo")["cert"])
    for _ in range(5):
        assert (await client.get("/probe/open")).status_code == 401  # no token
    ok = await (await probed.client("caf-demo")).get("/probe/open")
    assert ok.headers["ratelimit"].startswith('"probe";r=499;')


# order ----------------------------------------------------------------------------------------------


async def test_first_failing_check_decides(probed) -> None:
    # Every check fails: no certificate wins.
    bare = probed.raw_client(cert=None)
    bare.event_hooks["request"] = []
    assert_envelope(await bare.get("/probe/ifi"), 401, 900901)
    # Certificate fine, IP refused, no token, no correlation id: the IP wins.
    outsider = probed.raw_client(cert=probed.consumer("hors-reseau-demo")["cert"])
    outsider.event_hooks["request"] = []
    assert_envelope(await outsider.get("/probe/ifi"), 403, 900805)
    # Certificate and IP fine, no token, no correlation id: the token wins.
    insider = probed.raw_client(cert=probed.consumer("mairie-demo")["cert"])
    insider.event_hooks["request"] = []
    assert_envelope(await insider.get("/probe/ifi"), 401, 900902)
    # Token without the scope and no correlation id: the scope wins.
    scoped = await probed.client("mairie-demo", scopes=["RessourceIR"])
    scoped.event_hooks["request"] = []
    assert_envelope(await scoped.get("/probe/ifi"), 403, 900910)
    # Only the correlation id is missing.
    full = await probed.client("mairie-demo")
    full.event_hooks["request"] = []
    assert_envelope(await full.get("/probe/ifi"), 400, 910000)


# audit ----------------------------------------------------------------------------------------------


async def test_every_answer_leaves_one_audit_record(probed) -> None:
    corr_ok = "11111111-1111-4111-8111-111111111111"
    corr_refused = "22222222-2222-4222-8222-222222222222"
    client = await probed.client("mairie-demo", scopes=["RessourceIR"])
    await client.get("/probe/open", headers={"X-Correlation-ID": corr_ok})
    await client.get("/probe/ifi", headers={"X-Correlation-ID": corr_refused})
    async with probed.state.sessionmaker() as session:
        rows = (
            (await session.execute(select(AuditRecord).where(AuditRecord.correlation_id.in_([corr_ok, corr_refused]))))
            .scalars()
            .all()
        )
    by_corr = {row.correlation_id: row for row in rows}
    assert len(rows) == 2
    assert by_corr[corr_ok].status == 200 and by_corr[corr_ok].outcome == "OK"
    assert by_corr[corr_refused].status == 403 and by_corr[corr_refused].outcome == "900910"
    for row in rows:
        assert row.consumer_name == "mairie-demo"
        assert row.client_ip == "127.0.0.1"
        assert len(row.cert_fingerprint) == 64
    trace = by_corr[corr_refused].extra["trace"]
    assert [step["check"] for step in trace] == ["client_certificate", "caller_ip", "bearer_token", "route_scope"]
    assert trace[-1]["passed"] is False


async def test_consumer_reads_only_its_own_audit_records(probed) -> None:
    mairie = await probed.client("mairie-demo")
    editeur = await probed.client("editeur-demo")
    await mairie.get("/probe/open")
    await editeur.get("/probe/open")
    response = await mairie.get("/sandbox/audit")
    assert response.status_code == 200
    records = response.json()["records"]
    assert records and {r["consumer"] for r in records} == {"mairie-demo"}


# bad input ------------------------------------------------------------------------------------------


async def test_unknown_route_is_404_in_envelope(probed) -> None:
    response = await (await probed.client("mairie-demo")).get("/nulle/part")
    assert_envelope(response, 404, 404, "/nulle/part")


async def test_oversized_headers(probed) -> None:
    client = await probed.client("mairie-demo")
    response = await client.get("/probe/open", headers={"X-Big": "a" * 9000})
    assert_envelope(response, 431, 431, "octets")


async def test_health_needs_no_authentication(probed) -> None:
    response = await probed.raw_client(cert=None).get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "UP"}
