"""Three gateway replicas behind nginx (deploy/nginx/nginx.conf), the FranceConnect service,
PostgreSQL and Redis: quotas exact across replicas, forged proxy headers ignored, certificates
refused in the envelope by nginx, metrics, and replicas stopped or killed mid-run.

The tests of this module run in file order on one topology; the last one stops replicas. The
processes share one frozen clock (``DGFIP_SANDBOX_CLOCK_FILE``, clock.FileClock): the quota test
moves it to the next quota minute instead of waiting for one.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from dgfip_sandbox import pki
from dgfip_sandbox.clock import write_clock_file
from tests.scale.conftest import api_headers, audit_correlation_ids, fresh_topology, read_log, token_via
from tests.scale.topology import Topology

pytestmark = [pytest.mark.services, pytest.mark.postgres]

ROUTE = "/sandbox/audit?limit=1"  # a route behind the whole pipeline (certificate, IP, token, correlation id, quota)
QUOTA_CONSUMER = "mairie-demo"  # 200 calls per minute: the lowest tier, for the shortest burst that proves the point
QUOTA = 200
OVER = 100  # calls beyond the quota in the burst: every replica gets some of them (nginx round-robin)


@pytest.fixture(scope="module")
def topology(
    nginx_or_skip: None,
    machine_redis_url: str,
    scale_sandbox: Topology,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Topology]:
    clock_file = tmp_path_factory.mktemp("replicas-clock") / "now"
    # The start of the current minute: the certificates and the seed were made at the real time (the
    # certificates are valid from a day before). Every replica and the FranceConnect service read it.
    write_clock_file(clock_file, datetime.now(UTC).replace(second=0, microsecond=0))
    topo = fresh_topology(
        scale_sandbox, DGFIP_SANDBOX_REDIS_URL=machine_redis_url, DGFIP_SANDBOX_CLOCK_FILE=str(clock_file)
    )
    try:
        replicas = [topo.start_replica() for _ in range(3)]
        topo.start_franceconnect()
        topo.wait_ready([*replicas, topo.franceconnect])
        topo.start_nginx(replicas)
        yield topo
    finally:
        topo.close()


def nginx_url(topo: Topology) -> str:
    assert topo.nginx is not None
    return f"https://localhost:{topo.nginx.port}"


def replica_url(topo: Topology, index: int) -> str:
    return f"https://localhost:{topo.replicas[index].port}"


def clock_file(topo: Topology) -> Path:
    return Path(topo.env["DGFIP_SANDBOX_CLOCK_FILE"])


def replicas_now(topo: Topology) -> datetime:
    return datetime.fromisoformat(clock_file(topo).read_text())


def move_to_next_window(topo: Topology) -> None:
    """Move the replicas' shared clock to the start of the next quota minute (no wall-clock wait)."""
    now = replicas_now(topo)
    write_clock_file(clock_file(topo), now.replace(second=0, microsecond=0) + timedelta(minutes=1))


async def burst(
    client: httpx.AsyncClient, topo: Topology, token: str, *, total: int, concurrency: int
) -> list[httpx.Response]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)
    responses: list[httpx.Response] = []

    async def worker() -> None:
        while True:
            try:
                queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            responses.append(await client.get(ROUTE, headers=api_headers(topo, QUOTA_CONSUMER, token)))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return responses


@pytest.mark.anyio
async def test_quota_is_exact_across_three_replicas(topology: Topology) -> None:
    # The replicas' clock is frozen at the start of a fresh quota minute, whatever the machine's load:
    # the whole burst falls in that one window, and only the three replicas' shared Redis counter
    # decides which calls pass.
    move_to_next_window(topology)
    async with httpx.AsyncClient(
        verify=topology.ssl_context(QUOTA_CONSUMER),
        base_url=nginx_url(topology),
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
        timeout=30,
    ) as client:
        token = await token_via(topology, nginx_url(topology), QUOTA_CONSUMER)
        responses = await burst(client, topology, token, total=QUOTA + OVER, concurrency=64)

        statuses = Counter(r.status_code for r in responses)
        assert statuses == {200: QUOTA, 429: OVER}, statuses
        refused = [r for r in responses if r.status_code == 429]
        assert {r.json()["erreur"]["code"] for r in refused} == {900804}
        assert all(int(r.headers["Retry-After"]) <= 60 for r in refused)

        move_to_next_window(topology)
        again = await client.get(ROUTE, headers=api_headers(topology, QUOTA_CONSUMER, token))
        assert again.status_code == 200, again.text
        assert again.headers["RateLimit"].startswith(f'"sandbox";r={QUOTA - 1};')


@pytest.mark.anyio
async def test_each_replica_exposes_metrics_but_nginx_does_not(topology: Topology) -> None:
    """Each replica's metrics on its admin listener (127.0.0.1), neither on its gateway port nor through nginx."""
    async with httpx.AsyncClient(timeout=10) as plain:
        texts = [
            (await plain.get(f"http://127.0.0.1:{topology.replicas[i].admin_port}/metrics")).text for i in range(3)
        ]
    async with httpx.AsyncClient(verify=topology.ssl_context(None), timeout=10) as client:
        on_gateway_port = await client.get(replica_url(topology, 0) + "/metrics")
        through_nginx = await client.get(nginx_url(topology) + "/metrics")
    assert on_gateway_port.status_code in (401, 404) and "dgfip_gateway" not in on_gateway_port.text
    for text in texts:
        assert "dgfip_gateway_request_duration_seconds_bucket" in text
    refusals = 0.0
    for text in texts:
        for line in text.splitlines():
            if line.startswith(f'dgfip_gateway_quota_refusals_total{{consumer="{QUOTA_CONSUMER}"}}'):
                refusals += float(line.rsplit(" ", 1)[1])
    assert refusals == OVER  # the replicas' counters add up to the refusals of the burst
    assert all('route="/sandbox/audit"' in text for text in texts)
    # nginx asks for a certificate before anything: a client without one gets the envelope, not metrics.
    assert through_nginx.status_code == 401


@pytest.mark.anyio
async def test_forged_proxy_headers_sent_straight_to_a_replica_are_ignored(topology: Topology) -> None:
    editeur_token = await token_via(topology, nginx_url(topology), "editeur-demo")
    mairie_cert = pki.load_pem_cert(Path(topology.consumer("mairie-demo")["cert"]).read_bytes())
    forged_cert = pki.format_client_cert_header(mairie_cert)
    editeur_cert_header = pki.format_client_cert_header(
        pki.load_pem_cert(Path(topology.consumer("editeur-demo")["cert"]).read_bytes())
    )

    # No TLS certificate, a forged Client-Cert of a real consumer: refused (the header is not trusted from 127.0.0.1).
    async with httpx.AsyncClient(verify=topology.ssl_context(None), base_url=replica_url(topology, 0)) as client:
        headers = {**api_headers(topology, "editeur-demo", editeur_token), "Client-Cert": editeur_cert_header}
        response = await client.get(ROUTE, headers=headers)
    assert response.status_code == 401
    assert response.json()["erreur"]["code"] == 900901
    assert "aucun certificat client" in response.json()["erreur"]["message"]

    # The TLS certificate wins over a forged Client-Cert and X-Forwarded-For.
    async with httpx.AsyncClient(
        verify=topology.ssl_context("editeur-demo"), base_url=replica_url(topology, 1)
    ) as client:
        headers = {
            **api_headers(topology, "editeur-demo", editeur_token),
            "Client-Cert": forged_cert,
            "X-Forwarded-For": "203.0.113.9",
        }
        response = await client.get(ROUTE, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["consumer"] == "editeur-demo"
        correlation = headers["X-Correlation-ID"]
    records = await _audit_rows(topology, correlation)
    assert records == [("editeur-demo", "127.0.0.1")]

    # A consumer allowed only from 203.0.113.0/24 cannot borrow that address with X-Forwarded-For,
    # neither directly nor through nginx. The IP check comes before the token check: had the forged
    # address been believed, the answer would be 401 900902 (no token), not 403 900805.
    for base_url in (replica_url(topology, 2), nginx_url(topology)):
        async with httpx.AsyncClient(verify=topology.ssl_context("hors-reseau-demo"), base_url=base_url) as client:
            headers = {"X-Correlation-ID": str(uuid.uuid4()), "X-Forwarded-For": "203.0.113.9"}
            response = await client.get(ROUTE, headers=headers)
        assert response.status_code == 403, (base_url, response.text)
        assert response.json()["erreur"]["code"] == 900805
        assert "127.0.0.1" in response.json()["erreur"]["message"]

    # Through nginx, the replica honours the proxy's Client-Cert (the TLS client's), not the client's forged one.
    async with httpx.AsyncClient(verify=topology.ssl_context("editeur-demo"), base_url=nginx_url(topology)) as client:
        headers = {**api_headers(topology, "editeur-demo", editeur_token), "Client-Cert": forged_cert}
        response = await client.get(ROUTE, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["consumer"] == "editeur-demo"
    assert await _audit_rows(topology, headers["X-Correlation-ID"]) == [("editeur-demo", "127.0.0.1")]


async def _audit_rows(topology: Topology, correlation_id: str) -> list[tuple[str, str]]:
    import asyncpg

    url = topology.env["DGFIP_SANDBOX_DATABASE_URL"]
    connection = await asyncpg.connect("postgresql://" + url.split("://", 1)[1], timeout=5)
    try:
        rows = await connection.fetch(
            "SELECT consumer_name, client_ip FROM audit_records WHERE correlation_id = $1", correlation_id
        )
    finally:
        await connection.close()
    return [(row["consumer_name"], row["client_ip"]) for row in rows]


@pytest.mark.anyio
async def test_nginx_refuses_bad_certificates_in_the_dgfip_envelope(topology: Topology) -> None:
    bad = topology.credentials["bad_certs"]
    import ssl

    for kind, reason in (("revoked", "revoked"), ("expired", "expired")):
        context = ssl.create_default_context(cafile=topology.ca)
        context.load_cert_chain(topology.path(bad[kind]["cert"]), topology.path(bad[kind]["key"]))
        async with httpx.AsyncClient(verify=context, base_url=nginx_url(topology)) as client:
            response = await client.get(ROUTE, headers={"X-Correlation-ID": str(uuid.uuid4())})
        assert response.status_code == 401, (kind, response.text)
        body = response.json()
        assert body["erreur"]["code"] == 900901
        assert reason in body["erreur"]["message"]
    async with httpx.AsyncClient(verify=topology.ssl_context(None), base_url=nginx_url(topology)) as client:
        response = await client.get(ROUTE)
    assert response.status_code == 401
    assert "aucun certificat client" in response.json()["erreur"]["message"]


@pytest.mark.anyio
async def test_impot_particulier_through_nginx_keeps_the_id_teleservice_header(topology: Topology) -> None:
    """nginx drops headers with an underscore unless told otherwise; DGFiP's ID_Teleservice has one."""
    pytest.importorskip("dgfip_sandbox.apis.impot_particulier.router", reason="API Impôt particulier not mounted")
    from dgfip_sandbox.cli import banner_year
    from dgfip_sandbox.seed import all_personas

    spi = next(
        p["spi"] for p in all_personas() if p.get("api", "impot_particulier") == "impot_particulier" and p.get("banner")
    )
    path = f"/impotparticulier/1.0/spi/{spi}/situations/ir/assiettes/annrev/{banner_year(replicas_now(topology))}"
    consumer = "mairie-demo"
    token = await token_via(topology, nginx_url(topology), consumer)
    async with httpx.AsyncClient(verify=topology.ssl_context(consumer), base_url=nginx_url(topology)) as client:
        response = await client.get(path, headers=api_headers(topology, consumer, token))
    assert response.status_code == 200, response.text
    assert "rfr" in response.json()


@pytest.mark.anyio
async def test_franceconnect_service_answers_beside_the_replicas(topology: Topology) -> None:
    assert topology.franceconnect is not None
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{topology.franceconnect.port}") as client:
        response = await client.get("/api/v2/.well-known/openid-configuration")
    assert response.status_code == 200, response.text
    assert response.json()["issuer"].endswith("/api/v2")


@pytest.mark.anyio
async def test_replicas_stopped_and_killed_mid_run_lose_no_acknowledged_call(topology: Topology) -> None:
    """Replica 2 stops gracefully (SIGTERM) and replica 3 dies (SIGKILL) while calls flow through nginx:
    every call still gets an answer, and every 200 a client received has its audit record."""
    consumer = "caf-demo"  # 500 calls per minute; this test makes 300
    token = await token_via(topology, nginx_url(topology), consumer)
    responses: list[tuple[str, httpx.Response]] = []
    hundred_done = asyncio.Event()
    remaining = 300

    async with httpx.AsyncClient(
        verify=topology.ssl_context(consumer),
        base_url=nginx_url(topology),
        timeout=30,
        limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
    ) as client:

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                headers = api_headers(topology, consumer, token)
                responses.append((headers["X-Correlation-ID"], await client.get(ROUTE, headers=headers)))
                if len(responses) >= 100:
                    hundred_done.set()

        async def chaos() -> tuple[int, int]:
            await hundred_done.wait()
            topology.replicas[1].popen.send_signal(signal.SIGTERM)
            topology.replicas[2].popen.send_signal(signal.SIGKILL)
            return (
                await asyncio.to_thread(topology.replicas[1].popen.wait, 30),
                await asyncio.to_thread(topology.replicas[2].popen.wait, 30),
            )

        chaos_task = asyncio.create_task(chaos())
        await asyncio.gather(*(worker() for _ in range(16)))
        graceful_code, killed_code = await chaos_task

    statuses = Counter(r.status_code for _, r in responses)
    assert statuses == {200: 300}, (statuses, read_log(topology.nginx.log) if topology.nginx else "")
    assert graceful_code == 0, read_log(topology.replicas[1].log)
    assert killed_code == -signal.SIGKILL
    acknowledged = [correlation for correlation, r in responses if r.status_code == 200]
    recorded = await audit_correlation_ids(topology.env["DGFIP_SANDBOX_DATABASE_URL"], acknowledged)
    missing = [c for c in acknowledged if recorded.get(c) != 200]
    assert not missing, f"{len(missing)} acknowledged calls without their audit record"
    assert topology.replicas[0].alive()
