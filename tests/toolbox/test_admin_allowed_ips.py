"""The admin app refuses peers neither loopback nor in ``admin_allowed_ips`` (docker compose publishes it
to the host, whose clients arrive from the bridge's gateway address)."""

from __future__ import annotations

import httpx
import pytest

from dgfip_sandbox.admin.access import in_networks, is_loopback
from dgfip_sandbox.assembly import build_admin_app
from dgfip_sandbox.clock import FrozenClock
from dgfip_sandbox.settings import Settings

pytestmark = pytest.mark.anyio


def test_peer_checks() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("172.30.0.1") and not is_loopback("not-an-ip") and not is_loopback(None)
    import ipaddress

    bridge = (ipaddress.ip_network("172.30.0.1/32"),)
    assert in_networks("172.30.0.1", bridge) and in_networks("::ffff:172.30.0.1", bridge)
    assert not in_networks("172.30.0.2", bridge) and not in_networks("x", bridge)


@pytest.mark.parametrize(
    ("allowed", "peer", "status"), [([], "172.30.0.1", 403), (["172.30.0.1/32"], "172.30.0.1", 200)]
)
async def test_allowed_ips_open_the_admin_app_to_the_bridge(
    settings: Settings, clock: FrozenClock, allowed: list[str], peer: str, status: int
) -> None:
    app = build_admin_app(settings.model_copy(update={"admin_allowed_ips": allowed}), clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8445") as client:
            answer = await client.get("/health")
    assert answer.status_code == status
    if status == 403:
        assert answer.json()["erreur"]["code"]
