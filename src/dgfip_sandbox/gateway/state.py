"""Everything the gateway's requests share, built once in the app's lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from dgfip_sandbox import pki
from dgfip_sandbox.clock import Clock
from dgfip_sandbox.franceconnect.checktoken_client import ChecktokenClient
from dgfip_sandbox.gateway.certificate_cache import VerifiedCertificates
from dgfip_sandbox.gateway.journal import JournalPolicy
from dgfip_sandbox.gateway.mounted_api import MountedApi
from dgfip_sandbox.gateway.quota import QuotaStore
from dgfip_sandbox.gateway.scenario_errors import ScenarioErrors
from dgfip_sandbox.gateway.token_throttle import TokenThrottle
from dgfip_sandbox.gateway.tokens import TokenService
from dgfip_sandbox.gateway.trusted_proxies import TrustedProxies
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store import changes, consumers
from dgfip_sandbox.store.audit import AuditWriter
from dgfip_sandbox.store.changes import ChangeCounter, NoChangeCounter
from dgfip_sandbox.store.consumers import ConsumerRecord

if TYPE_CHECKING:
    from dgfip_sandbox.gateway.metrics import GatewayMetrics

CONSUMER_CACHE_SIZE = 4096


class TrustMaterial:
    """The sandbox CA and CRL, reloaded when the CRL file changes (a revocation takes effect at once)."""

    def __init__(self, settings: Settings) -> None:
        self._certs_dir = settings.certs_dir
        self._crl_path = settings.certs_dir / "crl.pem"
        self._mtime = -1.0
        self._trust: pki.Trust | None = None

    def get(self) -> pki.Trust:
        try:
            mtime = self._crl_path.stat().st_mtime
        except FileNotFoundError:
            mtime = 0.0
        if self._trust is None or mtime != self._mtime:
            self._trust = pki.load_trust(self._certs_dir)
            self._mtime = mtime
        return self._trust


@dataclass
class GatewayState:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    trust_material: TrustMaterial
    tokens: TokenService
    quota: QuotaStore
    audit: AuditWriter
    trusted_proxies: TrustedProxies
    # The one pooled client of FranceConnect's checktoken (built and closed by the app's lifespan).
    checktoken: ChecktokenClient
    apis: tuple[MountedApi, ...] = ()
    scenario_errors: ScenarioErrors = field(default_factory=ScenarioErrors)
    metrics: GatewayMetrics | None = None  # None: not measured
    # What the request journal may keep, read from the served contract on first use (the routers
    # are all mounted by then).
    journal_contract: Callable[[], JournalPolicy] | None = None
    _journal_policy: JournalPolicy | None = None
    # Back-off on wrong secrets at /token, per consumer (gateway/token_throttle.py).
    token_throttle: TokenThrottle = field(default_factory=TokenThrottle)
    # Injected waits (scenario latency): tests pass a recorder instead of sleeping.
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    verified_certificates: VerifiedCertificates = field(default_factory=VerifiedCertificates)
    # The database's change counters (store/changes.py), read once per request by the first step.
    changes: ChangeCounter = field(default_factory=NoChangeCounter)
    consumer_cache: dict[str, tuple[int, tuple[ConsumerRecord, bool] | None]] = field(default_factory=dict)

    @property
    def journal_policy(self) -> JournalPolicy:
        """What the request journal may keep (gateway/journal.py)."""
        if self._journal_policy is None:
            self._journal_policy = self.journal_contract() if self.journal_contract else JournalPolicy()
        return self._journal_policy

    @property
    def trust(self) -> pki.Trust:
        return self.trust_material.get()

    async def consumer_by_fingerprint(self, fingerprint: str) -> tuple[ConsumerRecord, bool] | None:
        """The consumer a certificate is registered to, and whether that registration is revoked.

        Reads the change counters first (one read per request, store/changes.py) and makes them the
        request's snapshot; the cached answer is used only if it was loaded under the same
        "consumers" counter, so a change committed by any process before this request is seen.
        """
        snapshot = await self.changes.read()
        changes.set_current(snapshot)
        generation = snapshot.get("consumers")
        entry = self.consumer_cache.get(fingerprint)
        if generation is not None and entry is not None and entry[0] == generation:
            return entry[1]
        async with self.sessionmaker() as session:
            found = await consumers.get_by_certificate(session, fingerprint)
        result = None if found is None else (found[0], found[1].revoked_at is not None)
        if generation is not None:
            if len(self.consumer_cache) >= CONSUMER_CACHE_SIZE:
                self.consumer_cache.clear()
            self.consumer_cache[fingerprint] = (generation, result)
        return result
