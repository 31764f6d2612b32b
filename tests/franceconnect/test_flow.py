"""The whole FranceConnect flow in-process: authorize → identity → consent → callback → token →
userinfo → checktoken v1 and v2 → logout."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc.jwk import KeySet

from dgfip_sandbox.franceconnect import jose
from dgfip_sandbox.franceconnect.registry import DGFIP_DATA_PROVIDER, DataProviderCredentials
from dgfip_sandbox.store.database import create_engine, create_sessionmaker
from dgfip_sandbox.store.franceconnect import list_events

from .fc_flow import hidden

pytestmark = pytest.mark.anyio


def _segments(compact: str) -> list[dict]:
    return [json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))) for part in compact.split(".")[:2]]


async def test_discovery_and_jwks(flow):
    conf = (await flow.client.get("/api/v2/.well-known/openid-configuration")).json()
    assert conf["issuer"] == "http://127.0.0.1:8444/api/v2"
    assert conf["acr_values_supported"] == ["eidas1"]
    assert {"openid", "profile", "identite_pivot", "dgfip_rfr", "dgfip_aft"} <= set(conf["scopes_supported"])
    assert "address" not in conf["scopes_supported"] and "offline_access" not in conf["scopes_supported"]
    assert {"sub", "given_name", "given_name_array", "amr", "acr"} <= set(conf["claims_supported"])
    assert conf["subject_types_supported"] == ["pairwise"]
    assert conf["end_session_endpoint"].endswith("/api/v2/session/end")
    # Every field FranceConnect's own contract test requires (quality/fcp/cypress/support/api/dto/get-discovery.dto.ts)
    for field in (
        "authorization_response_iss_parameter_supported",
        "claims_parameter_supported",
        "code_challenge_methods_supported",
        "grant_types_supported",
        "request_object_signing_alg_values_supported",
        "request_parameter_supported",
        "request_uri_parameter_supported",
        "response_modes_supported",
        "response_types_supported",
        "token_endpoint_auth_signing_alg_values_supported",
        "userinfo_signing_alg_values_supported",
        "revocation_endpoint",
        "claim_types_supported",
    ):
        assert field in conf, field
    assert conf["authorization_response_iss_parameter_supported"] is True
    assert conf["revocation_endpoint"] == "http://127.0.0.1:8444/api/v2/token/revocation"
    assert conf["claim_types_supported"] == ["normal"]
    assert sorted(conf["id_token_signing_alg_values_supported"]) == ["ES256", "HS256", "RS256"]
    assert sorted(conf["userinfo_signing_alg_values_supported"]) == ["ES256", "HS256", "RS256"]
    assert conf["token_endpoint_auth_methods_supported"] == ["client_secret_post", "private_key_jwt"]
    for absent in (
        "backchannel_logout_supported",
        "backchannel_logout_session_supported",
        "id_token_encryption_alg_values_supported",
        "userinfo_encryption_alg_values_supported",
    ):
        assert absent not in conf
    # FranceConnect's scope library: the five locaux_th scopes, not dgfip_rbg nor the death scope
    assert {
        "dgfip_locaux_th",
        "dgfip_locaux_th_ident",
        "dgfip_locaux_th_Nat",
        "dgfip_locaux_th_Tax",
        "dgfip_locaux_th_Aff",
    } <= set(conf["scopes_supported"])
    assert not {"dgfip_rbg", "dgfip_annee_df_au_3112_si_deces_ctb_mp"} & set(conf["scopes_supported"])
    jwks = (await flow.client.get("/api/v2/jwks")).json()
    assert sorted(k["alg"] for k in jwks["keys"]) == ["ES256", "RS256"]
    assert all("d" not in k and k["use"] == "sig" and k["kid"] for k in jwks["keys"])


async def test_consent_page_groups_claims_by_provider(flow):
    page = await flow.consent_page({"scope": "openid identite_pivot dgfip_rfr dgfip_nbpart dgfip_aft"})
    html = page.text
    assert "Informations récupérées depuis FranceConnect" in html
    assert "Informations récupérées depuis Direction générale des Finances publiques" in html
    for label in (
        "Revenu fiscal de référence",
        "Nombre de parts du foyer fiscal",
        "Adresse déclarée au 1er Janvier",
        "Nom de naissance",
        "Date de naissance",
    ):
        assert label in html
    assert len(hidden(html, "csrfToken")) == 64
    assert "Vous allez vous connecter en tant que :" in html and "Jean Pierre DUPONT" in html
    assert "Données transmises" in html
    assert page.headers["x-frame-options"] == "DENY"


async def test_full_flow_es256(flow, fc_settings):
    tokens = await flow.tokens(claims=json.dumps({"id_token": {"amr": {"essential": True}}}))
    assert set(tokens) == {"access_token", "token_type", "expires_in", "id_token", "scope"}
    assert tokens["expires_in"] == 60 and tokens["token_type"] == "Bearer"
    header, claims = _segments(tokens["id_token"])
    assert set(header) == {"alg", "kid"} and header["alg"] == "ES256"
    keys = KeySet.import_key_set((await flow.client.get("/api/v2/jwks")).json())
    _h, verified = jose.verify(tokens["id_token"], keys)
    assert set(verified) == {"sub", "auth_time", "acr", "nonce", "aud", "exp", "iat", "iss", "amr"}
    assert verified["nonce"] == flow.nonce and verified["acr"] == "eidas1" and verified["amr"] == ["fc", "pwd"]
    assert verified["aud"] == flow.sp().client_id
    assert len(verified["sub"]) == 66 and verified["sub"].endswith("v1")

    info = await flow.client.get("/api/v2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 200 and info.headers["content-type"] == "application/jwt"
    _h, user = jose.verify(info.text, keys)
    assert user["sub"] == verified["sub"]
    assert user["given_name"] == "Jean Pierre" and user["given_name_array"] == ["Jean", "Pierre"]
    assert user["family_name"] == "DUPONT" and user["birthdate"] == "1980-05-12" and user["gender"] == "male"
    assert user["birthplace"] == "75056" and user["birthcountry"] == "99100"
    assert "email" not in user  # not requested

    # checktoken v2 as the DGFIP data provider
    creds = DataProviderCredentials.load(fc_settings)
    answer = await flow.client.post(
        "/api/v2/checktoken",
        data={"token": tokens["access_token"], "client_id": creds.client_id, "client_secret": creds.client_secret},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/token-introspection+jwt"
    jwe_header, plaintext = jose.decrypt(answer.text, KeySet.import_key_set(creds.private_jwks))
    assert set(jwe_header) == {"alg", "enc", "epk"} and jwe_header["enc"] == "A256GCM"
    jws_header, outer = jose.verify(plaintext, keys)
    assert set(jws_header) == {"alg", "kid"}
    assert set(outer) == {"token_introspection", "aud", "iat", "iss"} and outer["aud"] == creds.client_id
    ti = outer["token_introspection"]
    assert ti["active"] is True and ti["aud"] == flow.sp().client_id and ti["acr"] == "eidas1"
    assert ti["scope"] == "dgfip_rfr dgfip_nbpart dgfip_sitfam"  # only the data provider's scopes
    assert ti["sub"] != verified["sub"]  # pairwise: the data provider sees its own pseudonym
    assert {k: ti[k] for k in ("given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry")} == {
        "given_name": "Jean Pierre",
        "family_name": "DUPONT",
        "birthdate": "1980-05-12",
        "gender": "male",
        "birthplace": "75056",
        "birthcountry": "99100",
    }
    assert ti["exp"] - ti["iat"] == 60 and ti["jti"]

    # checktoken v1 (legacy): no data-provider authentication, plain JSON, every scope
    v1 = await flow.client.post("/api/v1/checktoken", json={"token": tokens["access_token"]})
    assert v1.status_code == 200
    body = v1.json()
    assert body["scope"] == ["openid", "identite_pivot", "dgfip_rfr", "dgfip_nbpart", "dgfip_sitfam"]
    assert body["identity"]["family_name"] == "DUPONT" and body["acr"] == "eidas1"
    assert body["client"] == {"client_id": flow.sp().client_id, "client_name": "Service en ligne de démonstration"}

    # logout: back to the FS with its state; the tokens of the session die with it
    logout = await flow.client.get(
        "/api/v2/session/end",
        params={
            "id_token_hint": tokens["id_token"],
            "state": "etat-deconnexion",
            "post_logout_redirect_uri": flow.sp().post_logout_redirect_uris(fc_settings)[0],
        },
    )
    assert logout.status_code == 303
    assert logout.headers["location"] == "http://localhost:8446/logout-callback?state=etat-deconnexion"
    after = await flow.client.post("/api/v1/checktoken", json={"token": tokens["access_token"]})
    assert after.status_code == 401 and after.json() == {"status": "fail", "message": "token_not_found_or_expired"}

    engine = create_engine(fc_settings.sqlalchemy_url)
    async with create_sessionmaker(engine)() as session:
        types = [e["type"] for e in reversed(await list_events(session, limit=50))]
    await engine.dispose()
    for expected in (
        "FC_AUTHORIZE_INITIATED",
        "IDP_AUTHENTICATED",
        "FC_SHOWED_CONSENT",
        "FC_DATATRANSFER_INFORMATION_IDENTITY",
        "FC_REDIRECTED_TO_SP",
        "SP_REQUESTED_FC_TOKEN",
        "SP_REQUESTED_FC_USERINFO",
        "DP_VERIFIED_FC_CHECKTOKEN",
        "FC_SESSION_TERMINATED",
    ):
        assert expected in types
    assert types.index("FC_SHOWED_CONSENT") < types.index("FC_DATATRANSFER_INFORMATION_IDENTITY")


async def test_private_sp_rs256_and_explicit_consent(flow):
    consent = await flow.consent_page({"scope": "openid identite_pivot dgfip_rfr"}, private=True)
    assert "J’accepte que FranceConnect transmette mes données au service pour me connecter" in consent.text
    refused = await flow.client.post(
        "/api/v2/login",
        data={"csrfToken": hidden(consent.text, "csrfToken"), "interactionId": hidden(consent.text, "interactionId")},
    )
    assert (
        refused.status_code == 400 and "Veuillez cocher la case pour accepter le transfert des données" in refused.text
    )
    accepted = await flow.client.post(
        "/api/v2/login",
        data={
            "csrfToken": hidden(consent.text, "csrfToken"),
            "interactionId": hidden(consent.text, "interactionId"),
            "accept": "1",
        },
    )
    assert accepted.status_code == 303
    code = parse_qs(urlsplit(accepted.headers["location"]).query)["code"][0]
    response = await flow.exchange(code, private=True)
    assert response.status_code == 200, response.text
    header, claims = _segments(response.json()["id_token"])
    assert header["alg"] == "RS256" and "amr" not in claims
    userinfo = await flow.client.get(
        "/api/v2/userinfo", headers={"Authorization": "Bearer " + response.json()["access_token"]}
    )
    assert _segments(userinfo.text)[0]["alg"] == "RS256"


async def test_anonymous_scope_page(flow):
    page = await flow.consent_page({"scope": "openid"})
    assert "Vous allez vous connecter de façon anonyme" in page.text


async def test_checktoken_scope_empty_when_no_dgfip_scope(flow, fc_settings):
    tokens = await flow.tokens(scope="openid identite_pivot")
    creds = DataProviderCredentials.load(fc_settings)
    answer = await flow.client.post(
        "/api/v2/checktoken",
        data={"token": tokens["access_token"], "client_id": creds.client_id, "client_secret": creds.client_secret},
    )
    _h, plaintext = jose.decrypt(answer.text, KeySet.import_key_set(creds.private_jwks))
    ti = json.loads(base64.urlsafe_b64decode(plaintext.split(b".")[1] + b"=" * (-len(plaintext.split(b".")[1]) % 4)))
    assert ti["token_introspection"]["active"] is True and ti["token_introspection"]["scope"] == ""
    assert DGFIP_DATA_PROVIDER.client_id == creds.client_id


async def test_born_abroad_has_no_birthplace_in_introspection(flow, fc_settings):
    tokens = await flow.tokens(login="2345678901234")
    creds = DataProviderCredentials.load(fc_settings)
    answer = await flow.client.post(
        "/api/v2/checktoken",
        data={"token": tokens["access_token"], "client_id": creds.client_id, "client_secret": creds.client_secret},
    )
    keys = KeySet.import_key_set((await flow.client.get("/api/v2/jwks")).json())
    _h, plaintext = jose.decrypt(answer.text, KeySet.import_key_set(creds.private_jwks))
    ti = jose.verify(plaintext, keys)[1]["token_introspection"]
    assert "birthplace" not in ti and ti["birthcountry"] == "99243"
