"""The quota store in Redis: exact across gateway processes and hosts.

One Lua script per call increments the window's counter and sets its expiry atomically (never
read-then-write). When Redis cannot be reached the gateway fails closed (503 in the DGFIP envelope),
or lets the call through when ``DGFIP_SANDBOX_REDIS_FAIL_OPEN=true``; it never answers a 500.
"""

from __future__ import annotations

import structlog
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from dgfip_sandbox.errors import QuotaStoreUnavailable

log = structlog.get_logger("dgfip_sandbox.quota")

HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""


class RedisQuotaStore:
    def __init__(self, client: aioredis.Redis, *, fail_open: bool = False, prefix: str = "dgfip-sandbox:") -> None:
        self._client = client
        self._script = client.register_script(HIT_SCRIPT)
        self._fail_open = fail_open
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, *, fail_open: bool = False, prefix: str = "dgfip-sandbox:") -> RedisQuotaStore:
        # A blocking pool: under a burst, calls wait (bounded) for a connection instead of failing.
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=64, timeout=2.0, socket_connect_timeout=1.0, socket_timeout=2.0
        )
        return cls(aioredis.Redis(connection_pool=pool), fail_open=fail_open, prefix=prefix)

    async def hit(self, key: str, window_start: int, window_seconds: int) -> int:
        try:
            # The key lives a little longer than its window so that a late call still finds it.
            return int(await self._script(keys=[f"{self._prefix}{key}:{window_start}"], args=[window_seconds * 2]))
        except (RedisError, OSError) as exc:
            log.warning("quota_store_unavailable", error=type(exc).__name__, fail_open=self._fail_open)
            if self._fail_open:
                return 0
            raise QuotaStoreUnavailable(
                "le compteur de quotas (Redis) est injoignable ; l'appel est refusé par précaution"
            ) from exc

    async def reset(self, key_prefix: str = "") -> None:
        try:
            async for key in self._client.scan_iter(match=f"{self._prefix}{key_prefix}*"):
                await self._client.delete(key)
        except (RedisError, OSError) as exc:
            raise QuotaStoreUnavailable("le compteur de quotas (Redis) est injoignable") from exc

    async def current(self, key: str, window_start: int) -> int:
        try:
            value = await self._client.get(f"{self._prefix}{key}:{window_start}")
        except (RedisError, OSError) as exc:
            raise QuotaStoreUnavailable("le compteur de quotas (Redis) est injoignable") from exc
        return int(value or 0)

    async def close(self) -> None:
        await self._client.aclose()
        # A pool given to the client is not the client's to close: disconnect it, or its sockets leak.
        await self._client.connection_pool.disconnect()
