"""The Redis quota store: atomic and exact under concurrency, fail closed or open when unreachable."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from dgfip_sandbox.errors import QuotaStoreUnavailable
from dgfip_sandbox.gateway.quota import check_quota
from dgfip_sandbox.gateway.quota_redis import RedisQuotaStore
from tests.services import redis_url_or_skip

pytestmark = pytest.mark.anyio


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex}:"  # isolated from other tests and runs


@pytest.fixture
async def store(prefix: str):  # type: ignore[no-untyped-def]
    store = RedisQuotaStore.from_url(redis_url_or_skip(), prefix=prefix)
    yield store
    await store.reset()
    await store.close()


async def test_exact_count_under_concurrency(store, clock) -> None:  # type: ignore[no-untyped-def]
    async def one() -> bool:
        try:
            await check_quota(store, consumer_id=7, limit=750, now=clock.now())
        except Exception:  # noqa: BLE001
            return False
        return True

    results = await asyncio.gather(*(one() for _ in range(800)))
    assert results.count(True) == 750
    clock.advance(60)
    assert await one()


async def test_several_stores_share_the_count(store, prefix: str, clock) -> None:  # type: ignore[no-untyped-def]
    other = RedisQuotaStore.from_url(redis_url_or_skip(), prefix=prefix)
    try:
        counts = await asyncio.gather(*(s.hit("k", 60, 60) for s in [store, other] * 50))
    finally:
        await other.close()
    assert sorted(counts) == list(range(1, 101))


async def test_unreachable_redis_fails_closed_or_open() -> None:
    closed = RedisQuotaStore.from_url("redis://127.0.0.1:1/0")
    opened = RedisQuotaStore.from_url("redis://127.0.0.1:1/0", fail_open=True)
    try:
        with pytest.raises(QuotaStoreUnavailable) as info:
            await closed.hit("k", 0, 60)
        assert info.value.status_code == 503
        assert await opened.hit("k", 0, 60) == 0
    finally:
        await closed.close()
        await opened.close()
