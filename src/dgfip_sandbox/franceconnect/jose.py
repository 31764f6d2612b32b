"""JWS / JWE with joserfc, with FranceConnect's exact headers.

FranceConnect's JWS headers carry only ``alg`` and ``kid`` (no ``typ``), and its checktoken JWE
headers only ``alg`` and ``enc`` (plus ``epk`` for ECDH-ES), so the compact serializations are built
with ``jws``/``jwe`` directly rather than ``jwt.encode`` (which adds ``typ``).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from joserfc import jwe, jws
from joserfc.jwe import JWERegistry
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey
from joserfc.jws import JWSRegistry

SIGNING_ALGS = ("ES256", "RS256")  # FranceConnect's own asymmetric keys
# id_token / userinfo signing algorithms an FS may register (HS256: keyed with its client secret).
ID_TOKEN_ALGS = ("HS256", "ES256", "RS256")
# Algorithms of private_key_jwt client assertions (FranceConnect's clientAuthSigningAlgValues).
CLIENT_AUTH_ALGS = ("ES256", "RS256")
ENCRYPTION_ALGS = ("ECDH-ES", "RSA-OAEP", "RSA-OAEP-256")
ENCRYPTION_ENCS = ("A256GCM",)

JWS_REGISTRY = JWSRegistry(algorithms=list(ID_TOKEN_ALGS))
JWE_REGISTRY = JWERegistry(algorithms=[*ENCRYPTION_ALGS, *ENCRYPTION_ENCS])


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def sign(payload: dict[str, Any], key: ECKey | RSAKey) -> str:
    alg = key.get("alg")
    return jws.serialize_compact({"alg": alg, "kid": key.kid}, _json(payload), key, registry=JWS_REGISTRY)


def sign_hs256(payload: dict[str, Any], secret: str) -> str:
    """HS256 keyed with the FS's client secret: the header carries only ``alg`` (no kid to name)."""
    key = OctKey.import_key(secret.encode())
    return jws.serialize_compact({"alg": "HS256"}, _json(payload), key, registry=JWS_REGISTRY)


@functools.cache
def _verify_registry(algorithms: tuple[str, ...]) -> JWSRegistry:
    return JWSRegistry(algorithms=list(algorithms))


def verify(
    value: str | bytes, keys: KeySet, *, algorithms: list[str] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify a compact JWS against a key set; return (header, payload). Raises joserfc errors."""
    obj = jws.deserialize_compact(value, keys, registry=_verify_registry(tuple(algorithms or SIGNING_ALGS)))
    return dict(obj.protected), json.loads(obj.payload)


def encrypt(plaintext: str | bytes, key: ECKey | RSAKey, *, alg: str, enc: str) -> str:
    return jwe.encrypt_compact({"alg": alg, "enc": enc}, plaintext, key, registry=JWE_REGISTRY)


def decrypt(value: str | bytes, keys: KeySet | ECKey | RSAKey) -> tuple[dict[str, Any], bytes]:
    obj = jwe.decrypt_compact(value, keys, registry=JWE_REGISTRY)
    return dict(obj.protected), obj.plaintext or b""


def encryption_key_for(jwks: dict[str, Any], alg: str) -> ECKey | RSAKey:
    """The first key of a registered JWKS meant for encryption with ``alg`` (FranceConnect's rule)."""
    for data in jwks.get("keys", []):
        if data.get("use", "enc") == "enc" and data.get("alg") == alg:
            key = KeySet.import_key_set({"keys": [data]}).keys[0]
            if isinstance(key, ECKey | RSAKey):
                return key
            raise LookupError(f"{alg}: a {type(key).__name__} cannot encrypt")
    raise LookupError(f"no encryption key for {alg}")
