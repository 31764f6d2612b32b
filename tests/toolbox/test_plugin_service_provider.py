"""The pytest plugin's own service provider, end to end over real servers: register an FS and a test
identity, link a consumer, drive FranceConnect's flow as that FS, call the gateway's FranceConnect route."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from dgfip_sandbox.testing.sandbox import DgfipSandbox, start_sandbox

CLOCK_START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # N-1 = 2025; within the PKI's validity
COUPLE_DEC1 = "1000000001084"
ROUTE = "/impotparticulier/1.0/situations/ir/assiettes/annrev/2025"
SCOPES = ["identite_pivot", "dgfip_rfr", "dgfip_sitfam", "dgfip_annee_n_moins_1"]


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DgfipSandbox]:
    sandbox = start_sandbox(tmp_path_factory.mktemp("fs"), seed_size=40, clock_start=CLOCK_START)
    try:
        yield sandbox
    finally:
        sandbox.stop()


def test_a_registered_fs_linked_to_a_consumer_reaches_the_fc_route(box: DgfipSandbox) -> None:
    fs = box.add_service_provider(
        "mon-fs",
        redirect_uris=["https://mon-fs.example/callback"],
        scopes=["openid", *SCOPES],
    )
    assert fs.client_secret and box.service_providers["mon-fs"] == fs
    identity = box.add_identity("ma-declarante", spi=COUPLE_DEC1, email="declarante@exemple.fr")
    assert identity["expected_spi"] == COUPLE_DEC1

    token = box.franceconnect_token("ma-declarante", SCOPES, service_provider="mon-fs").access_token
    client = box.client("caf-demo")
    refused = client.get(ROUTE, headers={"X-FranceConnect-OAuth": token})
    assert refused.status_code == 403 and refused.json()["erreur"]["code"] == 4033  # not linked yet

    box.link_service_provider("caf-demo", "mon-fs")
    answered = client.get(ROUTE, headers={"X-FranceConnect-OAuth": token})
    assert answered.status_code == 200, answered.text
    assert "sitFam" in answered.json()
    assert "rfr" not in answered.json()  # consented, but outside caf-demo's DataPass

    demo_token = box.franceconnect_token(COUPLE_DEC1, SCOPES).access_token  # the demo FS's token
    other = client.get(ROUTE, headers={"X-FranceConnect-OAuth": demo_token})
    assert other.status_code == 403 and other.json()["erreur"]["code"] == 4033


def test_a_removed_fs_gets_no_token(box: DgfipSandbox) -> None:
    box.add_service_provider("fs-retire", redirect_uris=["https://retire.example/callback"], scopes=["openid"])
    box.remove_service_provider("fs-retire")
    with pytest.raises(KeyError):
        box.franceconnect_token(COUPLE_DEC1, [], service_provider="fs-retire")


def test_an_hs256_fs_gets_an_id_token_signed_with_its_secret(box: DgfipSandbox) -> None:
    from joserfc import jwt
    from joserfc.jwk import OctKey

    fs = box.add_service_provider(
        "fs-hs256", redirect_uris=["https://hs.example/callback"], scopes=["openid", "identite_pivot"], alg="HS256"
    )
    tokens = box.franceconnect_token(COUPLE_DEC1, ["identite_pivot"], service_provider="fs-hs256")
    token = jwt.decode(tokens.id_token, OctKey.import_key(fs.client_secret), algorithms=["HS256"])
    assert token.header["alg"] == "HS256" and token.claims["aud"] == fs.client_id
