"""Everything ``dgfip-sandbox up`` prepares before serving, idempotently:

migrate the database to head → PKI (CA, server, clients, bad certificates, CRL) → seeders →
demo consumers (client secret hashed in the store, certificate fingerprints registered) →
var/credentials.json. Re-running reuses what exists: no data lost, no key regenerated.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dgfip_sandbox import pki, registration
from dgfip_sandbox.private_files import make_private, private_dir, private_umask, write_private_json
from dgfip_sandbox.progress import Reporter
from dgfip_sandbox.seed import seeders
from dgfip_sandbox.seed.consumers import demo_consumers
from dgfip_sandbox.seed.demo_consumer import DemoConsumer
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.database import create_engine, create_sessionmaker
from dgfip_sandbox.store.migrate import downgrade_to_base, upgrade_to_head


def prepare_sandbox(
    settings: Settings, *, now: datetime, reset: bool = False, progress: Reporter | None = None
) -> dict[str, Any]:
    """Synchronous entry point (runs its own event loop for the async parts).

    ``var/`` and ``certs/`` and all they hold are private to the user (private_files.py).
    ``reset``: empty the database first (every table dropped by the migrations, then migrated and
    seeded again); credentials.json's secrets are kept, so the demo consumers' credentials still work.
    ``progress``: where long steps report (a bar or plain lines); silent by default.
    Raises :class:`~dgfip_sandbox.seed.size.SeedSizeMismatch` when an explicit ``seed_size`` differs
    from the population the database holds."""
    from dgfip_sandbox import progress as progress_module

    with progress_module.reporting(progress or progress_module.SilentReporter()):
        return _prepare(settings, now=now, reset=reset)


def _prepare(settings: Settings, *, now: datetime, reset: bool) -> dict[str, Any]:
    from dgfip_sandbox.gateway.app import signing_key_path
    from dgfip_sandbox.gateway.tokens import load_or_create_signing_key

    with private_umask():
        private_dir(settings.var_dir)
        private_dir(settings.certs_dir)
        if reset:
            downgrade_to_base(settings.sqlalchemy_url)
        upgrade_to_head(settings.sqlalchemy_url)
        consumers = demo_consumers()
        sandbox_pki = pki.ensure_pki(settings.certs_dir, [c.name for c in consumers], now=now)
        # The token signing key is created here, once, rather than by whichever replica starts first:
        # replicas started together would otherwise each create their own and refuse each other's tokens.
        load_or_create_signing_key(signing_key_path(settings))
        credentials = asyncio.run(_seed_and_register(settings, sandbox_pki, consumers, now=now))
    make_private(settings.var_dir, settings.certs_dir)
    return credentials


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
        previous = registration.read_demo_secrets(settings.credentials_path)
        async with sessionmaker() as session, session.begin():
            secrets_by_name = await registration.register_demo_consumers(
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


async def _extra_credentials(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """Sections other packages add to credentials.json (FranceConnect registries)."""
    from dgfip_sandbox.franceconnect.credentials import credentials_section

    async with sessionmaker() as session:
        return {"franceconnect": await credentials_section(session, settings)}


def admin_credentials(settings: Settings) -> dict[str, Any]:
    from dgfip_sandbox.admin.credential import ensure_admin_token

    return {
        "base_url": settings.admin_base_url,
        "token": ensure_admin_token(settings),
        "portal": f"{settings.admin_base_url}/portal",
    }


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
                "client_id": registration.demo_client_id(spec.name),
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
