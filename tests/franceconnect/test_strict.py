"""What FranceConnect v2 low does besides refusing: SSO, prompt per FS, revocation, userinfo by
query, the claims it releases, HS256, private_key_jwt (JWKS and jwks_uri) and the FS registry."""

from __future__ import annotations

import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from joserfc import jws, jwt
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey

from dgfip_sandbox.franceconnect import jose
from dgfip_sandbox.franceconnect.registry import ServiceProviderRegistration

from .fc_flow import register_fs
from .test_errors import _json_error

pytestmark = pytest.mark.anyio
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_URL = "http://127.0.0.1:8444/api/v2/token"


async def _secret_post(flow, code: str, name: str, client_id: str, secret: str):  # type: ignore[no-untyped-def]
    """/token for a registered test FS with client_secret_post."""
    return await flow.client.post(
        "/api/v2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": f"https://{name}.example/callback",
            "client_id": client_id,
            "client_secret": secret,
        },
    )


def _header(compact: str) -> dict:
    return jws.extract_compact(compact.encode()).protected


# --- SSO and prompt ----------------------------------------------------------------------------


async def test_a_second_authorize_in_the_same_browser_skips_the_identity_provider(flow):
    first = await flow.tokens()
    again = await flow.authorize(private=True, scope="openid identite_pivot")  # another FS, same browser
    assert again.status_code == 303 and again.headers["location"].endswith("/verify")
    consent = await flow.client.get((await flow.client.get(again.headers["location"])).headers["location"])
    assert consent.status_code == 200 and "Vous allez vous connecter en tant que :" in consent.text
    assert "Jean Pierre DUPONT" in consent.text  # the identity of the first login
    # ended by a logout: the next /authorize goes through the identity provider again
    logout = await flow.client.get(
        "/api/v2/session/end",
        params={
            "id_token_hint": first["id_token"],
            "state": "s",
            "post_logout_redirect_uri": flow.sp().post_logout_redirect_uris(flow.settings)[0],
        },
    )
    assert logout.status_code == 303
    fresh = await flow.authorize()
    assert not fresh.headers["location"].endswith("/verify")


async def test_the_sso_session_lasts_30_minutes_and_stays_in_its_browser(flow, fc_clock):
    await flow.tokens()
    cookies = dict(flow.client.cookies)
    flow.client.cookies.clear()
    other_browser = await flow.authorize()
    assert not other_browser.headers["location"].endswith("/verify")
    flow.client.cookies.clear()
    flow.client.cookies.update(cookies)
    fc_clock.advance(1801)
    late = await flow.authorize()
    assert not late.headers["location"].endswith("/verify")


async def test_prompt_login_skips_consent_only_for_an_fs_allowed_to_send_it(flow, fc_settings):
    client_id, _secret = await register_fs(fc_settings, "prompt-login", allowed_prompts=["login"])
    params = {"client_id": client_id, "redirect_uri": "https://prompt-login.example/callback"}

    async def after_login(**overrides: str) -> str:
        response = await flow.authorize(**params, **overrides)
        logged = await flow.login(response.headers["location"], "0123456789012")
        verified = await flow.client.get(logged.headers["location"])
        assert verified.status_code == 303
        flow.client.cookies.clear()  # no SSO between the cases
        return verified.headers["location"]

    skipped = await after_login(prompt="login")
    # each value counts once: a long repetition is the same prompt (and fits the session row)
    assert (await after_login(prompt=" ".join(["login"] * 40))).startswith("https://prompt-login.example/callback?")
    assert skipped.startswith("https://prompt-login.example/callback?")
    assert {"code", "state", "iss"} == set(parse_qs(urlsplit(skipped).query))
    assert (await after_login(prompt="login consent")).endswith("/consent")
    assert (await after_login()).endswith("/consent")
    # the demo FS is not allowed to send prompt: FranceConnect forces "login consent"
    response = await flow.authorize(prompt="login")
    logged = await flow.login(response.headers["location"], "0123456789012")
    assert (await flow.client.get(logged.headers["location"])).headers["location"].endswith("/consent")


# --- claims --------------------------------------------------------------------------------------


async def test_email_is_valid_amr_is_fc_pwd_and_an_empty_preferred_username_is_absent(flow):
    tokens = await flow.tokens(scope="openid given_name email preferred_username amr")
    keys = KeySet.import_key_set((await flow.client.get("/api/v2/jwks")).json())
    _h, id_token = jose.verify(tokens["id_token"], keys)
    assert id_token["amr"] == ["fc", "pwd"]
    info = await flow.client.get("/api/v2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    _h, user = jose.verify(info.text, keys)
    assert re.fullmatch(r"[a-z0-9.-]+@[a-z0-9-]+(\.[a-z0-9-]+)+", user["email"]), user["email"]
    assert user["email"] == "jean.dupont@bac-a-sable.example"
    assert "preferred_username" not in user  # Jean Pierre DUPONT has no nom d'usage
    assert set(user) == {"sub", "given_name", "given_name_array", "email", "amr", "aud", "exp", "iat", "iss"}


async def test_userinfo_accepts_the_access_token_in_the_query(flow):
    tokens = await flow.tokens()
    info = await flow.client.get("/api/v2/userinfo", params={"access_token": tokens["access_token"]})
    assert info.status_code == 200 and info.headers["content-type"] == "application/jwt"


# --- revocation ----------------------------------------------------------------------------------


async def test_revocation_ends_the_token_at_once(flow):
    tokens = await flow.tokens()
    token = tokens["access_token"]
    form = {"token": token, "client_id": flow.sp().client_id, "client_secret": flow.secret()}
    stranger = await flow.client.post(
        "/api/v2/token/revocation",
        data={**form, "client_id": flow.sp(True).client_id, "client_secret": flow.secret(True)},
    )
    _json_error(stranger, 400, "invalid_request", "this token does not belong to you (undefined)", "Y0466776")
    assert (await flow.client.post("/api/v1/checktoken", json={"token": token})).status_code == 200
    extra = await flow.client.post("/api/v2/token/revocation", data={**form, "token_type_hint": "access_token"})
    assert extra.status_code == 400 and extra.json()["error"] == "invalid_request"
    wrong = await flow.client.post("/api/v2/token/revocation", data={**form, "client_secret": "f" * 43})
    _json_error(wrong, 401, "invalid_client", "client authentication failed (invalid secret provided)", "Y0434A7B")
    revoked = await flow.client.post("/api/v2/token/revocation", data=form)
    assert revoked.status_code == 200 and revoked.content == b""
    assert (await flow.client.post("/api/v1/checktoken", json={"token": token})).status_code == 401
    info = await flow.client.get("/api/v2/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert info.status_code == 401
    unknown = await flow.client.post("/api/v2/token/revocation", data={**form, "token": secrets.token_urlsafe(32)})
    assert unknown.status_code == 200  # RFC 7009: nothing to revoke is not an error


# --- HS256 -----------------------------------------------------------------------------------------


async def test_an_hs256_fs_gets_tokens_signed_with_its_secret(flow, fc_settings):
    client_id, secret = await register_fs(
        fc_settings, "hs256", id_token_signed_response_alg="HS256", userinfo_signed_response_alg="HS256"
    )
    location = await flow.browse(
        "/api/v2/authorize?"
        + urlencode(
            flow.authorize_params(
                client_id=client_id, redirect_uri="https://hs256.example/callback", scope="openid email"
            )
        )
    )
    code = parse_qs(urlsplit(location).query)["code"][0]
    answer = await _secret_post(flow, code, "hs256", client_id, secret)
    assert answer.status_code == 200, answer.text
    id_token = answer.json()["id_token"]
    assert _header(id_token) == {"alg": "HS256"}
    claims = jwt.decode(id_token, OctKey.import_key(secret.encode()), algorithms=["HS256"]).claims
    assert claims["aud"] == client_id and claims["nonce"] == flow.nonce
    with pytest.raises(Exception):  # noqa: B017 - any joserfc error: another secret does not verify
        jwt.decode(id_token, OctKey.import_key(b"x" * 43), algorithms=["HS256"])
    info = await flow.client.get(
        "/api/v2/userinfo", headers={"Authorization": f"Bearer {answer.json()['access_token']}"}
    )
    assert _header(info.text) == {"alg": "HS256"}
    assert jwt.decode(info.text, OctKey.import_key(secret.encode()), algorithms=["HS256"]).claims["email"]


# --- private_key_jwt ---------------------------------------------------------------------------


def _assertion(key: ECKey | RSAKey, client_id: str, *, iat: int, exp: int, **overrides: object) -> str:
    """A client assertion dated by the caller (from the app's frozen clock, never the real time)."""
    claims: dict[str, object] = {
        "iss": client_id,
        "sub": client_id,
        "aud": TOKEN_URL,
        "jti": secrets.token_urlsafe(16),
        "exp": exp,
        "iat": iat,
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": key.get("alg") or "ES256", "kid": key.kid}, claims, key)


async def _pkjwt_code(flow, client_id: str, name: str) -> str:  # type: ignore[no-untyped-def]
    location = await flow.browse(
        "/api/v2/authorize?"
        + urlencode(flow.authorize_params(client_id=client_id, redirect_uri=f"https://{name}.example/callback"))
    )
    flow.client.cookies.clear()
    return parse_qs(urlsplit(location).query)["code"][0]


def _pkjwt_form(code: str, name: str, assertion: str, **extra: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": f"https://{name}.example/callback",
        "client_assertion_type": JWT_BEARER,
        "client_assertion": assertion,
        **extra,
    }


async def test_private_key_jwt_with_a_registered_jwks(flow, fc_clock, fc_settings):
    key = ECKey.generate_key("P-256", parameters={"alg": "ES256", "use": "sig"}, auto_kid=True)
    client_id, secret = await register_fs(
        fc_settings,
        "pkjwt",
        token_endpoint_auth_method="private_key_jwt",
        jwks={"keys": [key.as_dict(private=False)]},
    )
    code = await _pkjwt_code(flow, client_id, "pkjwt")

    async def token(assertion: str, **extra: str):  # type: ignore[no-untyped-def]
        return await flow.client.post("/api/v2/token", data=_pkjwt_form(code, "pkjwt", assertion, **extra))

    now = int(fc_clock.now().timestamp())
    at = {"iat": now, "exp": now + 60}
    _json_error(
        await token(_assertion(key, client_id, aud="https://ailleurs.example", **at)),
        401,
        "invalid_client",
        "client authentication failed (audience (aud) must equal the endpoint url, issuer identifier or token endpoint url)",
        "Y04C17F5",
    )
    _json_error(
        await token(_assertion(key, client_id, jti=None, **at)),
        401,
        "invalid_client",
        "client authentication failed (unique jti (JWT ID) must be provided in the client_assertion JWT)",
        "Y04C5ACB",
    )
    _json_error(
        await token(_assertion(key, client_id, iss="quelqu-un", **at)),
        401,
        "invalid_client",
        "client authentication failed (iss (JWT issuer) must be the client_id)",
        "Y0421A2A",
    )
    other = ECKey.generate_key("P-256", parameters={"alg": "ES256"}, auto_kid=True)
    _json_error(
        await token(_assertion(other, client_id, **at)),
        401,
        "invalid_client",
        "client authentication failed (invalid signature)",
        "Y04F7688",
    )
    _json_error(
        await token(_assertion(key, client_id, iat=now - 120, exp=now - 60)),
        401,
        "invalid_client",
        "client authentication failed (jwt expired)",
        "Y04F7688",
    )
    _json_error(
        await token(_assertion(key, client_id, **at), client_assertion_type="urn:autre"),
        400,
        "invalid_request",
        f"client_assertion_type must have value {JWT_BEARER} (undefined)",
        "Y04EA12E",
    )
    # its client secret is no longer a way in
    secret_post = await _secret_post(flow, code, "pkjwt", client_id, secret)
    assert secret_post.status_code == 401 and "does not match the registered" in secret_post.json()["error_description"]
    good = _assertion(key, client_id, aud=[TOKEN_URL, "https://autre.example"], **at)
    answer = await token(good)
    assert answer.status_code == 200, answer.text
    replay = await flow.client.post(
        "/api/v2/token", data=_pkjwt_form(await _pkjwt_code(flow, client_id, "pkjwt"), "pkjwt", good)
    )
    _json_error(
        replay,
        401,
        "invalid_client",
        "client authentication failed (client assertion tokens must only be used once)",
        "Y0486328",
    )


class _JwksServer:
    """A real HTTP server on a free loopback port serving an FS's JWKS (its jwks_uri)."""

    def __init__(self, jwks: dict) -> None:
        body = json.dumps(jwks).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's API
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _JwksServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


async def test_private_key_jwt_with_a_jwks_uri(flow, fc_clock, fc_settings):
    key = RSAKey.generate_key(2048, parameters={"alg": "RS256", "use": "sig"}, auto_kid=True)
    with _JwksServer({"keys": [key.as_dict(private=False)]}) as served:
        client_id, _secret = await register_fs(
            fc_settings, "pkjwt-uri", token_endpoint_auth_method="private_key_jwt", jwks_uri=served.url
        )
        code = await _pkjwt_code(flow, client_id, "pkjwt-uri")
        now = int(fc_clock.now().timestamp())
        assertion = _assertion(key, client_id, aud="http://127.0.0.1:8444/api/v2", iat=now, exp=now + 60)
        answer = await flow.client.post("/api/v2/token", data=_pkjwt_form(code, "pkjwt-uri", assertion))
        assert answer.status_code == 200, answer.text
    # the jwks_uri no longer answers: FranceConnect cannot verify, and says so
    code = await _pkjwt_code(flow, client_id, "pkjwt-uri")
    assertion = _assertion(key, client_id, iat=now, exp=now + 60)
    unreachable = await flow.client.post("/api/v2/token", data=_pkjwt_form(code, "pkjwt-uri", assertion))
    _json_error(
        unreachable,
        401,
        "invalid_client",
        "client authentication failed (client JSON Web Key Set is invalid)",
        "Y0450142",
    )


# --- the registry ------------------------------------------------------------------------------


# The 6-byte oct key is the point of one case: joserfc warns about its size before refusing it.
@pytest.mark.filterwarnings("ignore:Key size should be:joserfc.errors.SecurityWarning")
@pytest.mark.parametrize(
    "changes, message",
    [
        ({"scopes": ["openid", "dgfip_rbg"]}, "Scopes inconnus de FranceConnect : dgfip_rbg."),
        ({"scopes": ["profile"]}, "Le scope « openid » est obligatoire."),
        ({"id_token_signed_response_alg": "none"}, "Algorithme de signature invalide"),
        ({"token_endpoint_auth_method": "client_secret_basic"}, "Méthode d'authentification invalide"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "soit un JWKS, soit une adresse jwks_uri"),
        (
            {"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}},
            "JWKS invalide",
        ),
        ({"redirect_uris": ["pas-une-url"]}, "Adresse invalide"),
        ({"allowed_prompts": ["none"]}, "Valeurs de prompt non autorisées : none"),
    ],
)
def test_the_registry_refuses_what_franceconnect_refuses(changes, message):
    values: dict = {
        "title": "Service",
        "redirect_uris": ["https://fs.example/callback"],
        "post_logout_redirect_uris": [],
        "scopes": ["openid"],
    }
    values.update(changes)
    with pytest.raises(ValueError, match=re.escape(message)):
        ServiceProviderRegistration(**values).validate()


async def test_a_new_fs_needs_a_secret(fc_settings, fc_clock):
    from dgfip_sandbox.franceconnect.keys import load_or_create_provider_keys
    from dgfip_sandbox.franceconnect.registry import register_service_provider
    from dgfip_sandbox.store.database import create_engine, create_sessionmaker

    registration = ServiceProviderRegistration(
        title="Service", redirect_uris=["https://fs.example/callback"], post_logout_redirect_uris=[], scopes=["openid"]
    )
    engine = create_engine(fc_settings.sqlalchemy_url)
    try:
        async with create_sessionmaker(engine)() as db, db.begin():
            with pytest.raises(ValueError, match="doit recevoir un secret"):
                await register_service_provider(
                    db,
                    load_or_create_provider_keys(fc_settings),
                    "nouveau",
                    registration,
                    secret=None,
                    now=fc_clock.now(),
                )
    finally:
        await engine.dispose()


def test_a_private_key_is_refused_in_a_registered_jwks():
    key = ECKey.generate_key("P-256", parameters={"alg": "ES256"}, auto_kid=True)
    registration = ServiceProviderRegistration(
        title="Service",
        redirect_uris=["https://fs.example/callback"],
        post_logout_redirect_uris=[],
        scopes=["openid"],
        token_endpoint_auth_method="private_key_jwt",
        jwks={"keys": [key.as_dict(private=True)]},
    )
    with pytest.raises(ValueError, match="que des clés publiques"):
        registration.validate()
