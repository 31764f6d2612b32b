"""Everything ``dgfip-sandbox up`` prepares before serving, idempotently:

migrate the database to head → PKI (CA, server, clients, bad certificates, CRL) → seeders →
demo consumers (client secret hashed in the store, certificate fingerprints registered) →
var/credentials.json. Re-running reuses what exists: no data lost, no key regenerated.
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox import pki
from dgfip_sandbox.progress import Reporter
from dgfip_sandbox.seed import seeders
from dgfip_sandbox.seed.consumers import DemoConsumer, demo_consumers
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.consumers import Consumer, ConsumerCertificate, hash_secret, new_client_secret, verify_secret
from dgfip_sandbox.store.database import create_engine, create_sessionmaker
from dgfip_sandbox.store.migrate import downgrade_to_base, upgrade_to_head


def prepare_sandbox(
    settings: Settings, *, now: datetime, reset: bool = False, progress: Reporter | None = None
) -> dict[str, Any]:
    """Synchronous entry point (runs its own event loop for the async parts).

    ``reset``: empty the database first (every table dropped by the migrations, then migrated and
    seeded again); credentials.json's secrets are kept, so the demo consumers' credentials still work.
    ``progress``: where long steps report (a bar or plain lines); silent by default.
    Raises :class:`~dgfip_sandbox.seed.size.SeedSizeMismatch` when an explicit ``seed_size`` differs
    from the population the database holds."""
    from dgfip_sandbox import progress as progress_module

    with progress_module.reporting(progress or progress_module.SilentReporter()):
        return _prepare(settings, now=now, reset=reset)


def _prepare(settings: Settings, *, now: datetime, reset: bool) -> dict[str, Any]:
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    settings.certs_dir.mkdir(parents=True, exist_ok=True)
    if reset:
        downgrade_to_base(settings.sqlalchemy_url)
    upgrade_to_head(settings.sqlalchemy_url)
    consumers = demo_consumers()
    sandbox_pki = pki.ensure_pki(settings.certs_dir, [c.name for c in consumers], now=now)
    # The token signing key is created here, once, rather than by whichever replica starts first:
    # replicas started together would otherwise each create their own and refuse each other's tokens.
    from dgfip_sandbox.gateway.app import signing_key_path
    from dgfip_sandbox.gateway.tokens import load_or_create_signing_key

    load_or_create_signing_key(signing_key_path(settings))
    return asyncio.run(_seed_and_register(settings, sandbox_pki, consumers, now=now))


async def _seed_and_register(
    settings: Settings, sandbox_pki: pki.SandboxPki, consumers: tuple[DemoConsumer, ...], *, now: datetime
) -> dict[str, Any]:
    engine = create_engine(settings.sqlalchemy_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        for seeder in seeders():
            async with sessionmaker() as session:
                await seeder(session, settings)
                await session.commit()
        previous = _read_previous_secrets(settings.credentials_path)
        async with sessionmaker() as session, session.begin():
            secrets_by_name = await _register_consumers(
                session,
                consumers,
                sandbox_pki,
                previous,
                now=now,
                extra_allowed_ips=tuple(settings.demo_extra_allowed_ips),
            )
        credentials = build_credentials(settings, sandbox_pki, consumers, secrets_by_name)
        extra = await _extra_credentials(settings, sessionmaker)
        credentials.update(extra)
        credentials["admin"] = admin_credentials(settings)
    finally:
        await engine.dispose()
    write_private_json(settings.credentials_path, credentials)
    return credentials


async def _extra_credentials(settings: Settings, sessionmaker: Any) -> dict[str, Any]:
    """Sections other packages add to credentials.json (FranceConnect registries)."""
    try:
        from dgfip_sandbox.franceconnect.seed import credentials_section
    except ModuleNotFoundError as exc:
        if exc.name not in ("dgfip_sandbox.franceconnect", "dgfip_sandbox.franceconnect.seed"):
            raise
        return {}
    async with sessionmaker() as session:
        return {"franceconnect": await credentials_section(session, settings)}


def admin_credentials(settings: Settings) -> dict[str, Any]:
    from dgfip_sandbox.admin.credential import ensure_admin_token

    return {
        "base_url": settings.admin_base_url,
        "token": ensure_admin_token(settings),
        "portal": f"{settings.admin_base_url}/portal",
    }


def _read_previous_secrets(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
        return {c["name"]: c["client_secret"] for c in data.get("consumers", [])}
    except (ValueError, KeyError, TypeError):
        return {}


async def _register_consumers(
    session: AsyncSession,
    consumers: tuple[DemoConsumer, ...],
    sandbox_pki: pki.SandboxPki,
    previous: dict[str, str],
    *,
    now: datetime,
    extra_allowed_ips: tuple[str, ...] = (),
) -> dict[str, str]:
    secrets_by_name: dict[str, str] = {}
    for spec in consumers:
        allowed_ips = _allowed_ips(spec, extra_allowed_ips)
        row = (await session.execute(select(Consumer).where(Consumer.name == spec.name))).scalar_one_or_none()
        secret = previous.get(spec.name)
        if row is None:
            secret = secret or new_client_secret()
            row = Consumer(
                name=spec.name,
                organisation=spec.organisation,
                application=spec.application,
                siret=spec.siret,
                client_id=f"{spec.name}-{_short_id(spec.name)}",
                client_secret_hash=hash_secret(secret),
                active=True,
                oauth_scopes=list(spec.oauth_scopes),
                datapass_scopes=list(spec.datapass_scopes),
                allowed_ips=allowed_ips,
                quota_per_minute=spec.quota_per_minute,
                id_teleservice=spec.id_teleservice,
                ficoba_modalities=list(spec.ficoba_modalities),
                ficoba_motifs=list(spec.ficoba_motifs),
                sandbox_options=list(spec.sandbox_options),
                fc_client_id=spec.fc_client_id,
                created_at=now,
            )
            session.add(row)
            await session.flush()
        else:
            if extra_allowed_ips:
                row.allowed_ips = allowed_ips
            if secret is None or not verify_secret(secret, row.client_secret_hash):
                # credentials.json was lost: the stored hash cannot give the secret back, so rotate it.
                secret = new_client_secret()
                row.client_secret_hash = hash_secret(secret)
        secrets_by_name[spec.name] = secret
        cert_paths = [sandbox_pki.clients[spec.name][0]]
        if spec.name == consumers[0].name:
            # The deliberately bad certificates (but the unknown-CA one) belong to the first consumer, so
            # that each is refused for its own reason, not for being unregistered.
            cert_paths += [sandbox_pki.bad[kind][0] for kind in ("expired", "not_yet_valid", "revoked")]
        for cert_path in cert_paths:
            await _register_certificate(session, row.id, cert_path)
    return secrets_by_name


async def _register_certificate(session: AsyncSession, consumer_id: int, cert_path: Path) -> None:
    cert = pki.load_pem_cert(cert_path.read_bytes())
    fingerprint = pki.fingerprint_sha256(cert)
    exists = (
        await session.execute(
            select(ConsumerCertificate.id).where(ConsumerCertificate.fingerprint_sha256 == fingerprint)
        )
    ).first()
    if exists:
        return
    session.add(
        ConsumerCertificate(
            consumer_id=consumer_id,
            fingerprint_sha256=fingerprint,
            serial_number=format(cert.serial_number, "x"),
            subject=cert.subject.rfc4514_string()[:300],
            not_after=cert.not_valid_after_utc,
        )
    )


def _allowed_ips(spec: DemoConsumer, extra: tuple[str, ...]) -> list[str]:
    """The spec's CIDRs, plus ``demo_extra_allowed_ips`` for the loopback-only consumers (a proxy in a
    container sees host clients from its bridge network, not from 127.0.0.1)."""
    from dgfip_sandbox.seed.consumers import LOOPBACK

    if extra and tuple(spec.allowed_ips) == LOOPBACK:
        return list(spec.allowed_ips) + [cidr for cidr in extra if cidr not in spec.allowed_ips]
    return list(spec.allowed_ips)


def _short_id(name: str) -> str:
    import hashlib

    return hashlib.sha256(name.encode()).hexdigest()[:8]


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


def build_credentials(
    settings: Settings,
    sandbox_pki: pki.SandboxPki,
    consumers: tuple[DemoConsumer, ...],
    secrets_by_name: dict[str, str],
) -> dict[str, Any]:
    return {
        "gateway": {
            "base_url": settings.gateway_base_url,
            "ca_cert": _rel(sandbox_pki.ca_cert),
            "token_url": f"{settings.gateway_base_url}/token",
        },
        "consumers": [
            {
                "name": spec.name,
                "organisation": spec.organisation,
                "client_id": f"{spec.name}-{_short_id(spec.name)}",
                "client_secret": secrets_by_name[spec.name],
                "cert": _rel(sandbox_pki.clients[spec.name][0]),
                "key": _rel(sandbox_pki.clients[spec.name][1]),
                "oauth_scopes": list(spec.oauth_scopes),
                "datapass_scopes": list(spec.datapass_scopes),
                "allowed_ips": list(spec.allowed_ips),
                "quota_per_minute": spec.quota_per_minute,
                "id_teleservice": spec.id_teleservice,
                "siret": spec.siret,
                "ficoba_modalities": list(spec.ficoba_modalities),
                "ficoba_motifs": list(spec.ficoba_motifs),
                "description": spec.description,
            }
            for spec in consumers
        ],
        "bad_certs": {
            kind: {"cert": _rel(cert), "key": _rel(key)} for kind, (cert, key) in sorted(sandbox_pki.bad.items())
        },
    }


def write_private_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically, readable by the owner only (it holds client secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    tmp.replace(path)
