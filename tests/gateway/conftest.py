from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends

from dgfip_sandbox.gateway.context import CallerContext
from dgfip_sandbox.gateway.pipeline import GatewayPolicy

probe_router = APIRouter(prefix="/probe")


@probe_router.get("/ifi")
async def probe_ifi(
    caller: Annotated[CallerContext, Depends(GatewayPolicy(api="probe", scope="RessourceIFI"))],
    annee: str | None = None,
) -> dict[str, Any]:
    return {"consumer": caller.consumer.name, "ip": caller.client_ip}


@probe_router.get("/open")
async def probe_open(caller: Annotated[CallerContext, Depends(GatewayPolicy(api="probe"))]) -> dict[str, Any]:
    return {"consumer": caller.consumer.name, "ip": caller.client_ip}


@pytest.fixture
async def probed(sandbox):  # type: ignore[no-untyped-def]
    """The sandbox with two probe routes behind the pipeline: one needs RessourceIFI, one no scope."""
    sandbox.app.include_router(probe_router)
    return sandbox
