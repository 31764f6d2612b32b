"""Registering consumers: the one module that creates, re-registers and resets them.

Used by bootstrap (``dgfip-sandbox up``), by the reset (``dgfip-sandbox reset``, ``POST /api/reset``),
by the admin API and by the CLI (``consumers add``, through admin/service.py). Every query is in
store/consumers.py; this module decides what a registration is:

* ``register_consumer(session, terms, …)``: a new consumer from its terms (any object with the
  ``ConsumerTerms`` attributes: a ``DemoConsumer``, the admin's validated ``NewConsumer``);
* ``register_certificate(session, consumer_id, cert)``: a client certificate's fingerprint (idempotent);
* ``register_demo_consumers(…)``: the demo consumers, idempotently, keeping the secrets of
  var/credentials.json;
* ``reset_demo_consumers(…)``: back to the demo consumers as specified (others removed);
* ``demo_allowed_ips(spec, extra)``: a demo consumer's CIDRs, with ``DGFIP_SANDBOX_DEMO_EXTRA_ALLOWED_IPS``
  for the loopback-only ones, the same at bootstrap and after a reset.

FranceConnect service providers are registered by franceconnect/seed.py; the same shape (terms in,
store queries in store/) applies to them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from cryptography import x509
from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox import pki
from dgfip_sandbox.private_files import read_json, write_private_json
from dgfip_sandbox.seed.demo_consumer import LOOPBACK, DemoConsumer
from dgfip_sandbox.store import consumers as store
from dgfip_sandbox.store.consumers import Consumer, ConsumerCertificate, hash_secret, new_client_secret, verify_secret


class ConsumerTerms(Protocol):
    """What a consumer is registered with: its habilitation (DataPass, FICOBA) and technical access."""

    @property
    def name(self) -> str: ...
    @property
    def organisation(self) -> str: ...
    @property
    def application(self) -> str: ...
    @property
    def siret(self) -> str | None: ...
    @property
    def oauth_scopes(self) -> Sequence[str]: ...
    @property
    def datapass_scopes(self) -> Sequence[str]: ...
    @property
    def allowed_ips(self) -> Sequence[str]: ...
    @property
    def quota_per_minute(self) -> int: ...
    @property
    def id_teleservice(self) -> str | None: ...
    @property
    def ficoba_modalities(self) -> Sequence[str]: ...
    @property
    def ficoba_motifs(self) -> Sequence[str]: ...
    @property
    def sandbox_options(self) -> Sequence[str]: ...
    @property
    def fc_client_id(self) -> str | None: ...


def apply_terms(row: Consumer, terms: ConsumerTerms, *, allowed_ips: Sequence[str] | None = None) -> None:
    """Set every attribute the terms decide (active again, no standing scenario)."""
    row.organisation, row.application, row.siret = terms.organisation, terms.application, terms.siret
    row.active = True
    row.oauth_scopes, row.datapass_scopes = list(terms.oauth_scopes), list(terms.datapass_scopes)
    row.allowed_ips = list(terms.allowed_ips if allowed_ips is None else allowed_ips)
    row.quota_per_minute = terms.quota_per_minute
    row.id_teleservice, row.fc_client_id = terms.id_teleservice, terms.fc_client_id
    row.ficoba_modalities, row.ficoba_motifs = list(terms.ficoba_modalities), list(terms.ficoba_motifs)
    row.sandbox_options, row.sandbox_scenario = list(terms.sandbox_options), None


async def register_consumer(
    session: AsyncSession,
    terms: ConsumerTerms,
    *,
    client_id: str,
    secret: str,
    now: datetime,
    allowed_ips: Sequence[str] | None = None,
) -> Consumer:
    """A new consumer (the caller checked the name is free); the secret is stored hashed."""
    row = Consumer(name=terms.name, client_id=client_id, client_secret_hash=hash_secret(secret), created_at=now)
    apply_terms(row, terms, allowed_ips=allowed_ips)
    return await store.insert(session, row)


async def register_certificate(
    session: AsyncSession, consumer_id: int, cert: x509.Certificate, *, pem: str | None = None
) -> str:
    """Register a client certificate to a consumer (nothing when its fingerprint is already registered).

    ``pem``: kept for certificates the admin issues, so that they can be revoked after their file is replaced."""
    fingerprint = pki.fingerprint_sha256(cert)
    if not await store.certificate_registered(session, fingerprint):
        await store.insert_certificate(
            session,
            ConsumerCertificate(
                consumer_id=consumer_id,
                fingerprint_sha256=fingerprint,
                serial_number=format(cert.serial_number, "x"),
                subject=cert.subject.rfc4514_string()[:300],
                not_after=cert.not_valid_after_utc,
                pem=pem,
            ),
        )
    return fingerprint


def demo_client_id(name: str) -> str:
    """A demo consumer's client_id: stable across runs and resets."""
    return f"{name}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def demo_allowed_ips(spec: DemoConsumer, extra: Sequence[str]) -> list[str]:
    """The spec's CIDRs, plus ``demo_extra_allowed_ips`` for the loopback-only consumers (a proxy in a
    container sees host clients from its bridge network, not from 127.0.0.1)."""
    if extra and tuple(spec.allowed_ips) == LOOPBACK:
        return list(spec.allowed_ips) + [cidr for cidr in extra if cidr not in spec.allowed_ips]
    return list(spec.allowed_ips)


async def register_demo_consumers(
    session: AsyncSession,
    specs: Sequence[DemoConsumer],
    sandbox_pki: pki.SandboxPki,
    previous_secrets: dict[str, str],
    *,
    now: datetime,
    extra_allowed_ips: Sequence[str] = (),
) -> dict[str, str]:
    """Register the demo consumers that are missing, and their certificates; return every secret.

    A consumer keeps its secret from var/credentials.json; when that file was lost (the stored hash
    cannot give the secret back) the secret is rotated."""
    secrets_by_name: dict[str, str] = {}
    for spec in specs:
        allowed_ips = demo_allowed_ips(spec, extra_allowed_ips)
        row = await store.get_row(session, spec.name)
        secret = previous_secrets.get(spec.name)
        if row is None:
            secret = secret or new_client_secret()
            row = await register_consumer(
                session, spec, client_id=demo_client_id(spec.name), secret=secret, now=now, allowed_ips=allowed_ips
            )
        else:
            if extra_allowed_ips:
                row.allowed_ips = allowed_ips
            if secret is None or not verify_secret(secret, row.client_secret_hash):
                secret = new_client_secret()
                row.client_secret_hash = hash_secret(secret)
        secrets_by_name[spec.name] = secret
        cert_paths = [sandbox_pki.clients[spec.name][0]]
        if spec.name == specs[0].name:
            # The deliberately bad certificates (but the unknown-CA one) belong to the first consumer, so
            # that each is refused for its own reason, not for being unregistered.
            cert_paths += [sandbox_pki.bad[kind][0] for kind in ("expired", "not_yet_valid", "revoked")]
        for cert_path in cert_paths:
            await register_certificate(session, row.id, pki.load_pem_cert(cert_path.read_bytes()))
    return secrets_by_name


async def reset_demo_consumers(
    session: AsyncSession,
    specs: Sequence[DemoConsumer],
    sandbox_pki: pki.SandboxPki,
    previous_secrets: dict[str, str],
    *,
    now: datetime,
    extra_allowed_ips: Sequence[str] = (),
) -> tuple[list[str], dict[str, str]]:
    """Back to the demo consumers as specified: the others removed, every certificate registered again,
    each demo consumer's terms, client_id and var/credentials.json secret restored. Returns the names
    removed and every secret."""
    removed = await store.delete_all_but(session, [spec.name for spec in specs])
    await store.delete_all_certificates(session)
    for spec in specs:
        row = await store.get_row(session, spec.name)
        if row is None:
            continue
        apply_terms(row, spec, allowed_ips=demo_allowed_ips(spec, extra_allowed_ips))
        row.client_id = demo_client_id(spec.name)
        if spec.name in previous_secrets:  # the secret of var/credentials.json, even after a rotation
            row.client_secret_hash = hash_secret(previous_secrets[spec.name])
    await session.flush()
    secrets_by_name = await register_demo_consumers(
        session, specs, sandbox_pki, previous_secrets, now=now, extra_allowed_ips=extra_allowed_ips
    )
    return removed, secrets_by_name


def read_demo_secrets(credentials_path: Path) -> dict[str, str]:
    """The demo consumers' secrets as var/credentials.json gives them ({} when absent or unreadable)."""
    try:
        data = read_json(credentials_path)
        return {c["name"]: c["client_secret"] for c in (data or {}).get("consumers", [])}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}


def update_demo_secrets(credentials_path: Path, secrets_by_name: dict[str, str]) -> None:
    """Write renewed secrets into var/credentials.json (nothing when the file is absent)."""
    data = read_json(credentials_path)
    if data is None:
        return
    for consumer in data.get("consumers", []):
        if consumer.get("name") in secrets_by_name:
            consumer["client_secret"] = secrets_by_name[consumer["name"]]
    write_private_json(credentials_path, data)
