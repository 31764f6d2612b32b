"""The registered parties: service providers (FS) and the DGFIP data provider (FD).

client_ids are stable (derived from the party's name, like FranceConnect's 64-hex ids) so that
other parts of the sandbox can name them (a demo consumer's ``fc_client_id``); client secrets are
random, hashed in SQL (plus sealed with the provider key, for HS256), and kept in plain only in
var/franceconnect/secrets.json.

Registering an FS (what FranceConnect's back-office holds for it)::

    registration = ServiceProviderRegistration(
        title="Mon service", redirect_uris=["https://fs.example/callback"],
        post_logout_redirect_uris=["https://fs.example/logout"], scopes=["openid", "profile"],
        id_token_signed_response_alg="HS256",                     # or ES256 | RS256
        token_endpoint_auth_method="private_key_jwt",             # or client_secret_post
        jwks_uri="https://fs.example/jwks",                       # or jwks={"keys": [...]}
    )
    registration.validate()                                       # ValueError, French message
    row = await register_service_provider(db, keys, client_id, registration, secret=secret, now=now)

``register_service_provider`` inserts or updates (same client_id) in the caller's transaction;
every process reads the row at each request, so a change is effective at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization
from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.franceconnect.jose import CLIENT_AUTH_ALGS, ID_TOKEN_ALGS
from dgfip_sandbox.franceconnect.keys import ProviderKeys, secrets_path
from dgfip_sandbox.franceconnect.scopes import DGFIP_SCOPES, IDENTITY_SCOPES, SCOPES
from dgfip_sandbox.private_files import read_json, write_private_json
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.consumers import hash_secret
from dgfip_sandbox.store.franceconnect import FcServiceProvider, get_service_provider, save_service_provider

# FranceConnect's tokenEndpointAuthMethods (no client_secret_basic, no none).
TOKEN_ENDPOINT_AUTH_METHODS = ("client_secret_post", "private_key_jwt")
# Prompts an FS may be allowed to send (FranceConnect's allowedPrompt); "login" alone skips consent.
PROMPTS = ("login", "consent")
SP_TYPES = ("public", "private")

PASSWORD = "123"  # noqa: S105 - public by design: every demo citizen's password (FranceConnect's mock identity provider convention)


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

    def registration(self, settings: Settings) -> ServiceProviderRegistration:
        return ServiceProviderRegistration(
            title=self.title,
            redirect_uris=self.redirect_uris(settings),
            post_logout_redirect_uris=self.post_logout_redirect_uris(settings),
            scopes=list(self.scopes),
            sp_type=self.sp_type,
            id_token_signed_response_alg=self.signing_alg,
            userinfo_signed_response_alg=self.signing_alg,
        )


@dataclass(frozen=True)
class ServiceProviderRegistration:
    """One FS as FranceConnect registers it. ``title`` is the name users see on FranceConnect's pages."""

    title: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    scopes: list[str]
    sp_type: str = "public"  # "public": information page; "private": explicit consent checkbox
    id_token_signed_response_alg: str = "ES256"  # noqa: S105 - an algorithm name, not a secret
    userinfo_signed_response_alg: str = "ES256"
    token_endpoint_auth_method: str = "client_secret_post"  # noqa: S105 - a method name, not a secret
    jwks: dict[str, Any] | None = None  # public keys of the FS (private_key_jwt)
    jwks_uri: str | None = None  # or where FranceConnect fetches them at each /token
    allowed_prompts: list[str] = field(default_factory=list)
    active: bool = True

    def validate(self) -> None:
        """Refuse what FranceConnect's back-office refuses; the message is for the user (French)."""
        if not self.title.strip():
            raise ValueError("Le nom du fournisseur de service est obligatoire.")
        if not self.redirect_uris:
            raise ValueError("Au moins une adresse de retour (redirect_uri) est obligatoire.")
        for uri in (*self.redirect_uris, *self.post_logout_redirect_uris):
            parts = urlsplit(uri)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
                raise ValueError(f"Adresse invalide : {uri!r} (URL http(s) absolue, sans fragment).")
        unknown = [s for s in self.scopes if s not in SCOPES]
        if unknown:
            raise ValueError(f"Scopes inconnus de FranceConnect : {' '.join(unknown)}.")
        if "openid" not in self.scopes:
            raise ValueError("Le scope « openid » est obligatoire.")
        if self.sp_type not in SP_TYPES:
            raise ValueError(f"Type de fournisseur de service invalide : {self.sp_type!r} (public ou private).")
        for alg in (self.id_token_signed_response_alg, self.userinfo_signed_response_alg):
            if alg not in ID_TOKEN_ALGS:
                raise ValueError(f"Algorithme de signature invalide : {alg!r} ({', '.join(ID_TOKEN_ALGS)}).")
        if self.token_endpoint_auth_method not in TOKEN_ENDPOINT_AUTH_METHODS:
            raise ValueError(
                f"Méthode d'authentification invalide : {self.token_endpoint_auth_method!r} "
                f"({', '.join(TOKEN_ENDPOINT_AUTH_METHODS)})."
            )
        if self.token_endpoint_auth_method == "private_key_jwt":  # noqa: S105 - a method name
            if (self.jwks is None) == (self.jwks_uri is None):
                raise ValueError("private_key_jwt demande soit un JWKS, soit une adresse jwks_uri (l'un des deux).")
            if self.jwks_uri is not None and urlsplit(self.jwks_uri).scheme not in ("http", "https"):
                raise ValueError(f"Adresse jwks_uri invalide : {self.jwks_uri!r}.")
            if self.jwks is not None:
                validate_public_jwks(self.jwks)
        bad_prompts = [p for p in self.allowed_prompts if p not in PROMPTS]
        if bad_prompts:
            raise ValueError(f"Valeurs de prompt non autorisées : {' '.join(bad_prompts)} (login, consent).")


def validate_public_jwks(jwks: dict[str, Any]) -> KeySet:
    """A JWKS of public signature keys usable for client assertions (ES256 / RS256)."""
    try:
        key_set = KeySet.import_key_set(jwks)  # type: ignore[arg-type]  # joserfc types the dict loosely
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise ValueError(f"JWKS invalide : {error}") from None
    if not key_set.keys:
        raise ValueError("JWKS invalide : aucune clé.")
    for key in key_set.keys:
        if key.is_private:
            raise ValueError("JWKS invalide : il ne doit contenir que des clés publiques.")
        if key.get("alg") not in (None, *CLIENT_AUTH_ALGS):
            raise ValueError(f"JWKS invalide : algorithme {key.get('alg')!r} ({', '.join(CLIENT_AUTH_ALGS)}).")
    return key_set


async def register_service_provider(
    session: AsyncSession,
    keys: ProviderKeys,
    client_id: str,
    registration: ServiceProviderRegistration,
    *,
    secret: str | None,
    now: datetime,
) -> FcServiceProvider:
    """Insert or update the FS ``client_id``; ``secret`` (plain) replaces its secret when given (a new FS
    needs one). Raises ValueError (French message) for what FranceConnect's back-office refuses."""
    registration.validate()
    if secret is None and await get_service_provider(session, client_id) is None:
        raise ValueError("Un nouveau fournisseur de service doit recevoir un secret (client_secret).")
    values: dict[str, Any] = {
        "name": registration.title,
        "redirect_uris": list(registration.redirect_uris),
        "post_logout_redirect_uris": list(registration.post_logout_redirect_uris),
        "scopes": list(registration.scopes),
        "sp_type": registration.sp_type,
        "id_token_signed_response_alg": registration.id_token_signed_response_alg,
        "userinfo_signed_response_alg": registration.userinfo_signed_response_alg,
        "token_endpoint_auth_method": registration.token_endpoint_auth_method,
        "jwks": registration.jwks,
        "jwks_uri": registration.jwks_uri,
        "allowed_prompts": list(registration.allowed_prompts),
        "active": registration.active,
    }
    if secret is not None:
        values["client_secret_hash"] = hash_secret(secret)
        values["client_secret_sealed"] = keys.seal(secret)
    return await save_service_provider(session, client_id, values, now)


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

if set(DGFIP_DATA_PROVIDER.scopes) & IDENTITY_SCOPES:
    raise RuntimeError("the DGFIP data provider cannot hold identity scopes")


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
        return str(read_secrets(settings)["service_providers"][client_id])
    except KeyError:
        raise LookupError(f"no secret for service provider {client_id}: run the seeders") from None


@dataclass(frozen=True)
class DataProviderCredentials:
    """What the gateway needs to call checktoken as the DGFIP data provider."""

    client_id: str
    client_secret: str
    private_jwks: KeySetSerialization
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
