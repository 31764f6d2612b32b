"""What the pipeline hands to an API handler once every check has passed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dgfip_sandbox.store.audit import AuditEntry
from dgfip_sandbox.store.consumers import ConsumerRecord


@dataclass(frozen=True)
class CallerContext:
    consumer: ConsumerRecord
    cert_fingerprint: str
    client_ip: str
    correlation_id: str
    token_claims: dict[str, Any]
    audit: AuditEntry

    @property
    def token_scopes(self) -> frozenset[str]:
        return frozenset(str(self.token_claims.get("scope", "")).split())
