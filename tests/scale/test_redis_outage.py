"""Redis stopped mid-run (a private redis-server, never the machine's): fail closed answers 503
900809 in the envelope, fail open lets calls through, never a 500, and both recover when it returns."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.scale.conftest import api_headers, fresh_topology, token_via
from tests.scale.topology import RedisServer, Topology
from tests.services import unavailable

pytestmark = [pytest.mark.services, pytest.mark.postgres]

ROUTE = "/sandbox/audit?limit=1"
RECOVERY_CALLS = 3


@pytest.fixture(scope="module")
def outage(scale_sandbox: Topology, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Topology, RedisServer]]:
    redis = RedisServer(tmp_path_factory.mktemp("redis"))
    try:
        redis.start()
    except FileNotFoundError:
        unavailable("redis-server is not installed (needed to stop and restart a private Redis)")
    topo = fresh_topology(scale_sandbox, DGFIP_SANDBOX_REDIS_URL=redis.url)
    try:
        closed = topo.start_replica(name="fail-closed")
        opened = topo.start_replica(name="fail-open", env={"DGFIP_SANDBOX_REDIS_FAIL_OPEN": "true"})
        topo.wait_ready([closed, opened])
        yield topo, redis
    finally:
        topo.close()
        redis.stop()


@pytest.mark.anyio
async def test_redis_outage_fails_closed_or_open_and_recovers(outage: tuple[Topology, RedisServer]) -> None:
    topo, redis = outage
    consumer = "editeur-demo"
    closed_url, open_url = (f"https://localhost:{p.port}" for p in topo.replicas)
    token = await token_via(topo, closed_url, consumer)
    async with httpx.AsyncClient(verify=topo.ssl_context(consumer), timeout=10) as client:

        async def call(base: str) -> httpx.Response:
            return await client.get(base + ROUTE, headers=api_headers(topo, consumer, token))

        assert (await call(closed_url)).status_code == 200
        assert (await call(open_url)).status_code == 200

        redis.stop()
        for _ in range(3):
            refused = await call(closed_url)
            assert refused.status_code == 503, refused.text
            assert refused.json()["erreur"]["code"] == 900809
            assert "Redis" in refused.json()["erreur"]["message"]
            passed = await call(open_url)
            assert passed.status_code == 200, passed.text  # fail open: the quota is not counted meanwhile

        redis.start()  # same port
        seen: dict[str, set[int]] = {closed_url: set(), open_url: set()}
        for base in (closed_url, open_url):
            # Redis answers once its port is open (RedisServer.start waits for it): the pool reconnects
            # on the next call. Bounded by calls, not by time: a pooled connection that died with the
            # old server may fail one call before it is replaced.
            for _ in range(RECOVERY_CALLS):
                response = await call(base)
                seen[base].add(response.status_code)
                if response.status_code == 200:
                    break
                assert response.status_code == 503 and response.json()["erreur"]["code"] == 900809, response.text
            else:
                raise AssertionError(f"{base}: no recovery within {RECOVERY_CALLS} calls of Redis coming back")
        assert 500 not in seen[closed_url] | seen[open_url]
        recovered = await call(closed_url)
        assert recovered.status_code == 200
        assert recovered.headers["RateLimit"].startswith('"sandbox";r=')
