"""``dgfip-sandbox serve --workers N``: N processes sharing the listening sockets, refused with the
in-process quota store or SQLite, metrics aggregated over the workers, graceful stop."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from dgfip_sandbox.cli import app
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.workers import multiprocess_refusal
from tests.scale.conftest import api_headers, fresh_topology, token_via
from tests.scale.topology import Process, Topology, wait_until


def test_several_workers_are_refused_with_the_in_process_store_and_sqlite(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", _env_file=None)
    refusal = multiprocess_refusal(settings, 3)
    assert refusal is not None
    assert "--workers 3 refusé" in refusal
    assert "DGFIP_SANDBOX_REDIS_URL" in refusal and "jusqu'à 3 fois le quota" in refusal
    assert "SQLite" in refusal and "DGFIP_SANDBOX_DATABASE_URL" in refusal
    assert multiprocess_refusal(settings, 1) is None
    shared = settings.model_copy(update={"redis_url": "redis://r:6379/0", "database_url": "postgresql://p@db/x"})
    assert multiprocess_refusal(shared, 3) is None
    only_redis = settings.model_copy(update={"redis_url": "redis://r:6379/0"})
    assert "SQLite" in (multiprocess_refusal(only_redis, 2) or "")


def test_cli_refuses_several_workers_before_binding_anything(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["serve", "--workers", "2"],
        env={"DGFIP_SANDBOX_VAR_DIR": str(tmp_path / "var"), "DGFIP_SANDBOX_REDIS_URL": ""},
    )
    assert result.exit_code == 2
    assert "--workers 2 refusé" in result.output
    assert "compteur de quotas en mémoire" in result.output


@pytest.fixture(scope="module")
def workers(scale_sandbox: Topology, machine_redis_url: str) -> Iterator[tuple[Topology, Process]]:
    topo = fresh_topology(scale_sandbox, DGFIP_SANDBOX_REDIS_URL=machine_redis_url)
    try:
        process = topo.start_replica(workers=2, name="workers")
        topo.wait_ready([process])
        yield topo, process
    finally:
        topo.close()


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(x) for x in text]
    return found


@pytest.mark.services
@pytest.mark.postgres
@pytest.mark.anyio
async def test_two_workers_share_the_port_aggregate_metrics_and_stop_gracefully(
    workers: tuple[Topology, Process],
) -> None:
    topo, process = workers
    # The parent binds the port, then forks: the workers exist once it listens (polled, bounded).
    wait_until(lambda: len(children(process.popen.pid)) == 2, timeout=10, what="two worker processes")
    base = f"https://localhost:{process.port}"
    token = await token_via(topo, base, "mairie-demo")
    async with httpx.AsyncClient(verify=topo.ssl_context("mairie-demo"), base_url=base, timeout=10) as client:
        statuses = [
            (await client.get("/sandbox/audit?limit=1", headers=api_headers(topo, "mairie-demo", token))).status_code
            for _ in range(20)
        ]
    assert statuses == [200] * 20
    # Fresh connections land on either worker: /metrics (the admin listener) on any of them counts all 20 calls.
    totals = set()
    for _ in range(4):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{process.admin_port}", timeout=10) as client:
            text = (await client.get("/metrics")).text
        total = sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("dgfip_gateway_calls_total{")
            and 'consumer="mairie-demo"' in line
            and 'route="/sandbox/audit"' in line
        )
        totals.add(total)
    assert totals == {20.0}
    assert process.stop(signal.SIGTERM, timeout=30) == 0
