"""Quotas per consumer and per API (DGFIP: "un quota de consultation pour chacun de ses partenaires pour
chaque API utilisée"), with the tiers DataPass offers for each API; /sandbox/* counts apart."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from dgfip_sandbox.catalogue import CatalogueError, check_quota_tier
from dgfip_sandbox.seed import personas_impot as P
from tests.toolbox.conftest import set_consumer

pytestmark = pytest.mark.anyio

IP_ROUTE = f"/impotparticulier/1.0/spi/{P.SPI_COUPLE_DEC1}/situations/ir/assiettes/annrev/2025"


async def test_each_api_has_its_own_counter_and_policy_name(sandbox) -> None:  # type: ignore[no-untyped-def]
    await set_consumer(sandbox, "mairie-demo", api_quotas={"impot_particulier": 50})
    client = await sandbox.client("mairie-demo")
    responses = await asyncio.gather(*(client.get(IP_ROUTE) for _ in range(52)))
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 50 and statuses.count(429) == 2
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.headers["ratelimit-policy"] == '"impotparticulier";q=50;w=60'
    assert refused.headers["ratelimit"].startswith('"impotparticulier";r=0;')
    # The sandbox routes neither spent nor are refused by Impôt particulier's quota.
    audit = await client.get("/sandbox/audit?limit=1")
    assert audit.status_code == 200
    assert audit.headers["ratelimit-policy"] == '"sandbox";q=200;w=60'
    assert audit.headers["ratelimit"].startswith('"sandbox";r=199;')


async def test_ficoba_calls_do_not_spend_impot_particuliers_quota(sandbox) -> None:  # type: ignore[no-untyped-def]
    await set_consumer(sandbox, "ficoba-administration", api_quotas={"ficoba": 200})
    client = await sandbox.client("ficoba-administration")
    sante = await client.get(
        "/fcb-masrestit/api/v2/etatSante", headers={"X-Request-ID": str(uuid.uuid4()), "Accept": "application/json"}
    )
    assert sante.status_code == 200, sante.text
    assert sante.headers["ratelimit-policy"] == '"ficoba";q=200;w=60'
    assert sante.headers["ratelimit"].startswith('"ficoba";r=199;')


def test_tiers_are_those_datapass_offers_per_api() -> None:
    assert check_quota_tier(1000, "impot_particulier") == 1000
    assert check_quota_tier(700, "ficoba") == 700
    with pytest.raises(CatalogueError, match="200, 500, 700"):
        check_quota_tier(750, "ficoba")
    with pytest.raises(CatalogueError, match="50, 100, 200, 500, 750, 1000"):
        check_quota_tier(300, "impot_particulier")
    with pytest.raises(CatalogueError, match="impot_particulier, ficoba"):
        check_quota_tier(200, "rial")
    with pytest.raises(CatalogueError, match="200, 500, 750"):
        check_quota_tier(700)


async def test_admin_sets_a_tier_per_api(admin) -> None:  # type: ignore[no-untyped-def]
    client = admin.client()
    set_ = await client.put(
        "/api/consumers/caf-demo/quota", json={"quota_per_minute": 1000, "api": "impot_particulier"}
    )
    assert set_.status_code == 200, set_.text
    assert set_.json()["api_quotas"] == {"impot_particulier": 1000}
    assert set_.json()["quota_per_minute"] == 500
    refused = await client.put("/api/consumers/caf-demo/quota", json={"quota_per_minute": 750, "api": "ficoba"})
    assert refused.status_code == 400
    assert "200, 500, 700" in json.dumps(refused.json(), ensure_ascii=False)
    shown = (await client.get("/api/consumers/caf-demo")).json()["quota_usage"]["apis"]
    assert shown["impot_particulier"]["limit"] == 1000 and shown["ficoba"]["limit"] == 500
