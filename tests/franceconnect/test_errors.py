"""Every refusal of the FranceConnect-like service, as FranceConnect words it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from dgfip_sandbox.franceconnect.registry import DataProviderCredentials

from .fc_flow import hidden

pytestmark = pytest.mark.anyio


def _redirect_query(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.text
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


# --- /authorize: errors shown on a page, never redirected --------------------------------------


async def test_unregistered_redirect_uri_gets_a_page_not_a_redirect(flow):
    response = await flow.authorize(redirect_uri="https://evil.example/callback")
    assert response.status_code == 400 and "location" not in response.headers
    assert "text/html" in response.headers["content-type"]
    assert "ne correspond à aucune des adresses enregistrées" in response.text
    # a prefix of a registered URI is not registered either
    prefix = await flow.authorize(redirect_uri="http://localhost:8446/callback/../x")
    assert prefix.status_code == 400 and "location" not in prefix.headers


async def test_unknown_client_gets_a_page(flow):
    response = await flow.authorize(client_id="inconnu")
    assert response.status_code == 400 and "location" not in response.headers
    assert "fournisseur de service est inconnu" in response.text


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"state": None}, "« state » est obligatoire"),
        ({"nonce": "trop-court"}, "au moins 22 caractères"),
        ({"nonce": None}, "« nonce » est obligatoire"),
        ({"acr_values": None}, "« acr_values » est obligatoire"),
        ({"scope": None}, "« scope » est obligatoire"),
        ({"redirect_uri": None}, "« redirect_uri » est obligatoire"),
    ],
)
async def test_malformed_authorize_is_a_y000400_page(flow, overrides, fragment):
    response = await flow.authorize(**overrides)
    assert response.status_code == 400 and "location" not in response.headers
    assert fragment in response.text
    assert "Y000400" in response.text


@pytest.mark.parametrize(
    "overrides, error, description",
    [
        ({"acr_values": "eidas3"}, "access_denied", "requested ACRs could not be satisfied"),
        ({"scope": "openid dgfip_inconnu"}, "invalid_scope", "requested scope is not whitelisted: dgfip_inconnu"),
        ({"scope": "identite_pivot"}, "invalid_request", "openid scope must be requested for this response_type"),
        ({"response_type": "token"}, "unsupported_response_type", "unsupported response_type requested"),
        ({"claims": "{pas du json"}, "invalid_request", "could not parse the claims parameter JSON"),
        ({"prompt": "none"}, "invalid_request", "unsupported prompt value requested"),
    ],
)
async def test_protocol_errors_go_back_to_the_registered_redirect_uri(flow, overrides, error, description):
    response = await flow.authorize(**overrides)
    query = _redirect_query(response)
    assert response.headers["location"].startswith("http://localhost:8446/callback?")
    assert query == {"error": error, "error_description": description, "state": flow.state}


async def test_scope_not_allowed_for_this_sp(flow):
    response = await flow.authorize(private=True, scope="openid dgfip_indiIFI")
    assert _redirect_query(response)["error"] == "invalid_scope"


async def test_user_abort_returns_access_denied(flow):
    response = await flow.authorize()
    page = await flow.client.get(response.headers["location"])
    uid = response.headers["location"].split("/")[-1]
    assert page.status_code == 200
    aborted = await flow.client.get(f"/api/v2/interaction/{uid}/abort")
    assert _redirect_query(aborted) == {
        "error": "access_denied",
        "error_description": "User auth aborted",
        "state": flow.state,
    }


# --- identity provider and consent ---------------------------------------------------------------


async def test_wrong_password_and_unknown_login(flow):
    response = await flow.authorize()
    bad = await flow.login(response.headers["location"], "0123456789012", password="456")
    assert bad.status_code == 401 and "Identifiant ou mot de passe incorrect" in bad.text
    unknown = await flow.login(response.headers["location"], "personne")
    assert unknown.status_code == 401


async def test_consent_needs_the_csrf_token_and_the_session_cookie(flow):
    consent = await flow.consent_page()
    uid = hidden(consent.text, "interactionId")
    forged = await flow.client.post("/api/v2/login", data={"csrfToken": "0" * 64, "interactionId": uid})
    assert forged.status_code == 400 and "jeton de sécurité" in forged.text
    cookies = dict(flow.client.cookies)
    flow.client.cookies.clear()
    stolen = await flow.client.post(
        "/api/v2/login", data={"csrfToken": hidden(consent.text, "csrfToken"), "interactionId": uid}
    )
    assert stolen.status_code == 400 and "introuvable" in stolen.text
    flow.client.cookies.update(cookies)
    ok = await flow.client.post(
        "/api/v2/login", data={"csrfToken": hidden(consent.text, "csrfToken"), "interactionId": uid}
    )
    assert ok.status_code == 303
    replay = await flow.client.post(
        "/api/v2/login", data={"csrfToken": hidden(consent.text, "csrfToken"), "interactionId": uid}
    )
    assert replay.status_code == 400  # the step is over


async def test_consent_before_login_is_refused(flow):
    response = await flow.authorize()
    uid = response.headers["location"].split("/")[-1]
    page = await flow.client.get(f"/api/v2/interaction/{uid}/consent")
    assert page.status_code == 400 and "pas disponible" in page.text


async def test_session_expires_after_30_minutes(flow, fc_clock):
    response = await flow.authorize()
    fc_clock.advance(1801)
    page = await flow.client.get(response.headers["location"])
    assert page.status_code == 400 and "a expiré" in page.text


# --- /token ----------------------------------------------------------------------------------


async def test_reused_code_is_invalid_grant_and_revokes_tokens(flow):
    code = await flow.code()
    first = await flow.exchange(code)
    assert first.status_code == 200
    access_token = first.json()["access_token"]
    assert (await flow.client.post("/api/v1/checktoken", json={"token": access_token})).status_code == 200
    second = await flow.exchange(code)
    assert second.status_code == 400
    assert second.json() == {
        "error": "invalid_grant",
        "error_description": "grant request is invalid (authorization code already consumed)",
    }
    revoked = await flow.client.post("/api/v1/checktoken", json={"token": access_token})
    assert revoked.status_code == 401
    userinfo = await flow.client.get("/api/v2/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    assert userinfo.status_code == 401


async def test_expired_code(flow, fc_clock):
    code = await flow.code()
    fc_clock.advance(31)
    response = await flow.exchange(code)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "grant request is invalid (authorization code is expired)",
    }


async def test_token_errors(flow):
    code = await flow.code()
    wrong_secret = await flow.exchange(code, client_secret="faux")
    assert wrong_secret.status_code == 401
    assert wrong_secret.json() == {
        "error": "invalid_client",
        "error_description": "client authentication failed (invalid secret provided)",
    }
    unknown = await flow.exchange("inconnu")
    assert (
        unknown.status_code == 400
        and unknown.json()["error_description"] == "grant request is invalid (authorization code not found)"
    )
    empty = await flow.exchange("")
    assert empty.status_code == 400 and empty.json() == {
        "error": "invalid_request",
        "error_description": "missing required parameter 'code'",
    }
    grant = await flow.exchange(code, grant_type="client_credentials")
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    redirect = await flow.exchange(code, redirect_uri="http://127.0.0.1:8446/callback")
    assert redirect.status_code == 400 and "redirect_uri mismatch" in redirect.json()["error_description"]
    nobody = await flow.client.post("/api/v2/token", data={"grant_type": "authorization_code", "code": code})
    assert nobody.status_code == 401 and nobody.json()["error"] == "invalid_client"


async def test_code_of_another_client_is_not_found(flow):
    code = await flow.code()
    response = await flow.exchange(code, private=True)
    assert response.status_code == 400 and "not found" in response.json()["error_description"]


# --- /userinfo -----------------------------------------------------------------------------------


async def test_userinfo_errors(flow, fc_clock):
    none = await flow.client.get("/api/v2/userinfo")
    assert none.status_code == 401 and none.json()["error_description"] == "no access token provided"
    assert none.headers["www-authenticate"].startswith('Bearer realm="FranceConnect", error="invalid_token"')
    tokens = await flow.tokens()
    fc_clock.advance(61)
    expired = await flow.client.get("/api/v2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert expired.status_code == 401
    assert expired.json() == {
        "error": "invalid_token",
        "error_description": "invalid token provided (access token not found)",
    }


# --- checktoken --------------------------------------------------------------------------------


async def test_checktoken_v2_errors(flow, fc_settings, fc_clock):
    creds = DataProviderCredentials.load(fc_settings)
    tokens = await flow.tokens()
    base = {"token": tokens["access_token"], "client_id": creds.client_id, "client_secret": creds.client_secret}
    invalid = {"error": "invalid_request", "error_description": "Required parameter missing or invalid."}
    for broken in (
        {**base, "token": ""},
        {k: v for k, v in base.items() if k != "client_secret"},
        {**base, "extra": "x"},
    ):
        response = await flow.client.post("/api/v2/checktoken", data=broken)
        assert response.status_code == 400 and response.json() == invalid
    as_json = await flow.client.post("/api/v2/checktoken", json=base)
    assert as_json.status_code == 400
    unauthorized = {"error": "invalid_client", "error_description": "Client authentication failed."}
    wrong = await flow.client.post("/api/v2/checktoken", data={**base, "client_secret": "faux"})
    assert wrong.status_code == 401 and wrong.json() == unauthorized
    unknown = await flow.client.post("/api/v2/checktoken", data={**base, "client_id": "inconnu"})
    assert unknown.status_code == 401 and unknown.json() == unauthorized

    fc_clock.advance(61)  # expired: still 200, active false
    from joserfc.jwk import KeySet

    from dgfip_sandbox.franceconnect import jose

    expired = await flow.client.post("/api/v2/checktoken", data=base)
    assert expired.status_code == 200
    _h, plaintext = jose.decrypt(expired.text, KeySet.import_key_set(creds.private_jwks))
    keys = KeySet.import_key_set((await flow.client.get("/api/v2/jwks")).json())
    assert jose.verify(plaintext, keys)[1]["token_introspection"] == {"active": False}


async def test_checktoken_v1_errors(flow):
    malformed = await flow.client.post("/api/v1/checktoken", json={})
    assert malformed.status_code == 401 and malformed.json() == {"status": "fail", "message": "Malformed access token."}
    garbage = await flow.client.post(
        "/api/v1/checktoken", content=b"pas du json", headers={"content-type": "application/json"}
    )
    assert garbage.status_code == 401
    unknown = await flow.client.post("/api/v1/checktoken", json={"token": "inconnu"})
    assert unknown.status_code == 401 and unknown.json() == {"status": "fail", "message": "token_not_found_or_expired"}


# --- /session/end ----------------------------------------------------------------------------


async def test_logout_errors(flow, fc_settings):
    tokens = await flow.tokens()
    target = flow.sp().post_logout_redirect_uris(fc_settings)[0]
    missing = await flow.client.get(
        "/api/v2/session/end", params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": target}
    )
    assert missing.status_code == 400 and "« state »" in missing.text
    foreign = await flow.client.get(
        "/api/v2/session/end",
        params={"id_token_hint": tokens["id_token"], "state": "s", "post_logout_redirect_uri": "https://evil.example/"},
    )
    assert foreign.status_code == 400 and "location" not in foreign.headers
    forged = await flow.client.get(
        "/api/v2/session/end", params={"id_token_hint": "a.b.c", "state": "s", "post_logout_redirect_uri": target}
    )
    assert forged.status_code == 400 and "id_token_hint" in forged.text
