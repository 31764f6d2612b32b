"""The scale-out tests: real processes (nginx, gateway replicas, FranceConnect), this machine's
PostgreSQL (a database of this run's own, ``dgfip_scale_<pid>_<random>``) and Redis (a key prefix of their own).
Absent services skip with the reason, and fail under DGFIP_SANDBOX_REQUIRE_SERVICES=1."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.scale.topology import Topology, nginx_missing, prepare
from tests.services import (
    create_postgres_database,
    drop_postgres_database,
    postgres_url_or_skip,
    redis_url_or_skip,
    unavailable,
    unique_database_name,
)


@pytest.fixture(scope="session")
def scale_database_url() -> Iterator[str]:
    """A database of this run's own on the PostgreSQL server, dropped at the end of the session."""
    server = postgres_url_or_skip()
    name = unique_database_name("dgfip_scale")
    url = create_postgres_database(server, name)
    try:
        yield url
    finally:
        drop_postgres_database(server, name)


@pytest.fixture(scope="session")
def scale_sandbox(tmp_path_factory: pytest.TempPathFactory, scale_database_url: str) -> Topology:
    """Prepared once per session (migrations, seed, PKI, credentials); each test module starts its processes."""
    return prepare(tmp_path_factory.mktemp("scale"), scale_database_url)


@pytest.fixture(scope="session")
def machine_redis_url() -> str:
    return redis_url_or_skip()


@pytest.fixture(scope="session")
def nginx_or_skip() -> None:
    problem = nginx_missing()
    if problem:
        unavailable(problem)


def fresh_topology(base: Topology, **env: str) -> Topology:
    """Same prepared sandbox, own processes and own Redis key prefix."""
    return Topology(
        root=base.root,
        env={
            **base.env,
            "DGFIP_SANDBOX_REDIS_PREFIX": f"dgfip-scale-{uuid.uuid4().hex[:12]}:",
            **env,
        },
        credentials=base.credentials,
    )


async def token_via(topology: Topology, base_url: str, consumer: str) -> str:
    entry = topology.consumer(consumer)
    async with httpx.AsyncClient(verify=topology.ssl_context(consumer), base_url=base_url) as client:
        response = await client.post(
            "/token", data={"grant_type": "client_credentials"}, auth=(entry["client_id"], entry["client_secret"])
        )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def api_headers(topology: Topology, consumer: str, token: str) -> dict[str, str]:
    entry = topology.consumer(consumer)
    headers = {"Authorization": f"Bearer {token}", "X-Correlation-ID": str(uuid.uuid4())}
    if entry.get("id_teleservice"):
        headers["ID_Teleservice"] = entry["id_teleservice"]
    return headers


async def audit_correlation_ids(database_url: str, correlation_ids: list[str]) -> dict[str, int]:
    """correlation id → status of its audit record(s), read straight from PostgreSQL."""
    import asyncpg

    connection = await asyncpg.connect("postgresql://" + database_url.split("://", 1)[1], timeout=5)
    try:
        rows = await connection.fetch(
            "SELECT correlation_id, status FROM audit_records WHERE correlation_id = ANY($1::text[])", correlation_ids
        )
    finally:
        await connection.close()
    return {row["correlation_id"]: row["status"] for row in rows}


def read_log(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:]
