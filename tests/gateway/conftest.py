from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter

from dgfip_sandbox.gateway.pipeline import Caller, GatewayRoute, protected

probe_router = APIRouter(prefix="/probe", route_class=GatewayRoute)


@probe_router.get("/ifi")
@protected(api="probe", scope="RessourceIFI")
async def probe_ifi(caller: Caller, annee: str | None = None) -> dict[str, Any]:
    return {"consumer": caller.consumer.name, "ip": caller.client_ip}


@probe_router.get("/open")
@protected(api="probe")
async def probe_open(caller: Caller) -> dict[str, Any]:
    return {"consumer": caller.consumer.name, "ip": caller.client_ip}


@pytest.fixture
async def probed(sandbox):  # type: ignore[no-untyped-def]
    """The sandbox with two probe routes behind the pipeline: one needs RessourceIFI, one no scope."""
    sandbox.app.include_router(probe_router)
    return sandbox
