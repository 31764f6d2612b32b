"""FranceConnect administration: the integrator's own service providers (FS), the consumer ↔ FS link, and
test identities — the one set of operations behind ``dgfip-sandbox franceconnect fs|idp …``,
``dgfip-sandbox consumers link-fs``, the admin API and the pytest plugin.

* An FS is named by the integrator (``NAME``); its client_id is derived from the name as for the demo
  FS (franceconnect/registry.py ``stable_client_id``), so ``show``/``remove`` need only the name. It is
  registered through ``registry.register_service_provider`` (FranceConnect's back-office rules:
  redirect URIs, scopes of FranceConnect's scope list, algorithms, client authentication); its secret
  is returned once, stored hashed (and sealed for HS256).
* ``link_fs`` sets the consumer's ``fc_client_id``: the gateway's FranceConnect routes then accept
  the tokens FranceConnect issued to that FS (and only those: 4033 otherwise).
* A test identity is an account of the demo identity provider (password ``123``), shown in the
  picker; given a SPI, it takes the déclarant's état civil so that the réconciliation finds it.

Every change is validated here (French messages naming the field) and recorded in ``admin_events`` in
its transaction. FranceConnect reads the FS and the identities from SQL at each request, so a change is
effective at once in every process; so is a link (the gateway's consumer cache follows the database's
change counters, store/changes.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dgfip_sandbox.admin.errors import AdminError, ConsumerNotFound, InvalidAdminRequest
from dgfip_sandbox.admin.service import NAME_PATTERN, _check  # the consumer administration's rules
from dgfip_sandbox.clock import Clock
from dgfip_sandbox.franceconnect.identity import demo_email
from dgfip_sandbox.franceconnect.jose import ID_TOKEN_ALGS
from dgfip_sandbox.franceconnect.keys import load_or_create_provider_keys
from dgfip_sandbox.franceconnect.reconciliation import ReconciliationError, find_spi
from dgfip_sandbox.franceconnect.registry import (
    PASSWORD,
    TOKEN_ENDPOINT_AUTH_METHODS,
    ServiceProviderRegistration,
    register_service_provider,
    stable_client_id,
)
from dgfip_sandbox.franceconnect.scopes import SCOPES
from dgfip_sandbox.franceconnect.seed import _title as title_case
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store import admin_events
from dgfip_sandbox.store import consumers as consumer_store
from dgfip_sandbox.store import franceconnect as store
from dgfip_sandbox.store.consumers import hash_secret, new_client_secret
from dgfip_sandbox.store.franceconnect import FcCitizen, FcServiceProvider
from dgfip_sandbox.store.taxpayers import Declarant

LOGIN_PATTERN = re.compile(r"^[A-Za-z0-9._@-]{2,60}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
INSEE_COG = re.compile(r"^[0-9][0-9AB][0-9]{3}$")
DEFAULT_FS_SCOPES = ("openid", "identite_pivot")
FRANCE = "99100"


class ServiceProviderNotFound(AdminError):
    status_code = 404
    code = 404
    message = "Fournisseur de service FranceConnect inconnu"


class ServiceProviderExists(AdminError):
    status_code = 409
    code = 409
    message = "Fournisseur de service FranceConnect déjà enregistré"


class IdentityNotFound(AdminError):
    status_code = 404
    code = 404
    message = "Identité de test inconnue"


class IdentityExists(AdminError):
    status_code = 409
    code = 409
    message = "Identité de test déjà enregistrée"


@dataclass
class NewServiceProvider:
    """What ``franceconnect fs add`` takes."""

    name: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    title: str | None = None  # shown on FranceConnect's pages; the name when absent
    alg: str = "ES256"  # id_token_signed_response_alg (and userinfo's)
    auth: str = "client_secret_post"  # token_endpoint_auth_method
    jwks_uri: str | None = None
    scopes: list[str] = field(default_factory=lambda: list(DEFAULT_FS_SCOPES))
    private: bool = False  # sp_type "private": explicit consent checkbox


@dataclass
class NewIdentity:
    """What ``franceconnect idp add`` takes; with ``spi``, the missing état civil is the déclarant's."""

    login: str
    spi: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    birthdate: str | None = None  # YYYY-MM-DD
    gender: str | None = None  # male | female
    birthplace: str | None = None  # INSEE COG, for a birth in France
    birthcountry: str | None = None  # INSEE COG, 99100 = France
    email: str | None = None
    preferred_username: str | None = None
    description: str | None = None


def _check_uri(field_name: str, uri: str) -> None:
    parts = urlsplit(uri)
    _check(
        parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.fragment,
        f"{field_name} invalide : « {uri[:100]} » (URL http ou https absolue, sans fragment)",
    )


def service_provider_as_dict(row: FcServiceProvider) -> dict[str, Any]:
    return {
        "name": row.name,
        "client_id": row.client_id,
        "redirect_uris": list(row.redirect_uris or []),
        "post_logout_redirect_uris": list(row.post_logout_redirect_uris or []),
        "scopes": list(row.scopes or []),
        "alg": row.id_token_signed_response_alg,
        "auth": row.token_endpoint_auth_method,
        "jwks_uri": row.jwks_uri,
        "type": row.sp_type,
        "active": row.active,
        "created_at": row.created_at.isoformat() if row.created_at else None,
    }


def identity_as_dict(row: FcCitizen) -> dict[str, Any]:
    return {
        "login": row.login,
        "given_name": row.given_name,
        "family_name": row.family_name,
        "preferred_username": row.preferred_username,
        "birthdate": row.birthdate,
        "gender": row.gender,
        "birthplace": row.birthplace,
        "birthcountry": row.birthcountry,
        "email": row.email,
        "case": row.case,
        "expected_spi": row.expected_spi,
        "description": row.description,
    }


class FranceConnectAdmin:
    """FS, links and identities; ``actor`` names who acts in the admin audit trail ("cli", "api", "pytest")."""

    def __init__(
        self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], *, clock: Clock, actor: str = "cli"
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.actor = actor

    # --- service providers -------------------------------------------------------------------

    async def list_fs(self) -> list[dict[str, Any]]:
        async with self.sessionmaker() as session:
            return [service_provider_as_dict(row) for row in await store.list_service_providers(session)]

    async def show_fs(self, name: str) -> dict[str, Any]:
        async with self.sessionmaker() as session:
            return service_provider_as_dict(await self._fs(session, name))

    async def add_fs(self, spec: NewServiceProvider) -> dict[str, Any]:
        """Register an FS; its client secret is in the answer this once."""
        name = spec.name.strip()
        registration = self._registration(name, spec)
        secret = new_client_secret()
        client_id = stable_client_id("fs", name)
        keys = load_or_create_provider_keys(self.settings)
        async with self.sessionmaker() as session, session.begin():
            if await store.get_service_provider(session, client_id) is not None:
                raise ServiceProviderExists(name)
            row = await register_service_provider(
                session, keys, client_id, registration, secret=secret, now=self.clock.now()
            )
            result = service_provider_as_dict(row)
            self._event(
                session, "fc_fs_add", None, {"fs": name, **{k: v for k, v in result.items() if k != "created_at"}}
            )
        return {**result, "client_secret": secret}

    async def remove_fs(self, name: str) -> dict[str, Any]:
        """Remove an FS (its sessions, codes and tokens stay until they expire: refused, as unknown)."""
        client_id = stable_client_id("fs", name)
        async with self.sessionmaker() as session, session.begin():
            if not await store.delete_service_provider(session, client_id):
                raise ServiceProviderNotFound(name[:100])
            self._event(session, "fc_fs_remove", None, {"fs": name, "client_id": client_id})
        return {"name": name, "client_id": client_id, "removed": True}

    async def link_fs(self, consumer: str, fs: str) -> dict[str, Any]:
        """The consumer's FranceConnect routes accept the tokens of ``fs`` (instead of its previous FS)."""
        client_id = stable_client_id("fs", fs)
        async with self.sessionmaker() as session, session.begin():
            await self._fs(session, fs)
            found, previous = await consumer_store.link_service_provider(session, consumer, client_id)
            if not found:
                raise ConsumerNotFound(consumer[:100])
            self._event(session, "link_fs", consumer, {"fs": fs, "fc_client_id": client_id, "previous": previous})
        return {"consumer": consumer, "fs": fs, "fc_client_id": client_id, "previous_fc_client_id": previous}

    # --- test identities ---------------------------------------------------------------------

    async def list_identities(self) -> list[dict[str, Any]]:
        async with self.sessionmaker() as session:
            return [identity_as_dict(row) for row in await store.list_citizens(session)]

    async def add_identity(self, spec: NewIdentity) -> dict[str, Any]:
        login = spec.login.strip()
        _check(bool(LOGIN_PATTERN.match(login)), "login invalide (2 à 60 caractères : lettres, chiffres, . _ @ -)")
        async with self.sessionmaker() as session, session.begin():
            if await store.get_citizen_by_login(session, login) is not None:
                raise IdentityExists(login)
            citizen = await self._citizen(session, login, spec)
            await store.insert_citizen(session, citizen)
            result = identity_as_dict(citizen)
            self._event(session, "fc_identity_add", None, result)
        return result

    async def remove_identity(self, login: str) -> dict[str, Any]:
        async with self.sessionmaker() as session, session.begin():
            if not await store.delete_citizen(session, login):
                raise IdentityNotFound(login[:60])
            self._event(session, "fc_identity_remove", None, {"login": login})
        return {"login": login, "removed": True}

    # --- internals ---------------------------------------------------------------------------

    async def _fs(self, session: AsyncSession, name: str) -> FcServiceProvider:
        row = await store.get_service_provider(session, stable_client_id("fs", name))
        if row is None:
            raise ServiceProviderNotFound(name[:100])
        return row

    def _registration(self, name: str, spec: NewServiceProvider) -> ServiceProviderRegistration:
        _check(bool(NAME_PATTERN.match(name)), "nom invalide (2 à 64 caractères : minuscules, chiffres, . _ -)")
        _check(bool(spec.redirect_uris), "redirect_uri : au moins une adresse de retour est obligatoire")
        for uri in spec.redirect_uris:
            _check_uri("redirect_uri", uri)
        for uri in spec.post_logout_redirect_uris:
            _check_uri("post_logout_redirect_uri", uri)
        scopes = list(dict.fromkeys(s.strip() for s in spec.scopes if s.strip()))
        if "openid" not in scopes:
            scopes.insert(0, "openid")
        unknown = [s for s in scopes if s not in SCOPES]
        _check(not unknown, f"scopes : inconnus de FranceConnect : {' '.join(unknown)[:200]}")
        _check(spec.alg in ID_TOKEN_ALGS, f"alg invalide : « {spec.alg[:20]} » ({', '.join(ID_TOKEN_ALGS)})")
        _check(
            spec.auth in TOKEN_ENDPOINT_AUTH_METHODS,
            f"auth invalide : « {spec.auth[:40]} » ({', '.join(TOKEN_ENDPOINT_AUTH_METHODS)})",
        )
        jwks_uri = (spec.jwks_uri or "").strip() or None
        if spec.auth == "private_key_jwt":
            _check(jwks_uri is not None, "jwks_uri : obligatoire avec l'authentification private_key_jwt")
        else:
            _check(jwks_uri is None, "jwks_uri : réservé à l'authentification private_key_jwt")
        if jwks_uri is not None:
            _check_uri("jwks_uri", jwks_uri)
        title = (spec.title or name).strip()[:200]
        registration = ServiceProviderRegistration(
            title=title,
            redirect_uris=list(dict.fromkeys(spec.redirect_uris)),
            post_logout_redirect_uris=list(dict.fromkeys(spec.post_logout_redirect_uris)),
            scopes=scopes,
            sp_type="private" if spec.private else "public",
            id_token_signed_response_alg=spec.alg,
            userinfo_signed_response_alg=spec.alg,
            token_endpoint_auth_method=spec.auth,
            jwks_uri=jwks_uri,
        )
        try:
            registration.validate()
        except ValueError as exc:
            raise InvalidAdminRequest(str(exc)) from None
        return registration

    async def _citizen(self, session: AsyncSession, login: str, spec: NewIdentity) -> FcCitizen:
        declarant = None
        if spec.spi:
            declarant = await session.get(Declarant, spec.spi.strip())
            _check(declarant is not None, f"spi : aucun déclarant n'a le numéro fiscal « {spec.spi[:13]} »")
        given_name = (spec.given_name or (title_case(declarant.prenoms) if declarant else "")).strip()
        family_name = (spec.family_name or (declarant.nom_naissance.upper() if declarant else "")).strip()
        birthdate = (spec.birthdate or (declarant.date_naissance.isoformat() if declarant else "")).strip()
        gender = (spec.gender or ({"M": "male", "F": "female"}[declarant.sexe] if declarant else "")).strip()
        birthcountry = (spec.birthcountry or (declarant.code_pays_naissance if declarant else FRANCE)).strip()
        birthplace = (spec.birthplace or ((declarant.commune_naissance or "") if declarant else "")).strip()
        _check(bool(given_name), "given_name : les prénoms sont obligatoires (ou donnez --spi)")
        _check(bool(family_name), "family_name : le nom de naissance est obligatoire (ou donnez --spi)")
        try:
            date.fromisoformat(birthdate)
        except ValueError:
            raise InvalidAdminRequest(f"birthdate invalide : « {birthdate[:20]} » (AAAA-MM-JJ)") from None
        _check(gender in ("male", "female"), f"gender invalide : « {gender[:10]} » (male ou female)")
        _check(bool(INSEE_COG.match(birthcountry)), f"birthcountry invalide : « {birthcountry[:10]} » (code COG)")
        if birthcountry == FRANCE:
            _check(bool(INSEE_COG.match(birthplace)), f"birthplace invalide : « {birthplace[:10]} » (code COG)")
        else:
            birthplace = ""  # FranceConnect: no birthplace for a birth abroad
        email = (spec.email or demo_email(given_name, family_name)).strip()
        _check(bool(EMAIL_PATTERN.match(email)) and len(email) <= 200, f"email invalide : « {email[:60]} »")
        identity = {
            "given_name": given_name,
            "family_name": family_name,
            "birthdate": birthdate,
            "gender": gender,
            "birthcountry": birthcountry,
        }
        try:
            matched: str | None = await find_spi(session, identity)
        except ReconciliationError:
            matched = None
        if spec.spi:
            _check(
                matched == spec.spi.strip(),
                f"spi : cette identité ne se réconcilie pas avec le déclarant {spec.spi[:13]} "
                "(prénom, nom de naissance, date et pays de naissance, sexe)",
            )
        description = spec.description or (
            f"Identité de l'intégrateur : la réconciliation trouve le SPI {matched}"
            if matched
            else "Identité de l'intégrateur : aucun déclarant unique ne lui correspond"
        )
        return FcCitizen(
            login=login,
            password_hash=hash_secret(PASSWORD),
            given_name=given_name[:200],
            family_name=family_name[:100],
            preferred_username=(spec.preferred_username or "").strip()[:100] or None,
            birthdate=birthdate,
            gender=gender,
            birthplace=birthplace,
            birthcountry=birthcountry,
            email=email,
            case="integrator_match" if matched else "integrator_no_match",
            description=description[:300],
            expected_spi=matched,
        )

    def _event(self, session: AsyncSession, action: str, consumer: str | None, details: dict[str, Any]) -> None:
        admin_events.record(
            session, at=self.clock.now(), actor=self.actor, action=action, consumer_name=consumer, details=details
        )


__all__ = [
    "FranceConnectAdmin",
    "IdentityExists",
    "IdentityNotFound",
    "NewIdentity",
    "NewServiceProvider",
    "ServiceProviderExists",
    "ServiceProviderNotFound",
]
