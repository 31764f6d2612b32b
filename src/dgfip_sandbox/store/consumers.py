"""Consumers (a DataPass habilitation with its technical access) and their client certificates."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from dgfip_sandbox.store.base import Base

QUOTA_TIERS = (200, 500, 750)
# The tiers DataPass offers per API (dgfip-apis.md §1.5: the volumetrie_appels_par_minute choices of the
# production forms) [C]; a consumer's quota for one API may be set to one of them.
API_QUOTA_TIERS: dict[str, tuple[int, ...]] = {
    "impot_particulier": (50, 100, 200, 500, 750, 1000),
    "ficoba": (200, 500, 700),
}


class Consumer(Base):
    __tablename__ = "consumers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    organisation: Mapped[str] = mapped_column(String(200))
    application: Mapped[str] = mapped_column(String(200))
    siret: Mapped[str | None] = mapped_column(String(14), nullable=True)
    client_id: Mapped[str] = mapped_column(String(100), unique=True)
    client_secret_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    oauth_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    datapass_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    allowed_ips: Mapped[list[str]] = mapped_column(JSON, default=list)
    quota_per_minute: Mapped[int] = mapped_column(Integer, default=200)
    # Per API (``impot_particulier``, ``ficoba``): a tier replacing quota_per_minute for that API.
    api_quotas: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True, default=dict)
    id_teleservice: Mapped[str | None] = mapped_column(String(100), nullable=True)
    ficoba_modalities: Mapped[list[str]] = mapped_column(JSON, default=list)
    ficoba_motifs: Mapped[list[str]] = mapped_column(JSON, default=list)
    sandbox_options: Mapped[list[str]] = mapped_column(JSON, default=list)
    fc_client_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # A standing scenario (gateway/scenarios.py syntax) set by the admin; the X-Sandbox-Scenario header wins.
    sandbox_scenario: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ConsumerCertificate(Base):
    __tablename__ = "consumer_certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consumer_id: Mapped[int] = mapped_column(ForeignKey("consumers.id", ondelete="CASCADE"), index=True)
    fingerprint_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    serial_number: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(300))
    not_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The certificate itself (PEM), kept for certificates issued by the admin so that they can be
    # revoked in the CRL after the file was replaced by a newer one.
    pem: Mapped[str | None] = mapped_column(Text, nullable=True)


@dataclass(frozen=True)
class ConsumerRecord:
    """A consumer as the gateway sees it during one request (detached from the session)."""

    id: int
    name: str
    organisation: str
    application: str
    client_id: str
    client_secret_hash: str
    active: bool
    oauth_scopes: frozenset[str]
    datapass_scopes: frozenset[str]
    allowed_ips: tuple[str, ...]
    quota_per_minute: int
    id_teleservice: str | None
    siret: str | None = None
    ficoba_modalities: frozenset[str] = field(default_factory=frozenset)
    ficoba_motifs: frozenset[str] = field(default_factory=frozenset)
    sandbox_options: frozenset[str] = field(default_factory=frozenset)
    fc_client_id: str | None = None
    sandbox_scenario: str | None = None
    api_quotas: tuple[tuple[str, int], ...] = ()

    def quota_for(self, api: str | None) -> int:
        """The calls per minute granted on ``api``: its own tier when set, else quota_per_minute."""
        return dict(self.api_quotas).get(api or "", self.quota_per_minute)

    @classmethod
    def from_row(cls, row: Consumer) -> ConsumerRecord:
        return cls(
            id=row.id,
            name=row.name,
            organisation=row.organisation,
            application=row.application,
            client_id=row.client_id,
            client_secret_hash=row.client_secret_hash,
            active=row.active,
            oauth_scopes=frozenset(row.oauth_scopes or ()),
            datapass_scopes=frozenset(row.datapass_scopes or ()),
            allowed_ips=tuple(row.allowed_ips or ()),
            quota_per_minute=row.quota_per_minute,
            id_teleservice=row.id_teleservice,
            siret=row.siret,
            ficoba_modalities=frozenset(row.ficoba_modalities or ()),
            ficoba_motifs=frozenset(row.ficoba_motifs or ()),
            sandbox_options=frozenset(row.sandbox_options or ()),
            fc_client_id=row.fc_client_id,
            sandbox_scenario=row.sandbox_scenario,
            api_quotas=tuple(sorted((row.api_quotas or {}).items())),
        )


# Client secrets are 256-bit random values, so a salted SHA-256 is enough to keep them out of the
# database (a slow KDF protects low-entropy passwords, which these are not); comparison is constant-time.
def hash_secret(secret: str, *, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        _scheme, salt, _digest = stored.split("$", 2)
    except ValueError:
        return False
    return hmac.compare_digest(hash_secret(secret, salt=salt), stored)


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)


async def get_by_certificate(
    session: AsyncSession, fingerprint: str
) -> tuple[ConsumerRecord, ConsumerCertificate] | None:
    row = (
        await session.execute(
            select(Consumer, ConsumerCertificate)
            .join(ConsumerCertificate, ConsumerCertificate.consumer_id == Consumer.id)
            .where(ConsumerCertificate.fingerprint_sha256 == fingerprint)
        )
    ).first()
    if row is None:
        return None
    return ConsumerRecord.from_row(row[0]), row[1]


async def get_by_name(session: AsyncSession, name: str) -> ConsumerRecord | None:
    row = (await session.execute(select(Consumer).where(Consumer.name == name))).scalar_one_or_none()
    return ConsumerRecord.from_row(row) if row else None


async def get_row(session: AsyncSession, name: str) -> Consumer | None:
    """The consumer row itself, attached to the session (to change it)."""
    return (await session.execute(select(Consumer).where(Consumer.name == name))).scalar_one_or_none()


async def name_taken(session: AsyncSession, name: str) -> bool:
    return (await session.execute(select(Consumer.id).where(Consumer.name == name))).first() is not None


async def list_rows(session: AsyncSession) -> list[Consumer]:
    return list((await session.execute(select(Consumer).order_by(Consumer.name))).scalars().all())


async def insert(session: AsyncSession, row: Consumer) -> Consumer:
    """Add a new consumer and give it its id."""
    session.add(row)
    await session.flush()
    return row


async def delete_all_but(session: AsyncSession, names: Iterable[str]) -> list[str]:
    """Remove every consumer not named (their certificates go with them); return the names removed."""
    kept = list(names)
    removed = list((await session.execute(select(Consumer.name).where(Consumer.name.not_in(kept)))).scalars().all())
    await session.execute(delete(Consumer).where(Consumer.name.not_in(kept)))
    return removed


async def certificates_of(
    session: AsyncSession, consumer_id: int, *, in_force: bool = False, fingerprint: str | None = None
) -> list[ConsumerCertificate]:
    """A consumer's registered certificates, oldest first (``in_force``: not revoked)."""
    query = select(ConsumerCertificate).where(ConsumerCertificate.consumer_id == consumer_id)
    if in_force:
        query = query.where(ConsumerCertificate.revoked_at.is_(None))
    if fingerprint is not None:
        query = query.where(ConsumerCertificate.fingerprint_sha256 == fingerprint)
    return list((await session.execute(query.order_by(ConsumerCertificate.id))).scalars().all())


async def certificate_registered(session: AsyncSession, fingerprint: str) -> bool:
    query = select(ConsumerCertificate.id).where(ConsumerCertificate.fingerprint_sha256 == fingerprint)
    return (await session.execute(query)).first() is not None


async def insert_certificate(session: AsyncSession, row: ConsumerCertificate) -> None:
    session.add(row)


async def delete_all_certificates(session: AsyncSession) -> None:
    await session.execute(delete(ConsumerCertificate))


async def link_service_provider(session: AsyncSession, name: str, fc_client_id: str | None) -> tuple[bool, str | None]:
    """Set the FranceConnect FS whose tokens the consumer's FranceConnect routes accept: (found, previous)."""
    row = await get_row(session, name)
    if row is None:
        return False, None
    previous, row.fc_client_id = row.fc_client_id, fc_client_id
    await session.flush()
    return True, previous
