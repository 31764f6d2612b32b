"""The admin API: its two locks, every operation, and each operation's effect on the gateway."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gateway.test_pipeline import assert_envelope

pytestmark = pytest.mark.anyio


async def token_status(
    sandbox, consumer: dict, *, cert: str | None = None, secret: str | None = None, scope: str | None = None
):  # type: ignore[no-untyped-def]
    client = sandbox.raw_client(cert=cert or consumer["cert"])
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    return await client.post("/token", data=data, auth=(consumer["client_id"], secret or consumer["client_secret"]))


# The two locks ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("ip", ["10.0.0.7", "192.0.2.1", "2001:db8::1"])
async def test_other_addresses_are_refused_even_with_the_token(admin, ip: str) -> None:
    for path in ("/api/consumers", "/portal", "/nulle-part"):
        response = await admin.client(ip).get(path)
        assert_envelope(response, 403, 403, "machine locale", ip)


async def test_loopback_v6_and_mapped_addresses_are_local(admin) -> None:
    for ip in ("::1", "::ffff:127.0.0.1", "127.0.0.2"):
        assert (await admin.client(ip).get("/api/consumers")).status_code == 200


@pytest.mark.parametrize(("token", "reason"), [(None, "absent"), ("mauvais-jeton", "incorrect")])
async def test_the_admin_token_is_required(admin, token, reason: str) -> None:
    response = await admin.client(token=token).get("/api/consumers")
    erreur = assert_envelope(response, 401, 401, reason)
    assert "Bearer" in response.headers["www-authenticate"]
    assert admin.token not in erreur["message"]


async def test_a_gateway_token_is_not_an_admin_token(admin) -> None:
    gateway_token = await admin.gateway.token("mairie-demo")
    assert (await admin.client(token=gateway_token).post("/api/reset")).status_code == 401


# Operations ------------------------------------------------------------------------------------------


async def test_list_and_show(admin) -> None:
    client = admin.client()
    names = [c["name"] for c in (await client.get("/api/consumers")).json()["consumers"]]
    assert {"mairie-demo", "caf-demo", "editeur-demo", "hors-reseau-demo"} <= set(names)
    shown = (await client.get("/api/consumers/caf-demo")).json()
    assert shown["quota_per_minute"] == 500 and shown["active"] is True
    assert "client_secret_hash" not in shown and "client_secret" not in shown
    assert len(shown["certificates"]) == 1 and shown["certificates"][0]["revoked_at"] is None
    assert shown["quota_usage"]["apis"]["ficoba"] == {"used": 0, "limit": 500}
    assert_envelope(await client.get("/api/consumers/inconnu"), 404, 404, "inconnu")


async def test_quota_usage_shows_the_gateways_counter_and_resets(admin) -> None:
    gateway = await admin.gateway.client("caf-demo")
    for _ in range(3):
        assert (await gateway.get("/sandbox/audit?limit=1")).status_code == 200
    client = admin.client()
    usage = (await client.get("/api/consumers/caf-demo")).json()["quota_usage"]["apis"]
    assert usage["sandbox"]["used"] == 3 and usage["impot_particulier"]["used"] == 0
    assert (await client.post("/api/consumers/caf-demo/quota/reset")).status_code == 200
    assert (await client.get("/api/consumers/caf-demo")).json()["quota_usage"]["apis"]["sandbox"]["used"] == 0
    assert (await client.get("/api/events")).json()["events"][0]["action"] == "reset_quota"
    assert_envelope(await client.post("/api/consumers/personne/quota/reset"), 404, 404)


async def test_add_a_consumer_then_call_the_gateway_with_what_was_returned_once(admin) -> None:
    client = admin.client()
    response = await client.post(
        "/api/consumers",
        json={
            "name": "integrateur-test",
            "organisation": "Intégrateur de test",
            "oauth_scopes": ["RessourceIR"],
            "datapass_scopes": ["dgfip_rfr"],
            "quota_per_minute": 500,
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["client_secret"] and created["certificate"]["cert"].endswith("integrateur-test.pem")
    token = await token_status(
        admin.gateway,
        {
            "cert": created["certificate"]["cert"],
            "client_id": created["client_id"],
            "client_secret": created["client_secret"],
        },
    )
    assert token.status_code == 200, token.text
    shown = (await client.get("/api/consumers/integrateur-test")).json()
    assert "client_secret" not in shown
    assert_envelope(
        await client.post("/api/consumers", json={"name": "integrateur-test", "organisation": "x"}), 409, 409
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"name": "A B", "organisation": "x"}, "nom de partenaire invalide"),
        ({"name": "ok-name", "organisation": "x", "quota_per_minute": 1000}, "palier de quota 1000"),
        ({"name": "ok-name", "organisation": "x", "allowed_ips": ["10.0.0.0/33"]}, "plage IP invalide"),
        ({"name": "ok-name", "organisation": "x", "datapass_scopes": ["a b"]}, "scope DataPass inconnu : « a b »"),
        ({"name": "ok-name", "organisation": "x", "datapass_scopes": ["dgfip_foo"]}, "dgfip_rfr, dgfip_mntRevbareme"),
        (
            {"name": "ok-name", "organisation": "x", "oauth_scopes": ["RessourceFoo"]},
            "valeurs possibles : RessourceIR,",
        ),
        ({"name": "ok-name", "organisation": "x", "ficoba_modalities": ["spi"]}, "modalité FICOBA inconnu"),
        ({"name": "ok-name", "organisation": "x", "ficoba_motifs": ["M01"]}, "0001, 0003"),
        ({"name": "ok-name", "organisation": "x", "siret": "123"}, "14 chiffres"),
        ({"name": "ok-name", "organisation": "x", "sandbox_options": ["turbo"]}, "options connues"),
        ({"name": "ok-name"}, "organisation"),
        ({"name": "ok-name", "organisation": "x", "surprise": 1}, "surprise"),
    ],
)
async def test_add_refuses_bad_input_clearly(admin, body: dict, reason: str) -> None:
    response = await admin.client().post("/api/consumers", json=body)
    assert_envelope(response, 400, 400, reason)


async def test_disable_then_enable(admin) -> None:
    client = admin.client()
    consumer = admin.gateway.consumer("caf-demo")
    assert (await client.post("/api/consumers/caf-demo/disable")).json()["active"] is False
    assert_envelope(await token_status(admin.gateway, consumer), 401, 900901, "désactivé")
    assert (await client.post("/api/consumers/caf-demo/enable")).json()["active"] is True
    assert (await token_status(admin.gateway, consumer)).status_code == 200


async def test_grant_and_withdraw_scopes_modalities_and_motifs(admin) -> None:
    client = admin.client()
    consumer = admin.gateway.consumer("caf-demo")
    assert (await token_status(admin.gateway, consumer, scope="RessourceIFI")).status_code == 400
    granted = await client.post(
        "/api/consumers/caf-demo/grants",
        json={
            "datapass_scopes": ["dgfip_rfr"],
            "oauth_scopes": ["RessourceIFI"],
            "modalities": ["with_ficoba_spi"],
            "motifs": ["0001"],
        },
    )
    body = granted.json()
    assert (
        "dgfip_rfr" in body["datapass_scopes"]
        and body["ficoba_modalities"] == ["with_ficoba_spi"]
        and body["ficoba_motifs"] == ["0001"]
    )
    assert (await token_status(admin.gateway, consumer, scope="RessourceIFI")).status_code == 200
    withdrawn = (
        await client.post("/api/consumers/caf-demo/grants", json={"oauth_scopes": ["RessourceIFI"], "remove": True})
    ).json()
    assert "RessourceIFI" not in withdrawn["oauth_scopes"]
    assert_envelope(await client.post("/api/consumers/caf-demo/grants", json={}), 400, 400, "rien à accorder")
    typo = await client.post("/api/consumers/caf-demo/grants", json={"oauth_scopes": ["RessourceFoo"]})
    assert_envelope(typo, 400, 400, "scope OAuth inconnu : « RessourceFoo » (valeurs possibles : RessourceIR")
    assert "RessourceFoo" not in (await client.get("/api/consumers/caf-demo")).json()["oauth_scopes"]


async def test_quota_tier_only_200_500_750_and_the_gateway_follows(admin) -> None:
    client = admin.client()
    for tier in (100, 700, 1000):
        assert_envelope(
            await client.put("/api/consumers/caf-demo/quota", json={"quota_per_minute": tier}),
            400,
            400,
            "200, 500, 750",
        )
    assert (await client.put("/api/consumers/caf-demo/quota", json={"quota_per_minute": 750})).json()[
        "quota_per_minute"
    ] == 750
    gateway = await admin.gateway.client("caf-demo")
    assert (await gateway.get("/probe/open")).headers["ratelimit-policy"] == '"probe";q=750;w=60'


async def test_standing_scenario_set_validated_and_cleared(admin) -> None:
    client = admin.client()
    assert (await client.put("/api/consumers/caf-demo/scenario", json={"scenario": "error=503"})).json()[
        "sandbox_scenario"
    ] == "error=503"
    gateway = await admin.gateway.client("caf-demo")
    assert (await gateway.get("/probe/open")).status_code == 503
    assert_envelope(
        await client.put("/api/consumers/caf-demo/scenario", json={"scenario": "boum"}), 400, 400, "scénario invalide"
    )
    assert (await client.put("/api/consumers/caf-demo/scenario", json={"scenario": None})).json()[
        "sandbox_scenario"
    ] is None
    assert (await gateway.get("/probe/open")).status_code == 200


async def test_rotate_secret_returns_it_once_and_the_old_one_stops_working(admin) -> None:
    consumer = admin.gateway.consumer("caf-demo")
    rotated = (await admin.client().post("/api/consumers/caf-demo/secret")).json()
    assert rotated["client_id"] == consumer["client_id"] and rotated["client_secret"] != consumer["client_secret"]
    assert (await token_status(admin.gateway, consumer)).status_code == 401
    assert (await token_status(admin.gateway, consumer, secret=rotated["client_secret"])).status_code == 200
    events = (await admin.client().get("/api/events", params={"consumer": "caf-demo"})).json()["events"]
    assert events[0]["action"] == "rotate_secret" and rotated["client_secret"] not in str(events)


async def test_issue_rotate_and_revoke_certificates_with_the_crl_following_at_once(admin) -> None:
    client = admin.client()
    consumer = admin.gateway.consumer("caf-demo")
    old_cert_pem = Path(consumer["cert"]).read_text()
    old_cert = admin.gateway.settings.certs_dir / "old-caf.pem"
    old_cert.write_text(old_cert_pem)

    issued = (await client.post("/api/consumers/caf-demo/certificates")).json()
    assert issued["revoked"] == []
    assert (await token_status(admin.gateway, consumer, cert=issued["cert"])).status_code == 200
    assert (await token_status(admin.gateway, consumer, cert=str(old_cert))).status_code == 200  # both in force

    rotated = (await client.post("/api/consumers/caf-demo/certificates", json={"revoke_previous": True})).json()
    assert len(rotated["revoked"]) == 2
    assert_envelope(await token_status(admin.gateway, consumer, cert=str(old_cert)), 401, 900901, "révoqué")
    assert (await token_status(admin.gateway, consumer, cert=rotated["cert"])).status_code == 200

    revoked = (
        await client.post(
            "/api/consumers/caf-demo/certificates/revoke", json={"fingerprint_sha256": rotated["fingerprint_sha256"]}
        )
    ).json()
    assert revoked["revoked"] == [rotated["fingerprint_sha256"]]
    assert_envelope(await token_status(admin.gateway, consumer, cert=rotated["cert"]), 401, 900901, "révoqué")
    # The CRL itself lists it (a TLS proxy checking the CRL refuses it too).
    from dgfip_sandbox import pki

    serial = pki.load_pem_cert(Path(rotated["cert"]).read_bytes()).serial_number
    assert serial in pki.load_trust(admin.gateway.settings.certs_dir).revoked_serials

    assert_envelope(
        await client.post("/api/consumers/caf-demo/certificates/revoke"), 400, 400, "aucun certificat en vigueur"
    )
    assert_envelope(
        await client.post("/api/consumers/caf-demo/certificates/revoke", json={"fingerprint_sha256": "00" * 32}),
        404,
        404,
    )


async def test_reset_returns_to_the_seed(admin) -> None:
    client = admin.client()
    consumer = admin.gateway.consumer("caf-demo")
    await client.post("/api/consumers", json={"name": "temporaire", "organisation": "x"})
    await client.post("/api/consumers/caf-demo/disable")
    await client.put("/api/consumers/caf-demo/quota", json={"quota_per_minute": 200})
    await client.post("/api/consumers/caf-demo/certificates/revoke")
    await client.post("/api/consumers/caf-demo/secret")
    gateway = await admin.gateway.client("mairie-demo")
    await gateway.get("/probe/open")

    result = (await client.post("/api/reset")).json()
    assert result["removed"] == ["temporaire"]
    assert result["reissued_certificates"] == ["caf-demo"]
    assert result["journal_entries_removed"] >= 1

    names = [c["name"] for c in (await client.get("/api/consumers")).json()["consumers"]]
    assert "temporaire" not in names
    shown = (await client.get("/api/consumers/caf-demo")).json()
    assert shown["active"] is True and shown["quota_per_minute"] == 500
    # The secret of credentials.json works again, with the certificate file at the same path.
    assert (await token_status(admin.gateway, consumer)).status_code == 200
    assert (await client.get("/api/consumers/mairie-demo/journal")).json()["entries"] == []
    events = (await client.get("/api/events")).json()["events"]
    assert events[0]["action"] == "reset" and events[0]["actor"] == "api"


async def test_every_change_is_in_the_admin_audit_trail(admin) -> None:
    client = admin.client()
    await client.post("/api/consumers/caf-demo/disable")
    await client.post("/api/consumers/caf-demo/enable")
    await client.put("/api/consumers/caf-demo/quota", json={"quota_per_minute": 750})
    await client.post("/api/consumers/caf-demo/grants", json={"motifs": ["0005"]})
    actions = [e["action"] for e in (await client.get("/api/events")).json()["events"]]
    assert actions[:4] == ["grant", "quota", "enable", "disable"]


async def test_admin_journal_view_of_one_consumer(admin) -> None:
    gateway = await admin.gateway.client("caf-demo")
    await gateway.get("/probe/open?x=1")
    entries = (await admin.client().get("/api/consumers/caf-demo/journal")).json()["entries"]
    assert entries[0]["query"] == "x=***" and entries[0]["consumer"] == "caf-demo"  # undeclared: value not kept


async def test_portal_login_is_a_post_form_and_a_token_in_the_url_is_refused(admin) -> None:
    client = admin.client(token=None)
    # the token in an address (history, access logs) is refused, not read, and sets nothing
    in_url = await client.get("/portal", params={"token": admin.token})
    assert in_url.status_code == 400 and "ne se passe pas dans" in in_url.text
    assert "set-cookie" not in in_url.headers
    assert (await client.get("/portal")).status_code == 401
    # the form posts the token in the body; the answer sets the cookie and goes back to the portal
    wrong = await client.post("/portal/login", data={"token": "faux"})
    assert wrong.status_code == 401 and "incorrect." in wrong.text
    assert "set-cookie" not in wrong.headers
    foreign = await client.post("/portal/login", data={"token": admin.token}, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403 and "set-cookie" not in foreign.headers
    cross = await client.post("/portal/login", data={"token": admin.token}, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403 and "set-cookie" not in cross.headers
    login = await client.post("/portal/login", data={"token": admin.token})
    assert login.status_code == 303 and login.headers["location"] == "/portal"
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and admin.token not in login.headers["location"]
    page = await client.get("/portal")
    assert page.status_code == 200 and "Portail développeur" in page.text
    assert 'method="post" action="/portal/login"' in (await admin.client(token=None).get("/portal")).text


@pytest.mark.parametrize("via", ["api", "cli"])
async def test_reset_keeps_the_demo_extra_allowed_ips(probed, via: str) -> None:
    """Regression: after ``POST /api/reset`` or ``dgfip-sandbox reset`` the DGFIP_SANDBOX_DEMO_EXTRA_ALLOWED_IPS
    ranges were gone from the demo consumers, and docker-compose's host clients got 403 900805."""
    import anyio
    import httpx
    from typer.testing import CliRunner

    from dgfip_sandbox.assembly import build_admin_app
    from dgfip_sandbox.cli import app as cli_app

    extra = ["172.17.0.0/16"]
    settings = probed.settings.model_copy(update={"demo_extra_allowed_ips": extra})
    bridge_ip = "172.17.0.9"
    if via == "api":
        app = build_admin_app(settings, clock=probed.clock, gateway_openapi={})
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
            headers = {"Authorization": f"Bearer {probed.credentials['admin']['token']}"}
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", headers=headers) as admin:
                assert (await admin.post("/api/reset")).status_code == 200
    else:
        env = {
            "DGFIP_SANDBOX_VAR_DIR": str(settings.var_dir),
            "DGFIP_SANDBOX_CERTS_DIR": str(settings.certs_dir),
            "DGFIP_SANDBOX_DEMO_EXTRA_ALLOWED_IPS": ",".join(extra),
        }
        if settings.database_url:
            env["DGFIP_SANDBOX_DATABASE_URL"] = settings.database_url
        # The CLI runs its own event loop: in a worker thread, as from a terminal.
        result = await anyio.to_thread.run_sync(lambda: CliRunner().invoke(cli_app, ["reset", "--yes"], env=env))
        assert result.exit_code == 0, result.output
    client = await probed.client("mairie-demo", client_ip=bridge_ip)
    assert (await client.get("/probe/open")).status_code == 200
    # A consumer whose allowlist is not loopback-only keeps exactly its own ranges.
    other = probed.consumer("hors-reseau-demo")
    refused = await probed.raw_client(cert=other["cert"], client_ip=bridge_ip).post(
        "/token", data={"grant_type": "client_credentials"}, auth=(other["client_id"], other["client_secret"])
    )
    assert_envelope(refused, 403, 900805)
