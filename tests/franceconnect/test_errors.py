"""Every refusal of the FranceConnect-like service, as FranceConnect words it (its Cypress contract
tests, quality/fcp/cypress/integration/api/*.feature, and oidc-provider's texts)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from dgfip_sandbox.franceconnect.registry import DataProviderCredentials

from .fc_flow import hidden

pytestmark = pytest.mark.anyio

ISSUER = "http://127.0.0.1:8444/api/v2"
TECHNICAL = "Une erreur technique est survenue, fermez l’onglet de votre navigateur et reconnectez-vous."
SP_COMMUNICATION = (
    "Une erreur de communication avec le fournisseur de service est survenue. Veuillez réessayer ultérieurement."
)
ERROR_URI = re.compile(
    r"^https://docs\.partenaires\.franceconnect\.gouv\.fr/fs/fs-technique/fs-technique-erreurs/"
    r"\?code=(Y[0-9A-F]+)&id=[0-9a-f-]{36}$"
)


def _redirect_query(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.text
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


def _error_page(response, code: str, message: str = TECHNICAL) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 400 and "location" not in response.headers, response.text
    assert "text/html" in response.headers["content-type"]
    assert f'<code id="error-code">{code}</code>' in response.text
    assert f'<p class="error-message" id="error-message">{message}</p>' in response.text


def _json_error(response, status: int, error: str, description: str, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "error_description", "error_uri"}
    assert body["error"] == error and body["error_description"] == description
    match = ERROR_URI.match(body["error_uri"])
    assert match and match.group(1) == code, body["error_uri"]


# --- /authorize: errors shown on a page, never redirected --------------------------------------


async def test_unregistered_redirect_uri_gets_a_page_not_a_redirect(flow):
    _error_page(await flow.authorize(redirect_uri="https://evil.example/callback"), "Y04C013C", SP_COMMUNICATION)
    # a prefix of a registered URI is not registered either
    _error_page(await flow.authorize(redirect_uri="http://localhost:8446/callback/../x"), "Y04C013C", SP_COMMUNICATION)
    # not a URL at all: FranceConnect's DTO
    _error_page(await flow.authorize(redirect_uri="example.com"), "Y030007")


async def test_unknown_client_gets_a_page(flow):
    _error_page(await flow.authorize(client_id="inconnu"), "Y04EA6EF", SP_COMMUNICATION)
    _error_page(await flow.authorize(client_id=""), "Y030007")


@pytest.mark.parametrize(
    "missing", ["acr_values", "client_id", "nonce", "redirect_uri", "response_type", "scope", "state"]
)
async def test_missing_parameter_is_a_y030007_page(flow, missing):
    _error_page(await flow.authorize(**{missing: None}), "Y030007")


@pytest.mark.parametrize(
    "overrides",
    [
        {"nonce": "nonce_trop_court"},
        {"nonce": ""},
        {"prompt": ""},
        {"prompt": "none"},
        {"prompt": "select_account"},
        # FranceConnect whitelists its parameters (forbidNonWhitelisted): PKCE and the rest are refused.
        {"code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"},
        {"code_challenge_method": "S256"},
        {"response_mode": "query"},
        {"max_age": "0"},
        {"login_hint": "jean"},
        {"request": "eyJhbGciOiJub25lIn0.e30."},
    ],
)
async def test_unwhitelisted_or_malformed_parameter_is_a_y030007_page(flow, overrides):
    _error_page(await flow.authorize(**overrides), "Y030007")


async def test_a_repeated_parameter_is_a_y030007_page(flow):
    query = "&".join(f"{k}={v}" for k, v in flow.authorize_params().items()) + "&scope=openid"
    _error_page(await flow.client.get("/api/v2/authorize?" + query), "Y030007")


async def test_post_authorize_is_validated_the_same_way(flow):
    ok = await flow.client.post("/api/v2/authorize", data=flow.authorize_params())
    assert ok.status_code == 303 and "/interaction/" in ok.headers["location"]
    refused = await flow.client.post("/api/v2/authorize", data={**flow.authorize_params(), "response_mode": "query"})
    _error_page(refused, "Y030007")


async def test_whitelisted_optional_parameters_are_accepted(flow):
    for overrides in ({"ui_locales": "fr-FR"}, {"idp_hint": "inconnu"}, {"prompt": "login consent"}):
        response = await flow.authorize(**overrides)
        assert response.status_code == 303 and "/interaction/" in response.headers["location"], overrides


@pytest.mark.parametrize(
    "overrides, error, description",
    [
        ({"response_type": ""}, "invalid_request", "missing required parameter 'response_type'"),
        ({"response_type": "inconnu"}, "unsupported_response_type", "unsupported response_type requested"),
        ({"scope": ""}, "invalid_request", "openid scope must be requested when using the acr_values parameter"),
        ({"scope": "profile"}, "invalid_request", "openid scope must be requested when using the acr_values parameter"),
        ({"claims": "{pas du json"}, "invalid_request", "could not parse the claims parameter JSON"),
        ({"claims": "[1]"}, "invalid_request", "claims parameter should be a JSON object"),
        ({"claims": '{"id_token": 1}'}, "invalid_request", "claims.id_token should be an object"),
        (
            {"acr_values": "eidas2"},
            "invalid_acr",
            "acr_value is not valid, should be equal one of these values, expected eidas1, got eidas2",
        ),
        (
            {"acr_values": "eidas2 eidas3"},
            "invalid_acr",
            "acr_value is not valid, should be equal one of these values, expected eidas1, got eidas2",
        ),
        (
            {"acr_values": "inconnu eidas3"},
            "invalid_acr",
            "acr_value is not valid, should be equal one of these values, expected eidas1, got eidas3",
        ),
    ],
)
async def test_protocol_errors_go_back_to_the_registered_redirect_uri(flow, overrides, error, description):
    response = await flow.authorize(**overrides)
    query = _redirect_query(response)
    assert response.headers["location"].startswith("http://localhost:8446/callback?")
    assert query == {"error": error, "error_description": description, "state": flow.state, "iss": ISSUER}


async def test_token_response_types_get_the_error_in_the_fragment(flow):
    response = await flow.authorize(response_type="id_token token")
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.query == ""
    assert parse_qs(location.fragment)["error"] == ["unsupported_response_type"]


@pytest.mark.parametrize("acr_values", ["eidas1", "niveau_inconnu", "eidas1 eidas2 eidas3", ""])
async def test_acr_values_that_run_a_normal_eidas1_flow(flow, acr_values):
    tokens = await flow.tokens(acr_values=acr_values)
    assert tokens["token_type"] == "Bearer"


async def test_unknown_scopes_are_ignored(flow):
    tokens = await flow.tokens(scope="openid dgfip_inconnu identite_pivot scope_imaginaire dgfip_rfr")
    assert tokens["scope"] == "openid identite_pivot dgfip_rfr"


async def test_scope_not_allowed_for_this_sp(flow):
    response = await flow.authorize(private=True, scope="openid dgfip_indiIFI")
    assert _redirect_query(response) == {
        "error": "invalid_scope",
        "error_description": "requested scope is not allowed",
        "state": flow.state,
        "iss": ISSUER,
    }


async def test_amr_claim_needs_the_amr_authorisation(flow, fc_settings):
    # The private demo FS has the amr scope; the demo FS (all scopes) too: take it away from a copy.
    from dgfip_sandbox.store.database import create_engine, create_sessionmaker
    from dgfip_sandbox.store.franceconnect import get_service_provider

    engine = create_engine(fc_settings.sqlalchemy_url)
    async with create_sessionmaker(engine)() as db, db.begin():
        row = await get_service_provider(db, flow.sp().client_id)
        assert row is not None
        row.scopes = [s for s in row.scopes if s != "amr"]
    await engine.dispose()
    response = await flow.authorize(claims='{"id_token": {"amr": {"essential": true}}}')
    _error_page(
        response,
        "Y100009",
        "Une erreur technique est survenue, fermez l’onglet de votre navigateur et reconnectez-vous",
    )


async def test_user_abort_returns_access_denied(flow):
    response = await flow.authorize()
    page = await flow.client.get(response.headers["location"])
    uid = response.headers["location"].split("/")[-1]
    assert page.status_code == 200
    aborted = await flow.client.get(f"/api/v2/interaction/{uid}/abort")
    assert _redirect_query(aborted) == {
        "error": "access_denied",
        "error_description": "user authentication aborted",
        "state": flow.state,
        "iss": ISSUER,
    }


# --- identity provider and consent ---------------------------------------------------------------


async def test_wrong_password_and_unknown_login(flow):
    response = await flow.authorize()
    bad = await flow.login(response.headers["location"], "0123456789012", password="456")
    assert bad.status_code == 401 and "Identifiant ou mot de passe incorrect" in bad.text
    unknown = await flow.login(response.headers["location"], "personne")
    assert unknown.status_code == 401


async def test_identity_provider_choice_needs_a_known_tile_and_the_csrf_token(flow):
    response = await flow.authorize()
    uid = response.headers["location"].split("/")[-1]
    choice = await flow.client.get(response.headers["location"])
    csrf = hidden(choice.text, "csrfToken")
    unknown = await flow.client.post(
        f"/api/v2/interaction/{uid}/redirect-to-idp", data={"providerUid": "autre", "csrfToken": csrf}
    )
    assert unknown.status_code == 400 and "Y020001" in unknown.text
    forged = await flow.client.post(
        f"/api/v2/interaction/{uid}/redirect-to-idp",
        data={"providerUid": hidden(choice.text, "providerUid"), "csrfToken": "0" * 64},
    )
    assert forged.status_code == 400 and "jeton de sécurité" in forged.text


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
    _json_error(
        second, 400, "invalid_grant", "grant request is invalid (authorization code already consumed)", "Y0416228"
    )
    revoked = await flow.client.post("/api/v1/checktoken", json={"token": access_token})
    assert revoked.status_code == 401
    userinfo = await flow.client.get("/api/v2/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    assert userinfo.status_code == 401


async def test_expired_code(flow, fc_clock):
    code = await flow.code()
    fc_clock.advance(31)
    response = await flow.exchange(code)
    _json_error(response, 400, "invalid_grant", "grant request is invalid (authorization code is expired)", "Y043F0A8")


async def test_token_errors(flow):
    code = await flow.code()
    _json_error(
        await flow.exchange(code, client_secret="faux"),
        401,
        "invalid_client",
        "client authentication failed (invalid secret provided)",
        "Y0434A7B",
    )
    _json_error(
        await flow.exchange("inconnu"),
        400,
        "invalid_grant",
        "grant request is invalid (authorization code not found)",
        "Y049E20B",
    )
    _json_error(
        await flow.exchange(""), 400, "invalid_request", "missing required parameter 'code' (undefined)", "Y048017B"
    )
    _json_error(
        await flow.exchange(code, grant_type=""),
        400,
        "invalid_request",
        "missing required parameter 'grant_type' (undefined)",
        "Y048017B",
    )
    _json_error(
        await flow.exchange(code, grant_type="client_credentials"),
        400,
        "unsupported_grant_type",
        "unsupported grant_type requested (undefined)",
        "Y04C2044",
    )
    _json_error(
        await flow.exchange(code, redirect_uri="http://127.0.0.1:8446/callback"),
        400,
        "invalid_grant",
        "grant request is invalid (authorization code redirect_uri mismatch)",
        "Y04F8199",
    )
    nobody = await flow.client.post("/api/v2/token", data={"grant_type": "authorization_code", "code": code})
    _json_error(nobody, 400, "invalid_request", "no client authentication mechanism provided (undefined)", "Y044FEB3")
    stranger = await flow.exchange(code, client_id="inconnu")
    _json_error(stranger, 401, "invalid_client", "client authentication failed (client not found)", "Y0479FCE")
    # the code survived every refusal
    assert (await flow.exchange(code)).status_code == 200


async def test_client_secret_basic_is_refused_as_franceconnect_does(flow):
    code = await flow.code()
    basic = await flow.exchange(code, basic=True)
    _json_error(
        basic,
        401,
        "invalid_client",
        "client authentication failed (the provided authentication mechanism does not match the registered "
        "client authentication method)",
        "Y044D82C",
    )
    both = await flow.client.post(
        "/api/v2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": flow.sp().redirect_uris(flow.settings)[0],
            "client_id": flow.sp().client_id,
            "client_secret": flow.secret(),
        },
        auth=(flow.sp().client_id, flow.secret()),
    )
    _json_error(
        both,
        400,
        "invalid_request",
        "client authentication must only be provided using one mechanism (undefined)",
        "Y047E9E5",
    )
    assert (await flow.exchange(code)).status_code == 200


async def test_a_code_verifier_never_gets_a_token(flow):
    """No PKCE at FranceConnect: code_challenge cannot pass /authorize, so any verifier fails."""
    code = await flow.code()
    response = await flow.exchange(code, code_verifier="dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    _json_error(response, 400, "invalid_grant", "grant request is invalid (PKCE verification failed)", "Y0446550")


async def test_code_of_another_client_is_refused(flow):
    code = await flow.code()
    response = await flow.exchange(code, private=True)
    _json_error(response, 400, "invalid_grant", "grant request is invalid (client mismatch)", "Y047A2EA")


# --- /userinfo -----------------------------------------------------------------------------------


async def test_userinfo_errors(flow, fc_clock):
    none = await flow.client.get("/api/v2/userinfo")
    _json_error(none, 401, "invalid_token", "no access token provided (no access token provided)", "Y04146A2")
    assert none.headers["www-authenticate"].startswith('Bearer realm="FranceConnect", error="invalid_token"')
    unknown = await flow.client.get("/api/v2/userinfo", headers={"Authorization": "Bearer inconnu"})
    _json_error(unknown, 401, "invalid_token", "invalid token provided (access token not found)", "Y040001")
    basic = await flow.client.get("/api/v2/userinfo", headers={"Authorization": "Basic eDp5"})
    _json_error(basic, 400, "invalid_request", 'authorization header scheme must be "Bearer" (undefined)', "Y043D61A")
    tokens = await flow.tokens()
    both = await flow.client.get(
        "/api/v2/userinfo",
        params={"access_token": tokens["access_token"]},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    _json_error(
        both, 400, "invalid_request", "access token must only be provided using one mechanism (undefined)", "Y04514E0"
    )
    posted = await flow.client.post("/api/v2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert posted.status_code == 405  # FranceConnect's userinfo route is GET only
    fc_clock.advance(61)
    expired = await flow.client.get("/api/v2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    _json_error(expired, 401, "invalid_token", "invalid token provided (access token not found)", "Y040001")


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
