"""External services for tests: skip with a clear reason when absent, fail when
``DGFIP_SANDBOX_REQUIRE_SERVICES=1`` (set by .ci/run)."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def services_required() -> bool:
    return os.environ.get("DGFIP_SANDBOX_REQUIRE_SERVICES") == "1"


def unavailable(reason: str) -> None:
    if services_required():
        pytest.fail(f"{reason} (DGFIP_SANDBOX_REQUIRE_SERVICES=1: a missing service is a failure)")
    pytest.skip(reason)


def _asyncpg_url(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def postgres_reachable(url: str) -> str | None:
    import asyncpg

    async def probe() -> None:
        connection = await asyncpg.connect(_asyncpg_url(url), timeout=3)
        await connection.close()

    try:
        asyncio.run(probe())
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return None


def postgres_url_or_skip() -> str:
    url = os.environ.get("DGFIP_SANDBOX_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    problem = postgres_reachable(url)
    if problem:
        unavailable(f"PostgreSQL unreachable at {url} ({problem})")
    return url


def postgres_database_url(server_url: str, database: str) -> str:
    """``server_url`` with its database name replaced by ``database``."""
    return server_url.rsplit("/", 1)[0] + f"/{database}"


def unique_database_name(prefix: str) -> str:
    """A database name no other run on the same server uses (parallel CI runs, helpers, xdist workers)."""
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:12]}"


def create_postgres_database(server_url: str, database: str, *, template: str | None = None) -> str:
    """Create ``database`` (optionally as a copy of ``template``) and return its URL."""
    import asyncpg

    async def create() -> None:
        connection = await asyncpg.connect(_asyncpg_url(server_url), timeout=5)
        try:
            clause = f' TEMPLATE "{template}"' if template else ""
            await connection.execute(f'CREATE DATABASE "{database}"{clause}')
        finally:
            await connection.close()

    asyncio.run(create())
    return postgres_database_url(server_url, database)


def drop_postgres_database(server_url: str, database: str) -> None:
    import asyncpg

    async def drop() -> None:
        connection = await asyncpg.connect(_asyncpg_url(server_url), timeout=5)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await connection.close()

    asyncio.run(drop())


def reset_postgres_schema(url: str) -> None:
    """Empty the test database (its public schema) so that migrations start from nothing."""
    import asyncpg

    async def reset() -> None:
        connection = await asyncpg.connect(_asyncpg_url(url), timeout=5)
        try:
            await connection.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
        finally:
            await connection.close()

    asyncio.run(reset())


def redis_url_or_skip() -> str:
    url = os.environ.get("DGFIP_SANDBOX_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        unavailable(f"Redis unreachable at {url} ({type(exc).__name__}: {exc})")
    return url
