"""The gateway's OAuth2 access tokens: ES256-signed JWTs, bound to the client certificate (RFC 8705).

Claims: iss, sub and client_id (the consumer's client_id), aud, iat, nbf, exp, jti, scope (space
separated), organisation, application and keytype SANDBOX (the claims DGFIP's APIs read from the APIM
token), and ``cnf.x5t#S256``, the SHA-256 thumbprint of the certificate the token was issued to.
"""

from __future__ import annotations

import json
import secrets
from collections import OrderedDict
from datetime import datetime
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, KeySetSerialization

from dgfip_sandbox.private_files import write_private_json

AUDIENCE = "dgfip-apim"


class TokenError(Exception):
    """A token that must not be accepted; the message says why, in French."""


def load_or_create_signing_key(path: Path) -> ECKey:
    """The private key lives under var/ (never in git); replicas share it through the same file."""
    if path.exists():
        return ECKey.import_key(json.loads(path.read_text()))
    key = ECKey.generate_key(
        "P-256", parameters={"kid": secrets.token_hex(8), "use": "sig", "alg": "ES256"}, private=True
    )
    write_private_json(path, key.as_dict(private=True))
    return key


class TokenService:
    def __init__(self, key: ECKey, *, issuer: str, ttl_seconds: int, cache_size: int = 4096) -> None:
        self._key = key
        self.issuer = issuer
        self.ttl_seconds = ttl_seconds
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._cache_size = cache_size

    def jwks(self) -> KeySetSerialization:
        return KeySet([self._key]).as_dict(private=False)

    def issue(
        self,
        *,
        client_id: str,
        organisation: str,
        application: str,
        scopes: list[str],
        cert_thumbprint: str,
        now: datetime,
    ) -> tuple[str, dict[str, Any]]:
        iat = int(now.timestamp())
        claims = {
            "iss": self.issuer,
            "sub": client_id,
            "client_id": client_id,
            "aud": AUDIENCE,
            "iat": iat,
            "nbf": iat,
            "exp": iat + self.ttl_seconds,
            "jti": secrets.token_hex(16),
            "scope": " ".join(scopes),
            "organisation": organisation,
            "application": application,
            "keytype": "SANDBOX",
            "cnf": {"x5t#S256": cert_thumbprint},
        }
        token = jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": self._key.kid}, claims, self._key)
        return token, claims

    def verify(self, token: str, *, now: datetime) -> dict[str, Any]:
        """Signature, algorithm, issuer, audience and lifetime; the certificate binding is checked by the caller."""
        claims = self._cache.get(token)
        if claims is None:
            try:
                decoded = jwt.decode(token, self._key, algorithms=["ES256"])
            except JoseError as exc:
                raise TokenError(f"jeton illisible ou signature invalide ({exc.error})") from exc
            except (ValueError, TypeError) as exc:
                raise TokenError("jeton mal formé (un JWT signé ES256 est attendu)") from exc
            claims = dict(decoded.claims)
            if claims.get("iss") != self.issuer:
                raise TokenError(f"émetteur du jeton inconnu ({claims.get('iss')!r})")
            if claims.get("aud") != AUDIENCE:
                raise TokenError("audience du jeton incorrecte")
            if not isinstance(claims.get("exp"), int) or not isinstance(claims.get("nbf"), int):
                raise TokenError("jeton sans date d'expiration")
            self._cache[token] = claims
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        ts = now.timestamp()
        if ts >= claims["exp"]:
            raise TokenError("le jeton a expiré")
        if ts < claims["nbf"] - 60:
            raise TokenError("le jeton n'est pas encore valide")
        return claims
