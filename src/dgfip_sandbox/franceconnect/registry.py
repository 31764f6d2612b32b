"""The registered parties: demo service providers (FS) and the DGFIP data provider (FD).

client_ids are stable (derived from the party's name, like FranceConnect's 64-hex ids) so that
other parts of the sandbox can name them (a demo consumer's ``fc_client_id``); client secrets are
random, hashed in SQL, and kept in plain only in var/franceconnect/secrets.json.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from dgfip_sandbox.franceconnect.keys import secrets_path
from dgfip_sandbox.franceconnect.scopes import DGFIP_SCOPES, IDENTITY_SCOPES, SCOPES
from dgfip_sandbox.private_files import read_json, write_private_json
from dgfip_sandbox.settings import Settings

PASSWORD = "123"  # every demo citizen's password (FranceConnect's mock identity provider convention)


def stable_client_id(kind: str, name: str) -> str:
    return hashlib.sha256(f"dgfip-sandbox:franceconnect:{kind}:{name}".encode()).hexdigest()


@dataclass(frozen=True)
class ServiceProviderSpec:
    name: str
    title: str
    signing_alg: str
    sp_type: str  # "public" (informational consent page) | "private" (explicit consent checkbox)
    scopes: tuple[str, ...]
    redirect_paths: tuple[str, ...] = ("/callback",)
    post_logout_paths: tuple[str, ...] = ("/logout-callback",)
    fixed_origins: tuple[str, ...] = ()  # used instead of the demo FS origins when set

    @property
    def client_id(self) -> str:
        return stable_client_id("fs", self.name)

    def origins(self, settings: Settings) -> list[str]:
        if self.fixed_origins:
            return list(self.fixed_origins)
        return [f"http://localhost:{settings.demo_fs_port}", f"http://127.0.0.1:{settings.demo_fs_port}"]

    def redirect_uris(self, settings: Settings) -> list[str]:
        return [origin + path for origin in self.origins(settings) for path in self.redirect_paths]

    def post_logout_redirect_uris(self, settings: Settings) -> list[str]:
        return [origin + path for origin in self.origins(settings) for path in self.post_logout_paths]


_ALL_SCOPES = tuple(sorted(SCOPES))
_DGFIP_DEMO = ("dgfip_rfr", "dgfip_nbpart", "dgfip_sitfam", "dgfip_pac", "dgfip_aft", "dgfip_annee_n_moins_1")

SERVICE_PROVIDERS: tuple[ServiceProviderSpec, ...] = (
    ServiceProviderSpec(
        name="demo-fs",
        title="Service en ligne de démonstration",
        signing_alg="ES256",
        sp_type="public",
        scopes=_ALL_SCOPES,
    ),
    ServiceProviderSpec(
        name="fs-prive-rs256",
        title="Service privé de démonstration (RS256)",
        signing_alg="RS256",
        sp_type="private",
        scopes=("openid", "identite_pivot", "profile", "birth", "email", "amr", *_DGFIP_DEMO),
        fixed_origins=("http://localhost:3000",),
    ),
)
DEMO_FS = SERVICE_PROVIDERS[0]
DEMO_FS_CLIENT_ID = DEMO_FS.client_id


@dataclass(frozen=True)
class DataProviderSpec:
    slug: str
    title: str
    scopes: tuple[str, ...]
    signed_alg: str = "ES256"
    encrypted_alg: str = "ECDH-ES"
    encrypted_enc: str = "A256GCM"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def client_id(self) -> str:
        return stable_client_id("fd", self.slug)


DGFIP_DATA_PROVIDER = DataProviderSpec(
    slug="dgfip", title="Les services de la DGFIP", scopes=tuple(sorted(DGFIP_SCOPES))
)

assert not set(DGFIP_DATA_PROVIDER.scopes) & IDENTITY_SCOPES


# --- var/franceconnect/secrets.json ------------------------------------------------------------


def read_secrets(settings: Settings) -> dict[str, Any]:
    data = read_json(secrets_path(settings)) or {}
    data.setdefault("service_providers", {})
    data.setdefault("data_providers", {})
    return data


def write_secrets(settings: Settings, data: dict[str, Any]) -> None:
    write_private_json(secrets_path(settings), data)


def service_provider_secret(settings: Settings, client_id: str) -> str:
    """The plain client secret of a demo service provider (for the demo FS and credentials.json)."""
    try:
        return read_secrets(settings)["service_providers"][client_id]
    except KeyError:
        raise LookupError(f"no secret for service provider {client_id}: run the seeders") from None


@dataclass(frozen=True)
class DataProviderCredentials:
    """What the gateway needs to call checktoken as the DGFIP data provider."""

    client_id: str
    client_secret: str
    private_jwks: dict[str, Any]
    signed_alg: str
    encrypted_alg: str
    encrypted_enc: str

    @classmethod
    def load(cls, settings: Settings, spec: DataProviderSpec = DGFIP_DATA_PROVIDER) -> DataProviderCredentials:
        entry = read_secrets(settings)["data_providers"].get(spec.client_id)
        if entry is None:
            raise LookupError(f"no credentials for data provider {spec.slug}: run the seeders")
        return cls(
            client_id=spec.client_id,
            client_secret=entry["client_secret"],
            private_jwks=entry["private_jwks"],
            signed_alg=spec.signed_alg,
            encrypted_alg=spec.encrypted_alg,
            encrypted_enc=spec.encrypted_enc,
        )
