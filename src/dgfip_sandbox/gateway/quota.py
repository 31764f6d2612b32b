"""Check 5: the consumer's per-minute quota, per API (CGU tiers 200, 500, 750 by default; per API, the
tiers DataPass offers: store/consumers.API_QUOTA_TIERS).

DGFIP's APIM "délivre un quota de consultation pour chacun de ses partenaires pour chaque API utilisée":
one counter per consumer and per API (``quota:<consumer id>:<api>``), so calls to FICOBA never spend
Impôt particulier's quota; the ``/sandbox/*`` routes count apart (``sandbox``). A fixed calendar minute. The counter store is an interface with one atomic operation,
``hit``: increment and return the new count (never read-then-write). ``MemoryQuotaStore`` is the
embedded default (one process); ``RedisQuotaStore`` (quota_redis.py) is exact across processes.
Only calls that passed the certificate, IP, token and correlation checks reach this step, so
unauthenticated traffic cannot spend a consumer's quota.

Headers (additive, IETF draft-ietf-httpapi-ratelimit-headers), named after the API's policy:
``RateLimit-Policy: "impotparticulier";q=200;w=60`` and ``RateLimit: "impotparticulier";r=<remaining>;t=<seconds
to reset>`` (``"ficoba"``, ``"sandbox"``) on every accepted call and on 429, plus ``Retry-After`` on 429.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from dgfip_sandbox.errors import QuotaExceeded

WINDOW_SECONDS = 60


class QuotaStore(Protocol):
    async def hit(self, key: str, window_start: int, window_seconds: int) -> int:
        """Atomically count one call in the window and return the count including it."""

    async def reset(self, key_prefix: str = "") -> None:
        """Forget counters (all, or those whose key starts with the prefix)."""

    async def current(self, key: str, window_start: int) -> int:
        """The count in the window, without counting a call (the admin's and the portal's view)."""

    async def close(self) -> None: ...


class MemoryQuotaStore:
    """In-process counters. Atomic because ``hit`` never awaits between read and write."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._last_window = 0

    async def hit(self, key: str, window_start: int, window_seconds: int) -> int:
        if window_start != self._last_window:
            self._counts = {k: v for k, v in self._counts.items() if k[1] >= window_start}
            self._last_window = window_start
        count = self._counts.get((key, window_start), 0) + 1
        self._counts[(key, window_start)] = count
        return count

    async def reset(self, key_prefix: str = "") -> None:
        self._counts = {k: v for k, v in self._counts.items() if not k[0].startswith(key_prefix)}

    async def current(self, key: str, window_start: int) -> int:
        return self._counts.get((key, window_start), 0)

    async def close(self) -> None:
        return None


# The policy name of each API's quota in the RateLimit headers (an API without one uses its own name).
POLICY_NAMES = {"impot_particulier": "impotparticulier", "ficoba": "ficoba", "sandbox": "sandbox"}


def policy_name(api: str | None) -> str:
    return POLICY_NAMES.get(api or "", api or "sandbox")


def rate_limit_headers(api: str | None, *, limit: int, remaining: int, reset_seconds: int) -> dict[str, str]:
    policy = policy_name(api)
    return {
        "RateLimit-Policy": f'"{policy}";q={limit};w={WINDOW_SECONDS}',
        "RateLimit": f'"{policy}";r={remaining};t={reset_seconds}',
    }


@dataclass(frozen=True)
class QuotaDecision:
    limit: int
    remaining: int
    reset_seconds: int
    api: str | None = None

    def headers(self) -> dict[str, str]:
        return rate_limit_headers(
            self.api, limit=self.limit, remaining=self.remaining, reset_seconds=self.reset_seconds
        )


def quota_key(consumer_id: int, api: str | None = None) -> str:
    """The counter of one consumer on one API; without ``api``, the prefix of all its counters."""
    return f"quota:{consumer_id}:{api or ''}" if api is not None else f"quota:{consumer_id}:"


def window_start(now: datetime) -> int:
    ts = int(now.timestamp())
    return ts - ts % WINDOW_SECONDS


async def check_quota(
    store: QuotaStore, *, consumer_id: int, limit: int, now: datetime, api: str | None = None
) -> QuotaDecision:
    ts = int(now.timestamp())
    window_start = ts - ts % WINDOW_SECONDS
    reset = window_start + WINDOW_SECONDS - ts
    count = await store.hit(quota_key(consumer_id, api or "sandbox"), window_start, WINDOW_SECONDS)
    decision = QuotaDecision(limit=limit, remaining=max(0, limit - count), reset_seconds=reset, api=api)
    if count > limit:
        raise QuotaExceeded(
            f"quota de {limit} appels par minute atteint ; réessayez dans {reset} s",
            headers={"Retry-After": str(reset), **decision.headers()},
        )
    return decision
