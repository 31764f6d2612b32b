"""The gateway's client of FranceConnect's checktoken v2, as the DGFIP data provider.

One instance per gateway process holds ONE pooled ``httpx.AsyncClient``; ``introspect(token)``:

1. POSTs the form ``token, client_id, client_secret`` to ``/api/v2/checktoken`` (bounded timeout:
   ``settings.fc_checktoken_timeout_seconds``);
2. checks the JWE header (alg/enc as registered) and decrypts with the data provider's private key;
3. verifies the inner JWS with FranceConnect's JWKS (fetched from /api/v2/jwks, cached, fetched
   again once on an unknown kid), its ``iss`` and its ``aud`` (= our client_id);
4. returns an ``Introspection`` (pivot identity, scopes, the FS client_id, jti, sub).

Errors, each its own type so that the gateway answers the right thing:

* ``TokenInactive``            the token is unknown, expired or revoked (``active: false``);
* ``FranceConnectUnavailable`` FranceConnect did not answer in time, refused the connection, or
                               answered 5xx (the gateway answers 502);
* ``ChecktokenRejected``       FranceConnect refused our call (400 invalid_request / 401
                               invalid_client: a configuration fault on our side; also 502);
* ``InvalidChecktokenResponse`` the answer cannot be decrypted, verified or read (502).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from dgfip_sandbox.franceconnect import jose
from dgfip_sandbox.franceconnect.registry import DataProviderCredentials
from dgfip_sandbox.franceconnect.second_memo import SecondMemo
from dgfip_sandbox.settings import Settings

CHECKTOKEN_PATH = "/api/v2/checktoken"
T = TypeVar("T")
JWKS_PATH = "/api/v2/jwks"


class ChecktokenError(Exception):
    """Base class of every checktoken failure."""


class TokenInactive(ChecktokenError):
    """FranceConnect says the access token is not active (unknown, expired or revoked)."""


class FranceConnectUnavailable(ChecktokenError):
    """FranceConnect is unreachable, too slow, or failing (5xx)."""


class ChecktokenRejected(ChecktokenError):
    """FranceConnect refused the data provider's call (400/401): bad configuration."""

    def __init__(self, status_code: int, error: str | None) -> None:
        super().__init__(f"checktoken refused: {status_code} {error}")
        self.status_code = status_code
        self.error = error


class InvalidChecktokenResponse(ChecktokenError):
    """The answer is not a JWE/JWS FranceConnect would send us."""


@runtime_checkable
class ChecktokenEndpoint(Protocol):
    """Checktoken v2 served by this very process (``franceconnect/in_process.py``): the form's fields in,
    ``(status, content type, body)`` out, exactly as the HTTP endpoint answers them."""

    async def checktoken(self, form: dict[str, str]) -> tuple[int, str, bytes]: ...


@dataclass(frozen=True)
class PivotIdentity:
    given_name: str
    family_name: str
    birthdate: str
    gender: str
    birthcountry: str
    birthplace: str = ""
    given_name_array: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "given_name": self.given_name,
            "family_name": self.family_name,
            "birthdate": self.birthdate,
            "gender": self.gender,
            "birthplace": self.birthplace,
            "birthcountry": self.birthcountry,
        }


@dataclass(frozen=True)
class Introspection:
    sub: str  # pairwise for the data provider
    jti: str
    client_id: str  # the service provider (FS) the token was issued to
    scopes: frozenset[str]  # the token's scopes that belong to this data provider
    acr: str
    iat: int
    exp: int
    identity: PivotIdentity


class ChecktokenClient:
    def __init__(
        self,
        settings: Settings,
        *,
        credentials: DataProviderCredentials | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: Any = True,
    ) -> None:
        # The data provider's credentials are read on first use (the seeders may run after the gateway starts).
        self._settings = settings
        self._loaded: tuple[DataProviderCredentials, KeySet] | None = None
        if credentials is not None:
            self._loaded = (credentials, KeySet.import_key_set(credentials.private_jwks))
        self._issuer = settings.franceconnect_base_url + "/api/v2"
        self._fc_keys: KeySet | None = None
        self._timeout_seconds = settings.fc_checktoken_timeout_seconds
        # FranceConnect in this process: checktoken is asked directly (no HTTP client machinery).
        self._endpoint = transport if isinstance(transport, ChecktokenEndpoint) else None
        self._opened: SecondMemo[dict[str, Any]] = SecondMemo(size=256)
        self._seconds = time.monotonic  # the memo's clock
        self._client = httpx.AsyncClient(
            base_url=settings.franceconnect_base_url,
            timeout=httpx.Timeout(settings.fc_checktoken_timeout_seconds),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            transport=transport,
            verify=verify,
            headers={"User-Agent": "dgfip-sandbox-gateway"},
        )

    def _credentials_and_keys(self) -> tuple[DataProviderCredentials, KeySet]:
        """Raises LookupError when the data provider is not seeded yet."""
        if self._loaded is None:
            credentials = DataProviderCredentials.load(self._settings)
            self._loaded = (credentials, KeySet.import_key_set(credentials.private_jwks))
        return self._loaded

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> ChecktokenClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _bounded(self, call: Awaitable[T]) -> T:
        """``call`` within the bounded timeout, which also holds for an in-process transport or endpoint
        (httpx's timeouts do not cover them); an unreachable FranceConnect is ``FranceConnectUnavailable``."""
        try:
            async with asyncio.timeout(self._timeout_seconds):
                return await call
        except TimeoutError:
            raise FranceConnectUnavailable("FranceConnect did not answer in time") from None
        except httpx.TimeoutException as exc:
            raise FranceConnectUnavailable(f"FranceConnect did not answer in time ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise FranceConnectUnavailable(f"FranceConnect unreachable ({type(exc).__name__})") from None

    @staticmethod
    def _refuse_failure(status: int) -> None:
        if status >= 500:
            raise FranceConnectUnavailable(f"FranceConnect answered {status}")

    async def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = await self._bounded(self._client.request(method, url, **kwargs))
        self._refuse_failure(response.status_code)
        return response

    async def _fc_jwks(self, *, refresh: bool = False) -> KeySet:
        if self._fc_keys is None or refresh:
            response = await self._request("GET", JWKS_PATH)
            try:
                response.raise_for_status()
                self._fc_keys = KeySet.import_key_set(response.json())
            except (httpx.HTTPStatusError, ValueError, JoseError) as exc:
                raise InvalidChecktokenResponse(f"FranceConnect JWKS unreadable ({type(exc).__name__})") from None
        return self._fc_keys

    async def _post_checktoken(self, form: dict[str, str]) -> tuple[int, str, bytes]:
        if self._endpoint is None:
            response = await self._request("POST", CHECKTOKEN_PATH, data=form)
            return response.status_code, response.headers.get("content-type", ""), response.content
        status, content_type, body = await self._bounded(self._endpoint.checktoken(form))
        self._refuse_failure(status)
        return status, content_type, body

    async def introspect(self, token: str) -> Introspection:
        """Raises a ChecktokenError, or LookupError when the data provider is not seeded."""
        credentials, _keys = self._credentials_and_keys()
        status, content_type, body = await self._post_checktoken(
            {"token": token, "client_id": credentials.client_id, "client_secret": credentials.client_secret}
        )
        if status != 200:
            try:
                answer = json.loads(body)
                error = answer.get("error") if isinstance(answer, dict) else None
            except ValueError:
                error = None
            raise ChecktokenRejected(status, error)
        if not content_type.startswith("application/token-introspection+jwt"):
            raise InvalidChecktokenResponse("unexpected content type")
        try:
            claims = await self._open(body.decode().strip())
        except UnicodeDecodeError:
            raise InvalidChecktokenResponse("not a compact JWE") from None
        introspection = claims.get("token_introspection")
        if not isinstance(introspection, dict):
            raise InvalidChecktokenResponse("no token_introspection")
        if introspection.get("active") is not True:
            raise TokenInactive("FranceConnect access token inactive (unknown, expired or revoked)")
        try:
            return Introspection(
                sub=str(introspection["sub"]),
                jti=str(introspection["jti"]),
                client_id=str(introspection["aud"]),
                scopes=frozenset(str(introspection.get("scope", "")).split()),
                acr=str(introspection["acr"]),
                iat=int(introspection["iat"]),
                exp=int(introspection["exp"]),
                identity=PivotIdentity(
                    given_name=str(introspection["given_name"]),
                    family_name=str(introspection["family_name"]),
                    birthdate=str(introspection["birthdate"]),
                    gender=str(introspection["gender"]),
                    birthcountry=str(introspection["birthcountry"]),
                    birthplace=str(introspection.get("birthplace", "")),
                    given_name_array=tuple(introspection.get("given_name_array") or ()),
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidChecktokenResponse(f"incomplete introspection ({exc})") from None

    async def _open(self, value: str) -> dict[str, Any]:
        """The claims of an answer, decrypted and verified; an answer already opened in this second (the
        same bytes: FranceConnect's sandbox answers the same introspection of one second alike) is
        read from memory (franceconnect/second_memo.py)."""
        second = int(self._seconds())
        claims = self._opened.get(second, value)
        if claims is None:
            claims = await self._decrypt_and_verify(value)
            self._opened.put(second, value, claims)
        return claims

    async def _decrypt_and_verify(self, value: str) -> dict[str, Any]:
        creds, private_keys = self._credentials_and_keys()
        try:
            header, plaintext = jose.decrypt(value, private_keys)
        except (JoseError, ValueError) as exc:
            raise InvalidChecktokenResponse(f"cannot decrypt ({type(exc).__name__})") from None
        if header.get("alg") != creds.encrypted_alg or header.get("enc") != creds.encrypted_enc:
            raise InvalidChecktokenResponse("unexpected JWE alg/enc")
        keys = await self._fc_jwks()
        for attempt in (0, 1):
            try:
                _header, claims = jose.verify(plaintext, keys, algorithms=[creds.signed_alg])
                break
            except (JoseError, ValueError) as exc:
                if attempt == 0:  # FranceConnect may have rotated its keys
                    keys = await self._fc_jwks(refresh=True)
                    continue
                raise InvalidChecktokenResponse(f"bad signature ({type(exc).__name__})") from None
        if claims.get("iss") != self._issuer or claims.get("aud") != creds.client_id:
            raise InvalidChecktokenResponse("unexpected iss or aud")
        return claims
