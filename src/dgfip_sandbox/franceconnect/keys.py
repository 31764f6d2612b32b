"""Key material of the FranceConnect-like service, kept in files under var/ (never in git, mode 0600).

* ``var/franceconnect/provider-keys.json``: FranceConnect's private signing keys (one ES256 P-256 key,
  one RS256 2048-bit key; the public halves are served at /api/v2/jwks) and the secret that makes
  ``sub`` pairwise.
* ``var/franceconnect/secrets.json``: the plain client secrets of the demo service providers and of
  the DGFIP data provider, and the data provider's private encryption keys. The database keeps only
  hashes of the secrets and the public keys.

Every replica reads the same files; the first process to need a file creates it atomically (a
hard link that fails when another process won the race), so replicas never disagree on keys.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from joserfc.jwk import ECKey, KeyParameters, KeySet, RSAKey

from dgfip_sandbox.private_files import read_json, write_private_json
from dgfip_sandbox.settings import Settings

SIGNING_ALGS = ("ES256", "RS256")


def fc_dir(settings: Settings) -> Path:
    return settings.var_dir / "franceconnect"


def provider_keys_path(settings: Settings) -> Path:
    return fc_dir(settings) / "provider-keys.json"


def secrets_path(settings: Settings) -> Path:
    return fc_dir(settings) / "secrets.json"


def generate_signing_key(alg: str) -> ECKey | RSAKey:
    params: KeyParameters = {"use": "sig", "alg": alg}
    if alg == "ES256":
        return ECKey.generate_key("P-256", parameters=params, auto_kid=True)
    if alg == "RS256":
        return RSAKey.generate_key(2048, parameters=params, auto_kid=True)
    raise ValueError(f"unsupported signing alg {alg}")


def generate_encryption_key(alg: str) -> ECKey | RSAKey:
    params: KeyParameters = {"use": "enc", "alg": alg}
    if alg.startswith("ECDH-ES"):
        return ECKey.generate_key("P-256", parameters=params, auto_kid=True)
    if alg.startswith("RSA-OAEP"):
        return RSAKey.generate_key(2048, parameters=params, auto_kid=True)
    raise ValueError(f"unsupported encryption alg {alg}")


@dataclass(frozen=True)
class ProviderKeys:
    """FranceConnect's signing keys (private) and the pairwise-sub secret."""

    keys: KeySet
    sub_secret: str

    def signing_key(self, alg: str) -> ECKey | RSAKey:
        for key in self.keys.keys:
            if key.get("alg") == alg:
                return key  # type: ignore[return-value]
        raise KeyError(alg)

    def public_jwks(self) -> dict[str, Any]:
        return dict(self.keys.as_dict(private=False))

    def _fernet(self) -> Fernet:
        derived = hashlib.sha256(f"dgfip-sandbox:fs-client-secret:{self.sub_secret}".encode()).digest()
        return Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, secret: str) -> str:
        """Encrypt an FS client secret: HS256 signs with the secret itself, so FranceConnect must be able
        to read it back (the hash still authenticates the FS)."""
        return self._fernet().encrypt(secret.encode()).decode()

    def unseal(self, sealed: str) -> str:
        try:
            return self._fernet().decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise LookupError("the sealed client secret was made with other provider keys") from None


def load_or_create_provider_keys(settings: Settings) -> ProviderKeys:
    path = provider_keys_path(settings)
    data = read_json(path)
    if data is None:
        fresh = {
            "keys": [generate_signing_key(alg).as_dict(private=True) for alg in SIGNING_ALGS],
            "sub_secret": secrets.token_hex(32),
        }
        write_private_json(path, fresh, exclusive=True)
        data = read_json(path)
        if data is None:
            raise OSError(f"cannot read {path} back")
    return ProviderKeys(keys=KeySet.import_key_set({"keys": data["keys"]}), sub_secret=data["sub_secret"])
