"""Your own FranceConnect service provider and test identities: ``franceconnect fs|idp …``,
``consumers link-fs`` and the admin API's FranceConnect routes — validation, audit, and the effect on
FranceConnect (authorize, the identity picker) and on the gateway's FranceConnect routes."""

from __future__ import annotations

import json

import httpx
import pytest

from dgfip_sandbox.assembly import build_franceconnect_app
from dgfip_sandbox.franceconnect.registry import stable_client_id
from tests.gateway.test_pipeline import assert_envelope

COUPLE_DEC1 = "1000000001084"
REDIRECT = "https://mon-fs.example/callback"


def fs_add(cli, name: str = "mon-fs", *extra: str, ok: bool = True):  # type: ignore[no-untyped-def]
    return cli("franceconnect", "fs", "add", name, "--redirect-uri", REDIRECT, *extra, ok=ok)


# CLI ---------------------------------------------------------------------------------------------------


def test_fs_add_list_show_remove(cli) -> None:
    added = fs_add(
        cli,
        "mon-fs",
        "--post-logout-uri",
        "https://mon-fs.example/logout",
        "--alg",
        "RS256",
        "--scopes",
        "openid identite_pivot dgfip_rfr dgfip_annee_n_moins_1",
        "--private",
    )
    created = json.loads(added.stdout)
    assert created["client_id"] == stable_client_id("fs", "mon-fs")
    assert created["client_secret"] and "ne sera plus jamais affiché" in added.stderr
    assert created["alg"] == "RS256" and created["type"] == "private" and created["auth"] == "client_secret_post"
    assert created["scopes"] == ["openid", "identite_pivot", "dgfip_rfr", "dgfip_annee_n_moins_1"]
    assert created["post_logout_redirect_uris"] == ["https://mon-fs.example/logout"]
    shown = json.loads(cli("franceconnect", "fs", "show", "mon-fs").stdout)
    assert "client_secret" not in shown and shown["redirect_uris"] == [REDIRECT]
    listed = json.loads(cli("franceconnect", "fs", "list", "--json").stdout)
    assert {"mon-fs", "Service en ligne de démonstration"} <= {r["name"] for r in listed}
    assert "mon-fs" in cli("franceconnect", "fs", "list").stdout
    again = fs_add(cli, "mon-fs", ok=False)
    assert again.exit_code == 1 and "déjà enregistré" in again.output
    assert "retiré" in cli("franceconnect", "fs", "remove", "mon-fs").stdout
    gone = cli("franceconnect", "fs", "show", "mon-fs", ok=False)
    assert gone.exit_code == 1 and "Fournisseur de service FranceConnect inconnu" in gone.output


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (("--redirect-uri", "pas-une-url"), "redirect_uri invalide"),
        (("--post-logout-uri", "ftp://x.example/"), "post_logout_redirect_uri invalide"),
        (("--scopes", "openid dgfip_inconnu"), "scopes : inconnus de FranceConnect : dgfip_inconnu"),
        (("--alg", "HS512"), "alg invalide"),
        (("--auth", "client_secret_basic"), "auth invalide"),
        (("--auth", "private_key_jwt"), "jwks_uri : obligatoire"),
        (("--jwks-uri", "https://mon-fs.example/jwks"), "jwks_uri : réservé"),
    ],
)
def test_fs_add_refuses_with_the_field_named(cli, extra: tuple[str, ...], fragment: str) -> None:
    refused = fs_add(cli, "mon-fs", *extra, ok=False)
    assert refused.exit_code == 1 and fragment in refused.output, refused.output
    assert "Traceback" not in refused.output


def test_fs_add_private_key_jwt_and_hs256(cli) -> None:
    created = json.loads(
        fs_add(cli, "fs-pkjwt", "--auth", "private_key_jwt", "--jwks-uri", "https://mon-fs.example/jwks").stdout
    )
    assert created["auth"] == "private_key_jwt" and created["jwks_uri"] == "https://mon-fs.example/jwks"
    assert json.loads(fs_add(cli, "fs-hs256", "--alg", "HS256").stdout)["alg"] == "HS256"


def test_idp_add_from_a_spi_and_from_birth_data(cli) -> None:
    from_spi = json.loads(cli("franceconnect", "idp", "add", "mon-declarant", "--spi", COUPLE_DEC1).stdout)
    assert from_spi["expected_spi"] == COUPLE_DEC1 and from_spi["email"].endswith("@bac-a-sable.example")
    born_abroad = json.loads(
        cli(
            "franceconnect", "idp", "add", "inconnue", "--given-name", "Zoé Anne", "--family-name", "NULLEPART",
            "--birthdate", "1990-02-03", "--gender", "female", "--birthcountry", "99134", "--email", "zoe@exemple.fr",
        ).stdout
    )  # fmt: skip
    assert born_abroad["expected_spi"] is None and born_abroad["birthplace"] == ""
    assert born_abroad["email"] == "zoe@exemple.fr"
    listed = cli("franceconnect", "idp", "list").stdout
    assert "mon-declarant" in listed and "inconnue" in listed
    assert "retirée" in cli("franceconnect", "idp", "remove", "inconnue").stdout
    assert "inconnue" not in cli("franceconnect", "idp", "list").stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--spi", "0000000000000"), "spi : aucun déclarant"),
        (("--spi", COUPLE_DEC1, "--birthdate", "1901-01-01"), "ne se réconcilie pas"),
        (("--given-name", "Jean"), "family_name"),
        (("--given-name", "A", "--family-name", "B", "--birthdate", "hier", "--gender", "male"), "birthdate invalide"),
        (("--given-name", "A", "--family-name", "B", "--birthdate", "1990-01-01", "--gender", "x"), "gender invalide"),
        (
            (
                "--given-name",
                "A",
                "--family-name",
                "B",
                "--birthdate",
                "1990-01-01",
                "--gender",
                "male",
                "--birthcountry",
                "99134",
                "--email",
                "@",
            ),
            "email invalide",
        ),
    ],
)
def test_idp_add_refuses_with_the_field_named(cli, args: tuple[str, ...], fragment: str) -> None:
    refused = cli("franceconnect", "idp", "add", "refusee", *args, ok=False)
    assert refused.exit_code == 1 and fragment in refused.output, refused.output


def test_link_fs(cli) -> None:
    fs_add(cli, "mon-fs")
    linked = cli("consumers", "link-fs", "caf-demo", "mon-fs")
    assert "mon-fs" in linked.stdout
    assert json.loads(cli("consumers", "show", "caf-demo").stdout)["fc_client_id"] == stable_client_id("fs", "mon-fs")
    unknown_fs = cli("consumers", "link-fs", "caf-demo", "aucun-fs", ok=False)
    assert unknown_fs.exit_code == 1 and "Fournisseur de service FranceConnect inconnu" in unknown_fs.output
    unknown_consumer = cli("consumers", "link-fs", "personne", "mon-fs", ok=False)
    assert unknown_consumer.exit_code == 1 and "Partenaire inconnu" in unknown_consumer.output


def test_the_franceconnect_group_still_serves_by_default(cli) -> None:
    helped = cli("franceconnect", "--help").stdout
    assert "--fc-port" in helped and "fs" in helped and "idp" in helped


# Admin API ---------------------------------------------------------------------------------------------

pytestmark_anyio = pytest.mark.anyio


@pytestmark_anyio
async def test_admin_api_fs_identities_link_and_audit(admin) -> None:
    client = admin.client()
    created = await client.post(
        "/api/franceconnect/service-providers",
        json={"name": "api-fs", "redirect_uris": [REDIRECT], "scopes": ["openid", "identite_pivot", "dgfip_rfr"]},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["client_secret"] and body["client_id"] == stable_client_id("fs", "api-fs")
    shown = (await client.get("/api/franceconnect/service-providers/api-fs")).json()
    assert "client_secret" not in shown
    listed = (await client.get("/api/franceconnect/service-providers")).json()["service_providers"]
    assert "api-fs" in {r["name"] for r in listed}
    linked = await client.put("/api/consumers/caf-demo/service-provider", json={"fs": "api-fs"})
    assert linked.status_code == 200 and linked.json()["fc_client_id"] == body["client_id"]
    identity = await client.post("/api/franceconnect/identities", json={"login": "api-id", "spi": COUPLE_DEC1})
    assert identity.status_code == 201 and identity.json()["expected_spi"] == COUPLE_DEC1
    logins = [i["login"] for i in (await client.get("/api/franceconnect/identities")).json()["identities"]]
    assert "api-id" in logins
    assert (await client.delete("/api/franceconnect/identities/api-id")).status_code == 200
    assert (await client.delete("/api/franceconnect/service-providers/api-fs")).status_code == 200
    events = (await client.get("/api/events", params={"limit": 20})).json()["events"]
    actions = [e["action"] for e in events if e["actor"] == "api"]
    for action in ("fc_fs_add", "link_fs", "fc_identity_add", "fc_identity_remove", "fc_fs_remove"):
        assert action in actions
    assert body["client_secret"] not in json.dumps(events)


@pytestmark_anyio
async def test_admin_api_refusals_in_the_envelope(admin) -> None:
    client = admin.client()
    bad = await client.post("/api/franceconnect/service-providers", json={"name": "x-fs", "redirect_uris": ["nope"]})
    assert_envelope(bad, 400, 400, "redirect_uri invalide")
    extra = await client.post(
        "/api/franceconnect/service-providers", json={"name": "x-fs", "redirect_uris": [REDIRECT], "secret": "s"}
    )
    assert_envelope(extra, 400, 400)
    assert_envelope(await client.get("/api/franceconnect/service-providers/aucun"), 404, 404, "inconnu")
    assert_envelope(
        await client.put("/api/consumers/personne/service-provider", json={"fs": "demo-fs"}), 404, 404, "Partenaire"
    )
    assert_envelope(await client.delete("/api/franceconnect/identities/aucune"), 404, 404, "Identité de test inconnue")
    unauthenticated = await admin.client(token=None).get("/api/franceconnect/service-providers")
    assert_envelope(unauthenticated, 401, 401)


@pytestmark_anyio
async def test_a_registered_fs_and_identity_are_effective_at_once_at_franceconnect(admin) -> None:
    settings = admin.gateway.settings
    client = admin.client()
    fc_app = build_franceconnect_app(settings, clock=admin.gateway.clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fc_app), base_url="http://127.0.0.1:8444") as fc:
        params = {
            "response_type": "code",
            "client_id": stable_client_id("fs", "effet-fs"),
            "redirect_uri": REDIRECT,
            "scope": "openid identite_pivot",
            "state": "e" * 32,
            "nonce": "n" * 32,
            "acr_values": "eidas1",
        }
        unknown = await fc.get("/api/v2/authorize", params=params)
        assert unknown.status_code == 400  # FranceConnect's page for an unknown client
        await client.post(
            "/api/franceconnect/service-providers", json={"name": "effet-fs", "redirect_uris": [REDIRECT]}
        )
        await client.post(
            "/api/franceconnect/identities",
            json={"login": "mon-identite", "spi": COUPLE_DEC1, "description": "Identité ajoutée par le test"},
        )
        known = await fc.get("/api/v2/authorize", params=params)
        assert known.status_code in (302, 303), known.text
        uid = known.headers["location"].rstrip("/").rsplit("/", 1)[-1]
        picker = await fc.get(f"/api/v2/interaction/{uid}/fi")  # the demo identity provider's accounts
        assert picker.status_code == 200, picker.text
        assert "mon-identite" in picker.text or "Identité ajoutée par le test" in picker.text
        await client.delete("/api/franceconnect/service-providers/effet-fs")
        assert (await fc.get("/api/v2/authorize", params=params)).status_code == 400
