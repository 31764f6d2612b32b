"""Scale-out benchmark: one gateway replica against two behind nginx, the full chain on PostgreSQL
and Redis as a ratio of the bare endpoint, and the quota's exactness across replicas over five runs.

    PYTHONPATH=src python benchmarks/scale_bench.py [--seconds 8] [--connections 32]

Needs nginx (+ njs), PostgreSQL on 127.0.0.1:5432 (a database of its own, dgfip_scale_bench_…, dropped at the end)
and Redis on 127.0.0.1:6379 (keys under a fresh prefix). Runs the topology of tests/scale/ natively.
Nothing is pinned: on a 2-core machine the replicas, nginx, PostgreSQL, Redis and this load
generator share both cores, so read the ratios, not the absolute figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "src"))

from tests.scale.topology import Topology, nginx_missing, prepare  # noqa: E402
from tests.services import create_postgres_database, drop_postgres_database, unique_database_name  # noqa: E402

import loadgen  # noqa: E402

POSTGRES = os.environ.get("DGFIP_SANDBOX_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("DGFIP_SANDBOX_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BENCH_CONSUMER = "mairie-demo"
QUOTA_CONSUMER = "editeur-demo"  # 750 per minute


def raise_quota(database_url: str, consumer: str) -> None:
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect("postgresql://" + database_url.split("://", 1)[1])
        try:
            await connection.execute("UPDATE consumers SET quota_per_minute = 100000000 WHERE name = $1", consumer)
        finally:
            await connection.close()

    asyncio.run(run())


def token(topo: Topology, port: int, consumer: str) -> str:
    import httpx

    entry = topo.consumer(consumer)
    with httpx.Client(verify=topo.ssl_context(consumer)) as client:
        response = client.post(
            f"https://localhost:{port}/token",
            data={"grant_type": "client_credentials"},
            auth=(entry["client_id"], entry["client_secret"]),
        )
        response.raise_for_status()
        return response.json()["access_token"]


def full_chain_path() -> str:
    """An Impôt particulier route on the banner persona when the API is mounted, else /sandbox/audit."""
    try:
        import importlib

        importlib.import_module("dgfip_sandbox.apis.impot_particulier.router")
    except ModuleNotFoundError:
        return "/sandbox/audit?limit=1"
    from dgfip_sandbox.cli import banner_year
    from dgfip_sandbox.clock import SystemClock
    from dgfip_sandbox.seed import all_personas

    personas = [p for p in all_personas() if p.get("api", "impot_particulier") == "impot_particulier"]
    spi = next((p["spi"] for p in personas if p.get("banner")), personas[0]["spi"])
    return f"/impotparticulier/1.0/spi/{spi}/situations/ir/assiettes/annrev/{banner_year(SystemClock().now())}"


def headers(topo: Topology, consumer: str, bearer: str) -> dict[str, str]:
    entry = topo.consumer(consumer)
    return {
        "Authorization": f"Bearer {bearer}",
        "X-Correlation-ID": str(uuid.uuid4()),
        "ID_Teleservice": entry["id_teleservice"],
        "Accept": "application/json",
    }


async def quota_run(topo: Topology, port: int, bearer: str, *, total: int, concurrency: int) -> Counter[int]:
    import httpx

    statuses: Counter[int] = Counter()
    remaining = total
    async with httpx.AsyncClient(
        verify=topo.ssl_context(QUOTA_CONSUMER),
        base_url=f"https://localhost:{port}",
        limits=httpx.Limits(max_connections=concurrency),
        timeout=30,
    ) as client:

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                response = await client.get("/sandbox/audit?limit=1", headers=headers(topo, QUOTA_CONSUMER, bearer))
                statuses[response.status_code] += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    problem = nginx_missing()
    if problem:
        raise SystemExit(problem)

    import redis

    database = unique_database_name("dgfip_scale_bench")
    database_url = create_postgres_database(POSTGRES, database)
    with tempfile.TemporaryDirectory(prefix="dgfip-scale-bench-") as tmp:
        topo = prepare(Path(tmp), database_url, extra_env={"DGFIP_SANDBOX_REDIS_URL": REDIS})
        raise_quota(database_url, BENCH_CONSUMER)
        path = full_chain_path()
        common = dict(host="127.0.0.1", connections=args.connections, seconds=args.seconds)
        try:
            one, two = topo.start_replica(), topo.start_replica()
            topo.wait_ready([one, two])
            ctx = topo.ssl_context(BENCH_CONSUMER)
            bearer = token(topo, one.port, BENCH_CONSUMER)
            h = headers(topo, BENCH_CONSUMER, bearer)

            bare = asyncio.run(
                loadgen.run(
                    "(a) bare /health, 1 replica direct",
                    port=one.port,
                    context=ctx,
                    path="/health",
                    headers={},
                    **common,
                )
            )
            full = asyncio.run(
                loadgen.run(
                    "(b) full chain, 1 replica direct", port=one.port, context=ctx, path=path, headers=h, **common
                )
            )

            nginx_one = topo.start_nginx([one])
            via_one = asyncio.run(
                loadgen.run(
                    "(c) full chain, nginx + 1 replica",
                    port=nginx_one.port,
                    context=ctx,
                    path=path,
                    headers=h,
                    **common,
                )
            )
            nginx_one.stop()
            nginx_two = topo.start_nginx([one, two])
            via_two = asyncio.run(
                loadgen.run(
                    "(d) full chain, nginx + 2 replicas",
                    port=nginx_two.port,
                    context=ctx,
                    path=path,
                    headers=h,
                    **common,
                )
            )
            bare_two = asyncio.run(
                loadgen.run(
                    "(e) bare /health, nginx + 2 replicas",
                    port=nginx_two.port,
                    context=ctx,
                    path="/health",
                    headers={},
                    **common,
                )
            )

            print(
                f"scale benchmark: {os.cpu_count()} cores shared by everything (nothing pinned), {args.connections} keep-alive "
                f"mTLS connections, {args.seconds:.0f} s per scenario; PostgreSQL + Redis; full chain = GET {path.split('?')[0]}"
            )
            for result in (bare, full, via_one, via_two, bare_two):
                print(result.line())
            print(f"full chain / bare endpoint, 1 replica direct: {full.throughput / bare.throughput:.2f}")
            print(
                f"full chain, 2 replicas / 1 replica (both behind nginx): {via_two.throughput / via_one.throughput:.2f}"
            )
            print(f"full chain / bare endpoint, nginx + 2 replicas: {via_two.throughput / bare_two.throughput:.2f}")

            # Quota exactness: 3 replicas behind nginx, 64 concurrent clients, 750/min consumer; each run
            # empties the counters (a fresh Redis prefix would need new processes) inside one window.
            three = topo.start_replica()
            topo.wait_ready([three])
            nginx_two.stop()
            nginx_three = topo.start_nginx([one, two, three])
            quota_bearer = token(topo, nginx_three.port, QUOTA_CONSUMER)
            client = redis.Redis.from_url(REDIS)
            prefix = topo.env["DGFIP_SANDBOX_REDIS_PREFIX"]
            results = []
            while len(results) < args.runs:
                for key in client.scan_iter(match=f"{prefix}*"):
                    client.delete(key)
                window = int(time.time() // 60)
                started = time.perf_counter()
                statuses = asyncio.run(quota_run(topo, nginx_three.port, quota_bearer, total=900, concurrency=64))
                if int(time.time() // 60) != window:
                    print("  (run straddled a minute boundary: repeated)")
                    continue
                results.append((statuses, time.perf_counter() - started))
            for index, (statuses, seconds) in enumerate(results, 1):
                print(
                    f"quota run {index}: 900 calls, 64 clients, 3 replicas: {dict(sorted(statuses.items()))} in {seconds:.1f} s"
                )
            exact = sum(1 for statuses, _ in results if statuses.get(200) == 750 and statuses.get(429) == 150)
            print(f"quota exact (750 accepted, 150 refused 900804) in {exact}/{len(results)} runs")
        finally:
            topo.close()
            drop_postgres_database(POSTGRES, database)


if __name__ == "__main__":
    main()
