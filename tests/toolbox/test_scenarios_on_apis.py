"""Scenarios on the business APIs: the injected answer replaces the API's, after the whole pipeline."""

from __future__ import annotations

import pytest

from tests.gateway.test_pipeline import assert_envelope

pytestmark = pytest.mark.anyio

IR = "/impotparticulier/1.0/spi/1000000001084/situations/ir/assiettes/annrev/2025"


async def test_impot_particulier_route_answers_normally_then_with_injected_codes(sandbox) -> None:
    sandbox.state.sleep = _no_sleep
    client = await sandbox.client("mairie-demo")
    normal = await client.get(IR)
    assert normal.status_code == 200, normal.text
    gone = await client.get(IR, headers={"X-Sandbox-Scenario": "error=4101"})
    assert_envelope(gone, 410, 4101, "ne renvoie aucun résultat")
    throttled = await client.get(IR, headers={"X-Sandbox-Scenario": "quota"})
    assert_envelope(throttled, 429, 900804)


async def test_ficoba_route_gets_ficobas_envelope(sandbox) -> None:
    sandbox.state.sleep = _no_sleep
    client = await sandbox.client("ficoba-administration")
    response = await client.get("/fcb-masrestit/api/v2/etatSante", headers={"X-Sandbox-Scenario": "error=CAT001"})
    assert response.status_code == 500, response.text
    erreur = response.json()["erreur"]
    assert erreur["code"] == "CAT001" and erreur["horodatage"].endswith("Z")


async def _no_sleep(_seconds: float) -> None:
    return None
