"""Operations: Prometheus metrics at /metrics on the admin listener (never the gateway port) and the
audit retention purge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from typer.testing import CliRunner

from dgfip_sandbox.cli import app as cli
from dgfip_sandbox.store.audit import AuditEntry
from dgfip_sandbox.store.audit_retention import purge_expired, retention_cutoff

pytestmark = pytest.mark.anyio


async def admin_metrics(sandbox, peer: str = "127.0.0.1") -> httpx.Response:  # type: ignore[no-untyped-def]
    """GET /metrics on the admin listener of the sandbox's process (the admin app, with the gateway's metrics)."""
    from dgfip_sandbox.assembly import build_admin_app

    app = build_admin_app(sandbox.settings, clock=sandbox.clock, gateway_openapi={}, metrics=sandbox.app.state.metrics)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8445") as client:
            return await client.get("/metrics")


async def test_metrics_are_not_served_on_the_gateway_port_and_only_to_loopback_peers(sandbox) -> None:  # type: ignore[no-untyped-def]
    """Issue 12 §9: /metrics answered without a client certificate and named every consumer."""
    client = await sandbox.client("mairie-demo")
    assert (await client.get("/sandbox/audit?limit=1")).status_code == 200
    on_gateway = await sandbox.raw_client(cert=None).get("/metrics")
    assert on_gateway.status_code in (401, 404) and "dgfip_gateway_calls_total" not in on_gateway.text
    assert "mairie-demo" not in on_gateway.text
    assert (await admin_metrics(sandbox, peer="192.0.2.7")).status_code == 403
    assert "mairie-demo" in (await admin_metrics(sandbox)).text


async def test_metrics_count_calls_by_route_template_consumer_and_outcome(sandbox) -> None:  # type: ignore[no-untyped-def]
    client = await sandbox.client("mairie-demo")
    assert (await client.get("/sandbox/audit?limit=1")).status_code == 200
    assert (await client.get("/sandbox/nowhere/0123456789012")).status_code == 404
    text = (await admin_metrics(sandbox)).text
    assert (
        'dgfip_gateway_calls_total{consumer="mairie-demo",outcome="OK",route="/sandbox/audit",status="200"} 1.0' in text
    )
    assert 'route="<aucune>"' in text  # an unrouted path is not a label value
    assert "0123456789012" not in text
    assert 'dgfip_gateway_request_duration_seconds_bucket{le="0.5",route="/sandbox/audit"}' in text


async def test_quota_refusals_are_counted(sandbox) -> None:  # type: ignore[no-untyped-def]
    client = await sandbox.client("mairie-demo")  # 200 per minute
    statuses = [(await client.get("/sandbox/audit?limit=1")).status_code for _ in range(202)]
    assert statuses.count(429) == 2
    text = (await admin_metrics(sandbox)).text
    assert 'dgfip_gateway_quota_refusals_total{consumer="mairie-demo"} 2.0' in text


async def test_audit_purge_deletes_only_records_older_than_the_retention(sandbox, settings, clock) -> None:  # type: ignore[no-untyped-def]
    now = clock.now()
    for days in (1, 729, 731, 2000):
        await sandbox.state.audit.write(
            AuditEntry(at=now - timedelta(days=days), method="GET", route=f"/old/{days}", status=200)
        )
    dry = await purge_expired(settings.sqlalchemy_url, retention_days=730, now=now, dry_run=True)
    assert dry.count == 2
    assert dry.cutoff == retention_cutoff(now, 730) == now - timedelta(days=730)
    done = await purge_expired(settings.sqlalchemy_url, retention_days=730, now=now)
    assert done.count == 2
    again = await purge_expired(settings.sqlalchemy_url, retention_days=730, now=now)
    assert again.count == 0
    with pytest.raises(ValueError):
        retention_cutoff(now, 0)


def test_audit_purge_command_defaults_to_two_years(settings, clock) -> None:  # type: ignore[no-untyped-def]
    # The CLI judges with the fixture's clock (not today's date): a clock offset brings it to CLOCK_START.
    offset = (clock.now() - datetime.now(UTC)).total_seconds()
    env = {
        "DGFIP_SANDBOX_VAR_DIR": str(settings.var_dir),
        "DGFIP_SANDBOX_DATABASE_URL": settings.database_url or "",
        "DGFIP_SANDBOX_CLOCK_OFFSET_SECONDS": str(offset),
    }
    result = CliRunner().invoke(cli, ["audit", "purge", "--dry-run"], env=env)
    assert result.exit_code == 0, result.output
    assert "(730 jours) à supprimer : 0" in result.output
    result = CliRunner().invoke(cli, ["audit", "purge", "--retention-days", "30"], env=env)
    assert result.exit_code == 0, result.output
    assert "(30 jours) supprimées" in result.output
    assert CliRunner().invoke(cli, ["audit"], env=env).exit_code != 0  # neither --consumer nor a subcommand
