"""A back-off on wrong secrets at /token (issue 12 §7): 30 wrong then the right one used to get a token."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from dgfip_sandbox.gateway.token_throttle import TokenThrottle
from dgfip_sandbox.store.audit import AuditRecord

pytestmark = pytest.mark.anyio


def test_delays_double_from_the_last_free_failure_and_are_capped() -> None:
    throttle = TokenThrottle(free_failures=3, max_delay_seconds=10)
    now = datetime(2026, 11, 25, tzinfo=UTC)
    waits = []
    for _ in range(8):
        throttle.failed(1, now)
        waits.append(throttle.wait_seconds(1, now))
    assert waits == [0, 0, 1, 2, 4, 8, 10, 10]
    assert throttle.wait_seconds(2, now) == 0  # another client pays nothing
    assert throttle.wait_seconds(1, now + timedelta(seconds=10)) == 0
    throttle.succeeded(1)
    throttle.failed(1, now)
    assert throttle.wait_seconds(1, now) == 0


async def _token(sandbox, name: str, secret: str):  # type: ignore[no-untyped-def]
    consumer = sandbox.consumer(name)
    client = sandbox.raw_client(cert=consumer["cert"])
    correlation = str(uuid.uuid4())
    response = await client.post(
        "/token",
        data={"grant_type": "client_credentials"},
        auth=(consumer["client_id"], secret),
        headers={"X-Correlation-ID": correlation},
    )
    return response, correlation


async def test_thirty_wrong_secrets_then_the_right_one_is_refused_until_the_back_off_ends(sandbox) -> None:
    right = sandbox.consumer("mairie-demo")["client_secret"]
    statuses = [(await _token(sandbox, "mairie-demo", f"faux-{i}"))[0].status_code for i in range(30)]
    assert statuses == [401] * 30
    refused, correlation = await _token(sandbox, "mairie-demo", right)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert "trop d'echecs d'authentification" in refused.json()["error_description"]
    wait = int(refused.headers["retry-after"])
    assert wait == 1  # five failures checked (the fifth closes the door for 1 s); the 25 refused ones do not count
    async with sandbox.state.sessionmaker() as session:
        record = (
            await session.execute(select(AuditRecord).where(AuditRecord.correlation_id == correlation))
        ).scalar_one()
    assert record.outcome == "invalid_client" and record.status == 401 and record.extra["throttled_seconds"] == wait

    other, _ = await _token(sandbox, "caf-demo", sandbox.consumer("caf-demo")["client_secret"])
    assert other.status_code == 200  # one client's failures cost another nothing

    sandbox.clock.advance(wait)
    granted, _ = await _token(sandbox, "mairie-demo", right)
    assert granted.status_code == 200
    # a success resets the count: four wrong secrets are answered as usual again
    for i in range(4):
        assert (await _token(sandbox, "mairie-demo", f"faux-{i}"))[0].headers.get("retry-after") is None
    assert (await _token(sandbox, "mairie-demo", right))[0].status_code == 200
