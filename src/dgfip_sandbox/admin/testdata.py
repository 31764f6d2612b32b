"""The admin API's ``/api/data``: the integrator's test data (testdata/service.py, actor "api").

``POST /api/data`` takes a data file's content, JSON or (``Content-Type: application/yaml``) YAML,
``?source=`` names it (default "api") and ``?replace=true`` first removes what the same source
created; the answer lists the SPIs, IBANs and logins created. ``GET /api/data`` lists the test data,
``POST /api/data/remove`` with ``{"keys": [...]}`` removes objects (SPI of a foyer's first déclarant,
IBAN, login) — in the body, since no SPI goes in a URL. A refusal is a 400 in the admin envelope
naming every field at fault; nothing is written then.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from dgfip_sandbox.admin.access import require_admin
from dgfip_sandbox.admin.errors import InvalidTestData, TestDataNotFound
from dgfip_sandbox.admin.state import admin_state
from dgfip_sandbox.testdata.errors import TestDataError
from dgfip_sandbox.testdata.files import MAX_FILE_BYTES, parse_text
from dgfip_sandbox.testdata.service import TestDataService


class RemoveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keys: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(min_length=1, max_length=1000)


router = APIRouter(prefix="/api/data", tags=["données de test"], dependencies=[Depends(require_admin)])


def service(request: Request) -> TestDataService:
    state = admin_state(request)
    return TestDataService(state.sessionmaker, clock=state.clock, actor="api")


@router.post("", status_code=201, summary="Charger des données de test (JSON ou YAML ; tout ou rien)")
async def add_data(
    request: Request,
    source: Annotated[str, Query(min_length=1, max_length=200)] = "api",
    replace: bool = False,
) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_FILE_BYTES:
        raise InvalidTestData(f"corps de plus de {MAX_FILE_BYTES // 2**20} Mo")
    yaml = "yaml" in request.headers.get("content-type", "")
    try:
        text = raw.decode("utf-8")
        data = parse_text(text, source if yaml else f"{source}.json")
        return await service(request).add(data, source=source, replace=replace)
    except UnicodeDecodeError:
        raise InvalidTestData("le corps doit être en UTF-8") from None
    except TestDataError as exc:
        raise InvalidTestData(" ; ".join(f"{f} : {r}" for f, r in exc.problems)) from None


@router.get("", summary="Les données de test chargées (pas la population d'origine)")
async def list_data(request: Request) -> dict[str, Any]:
    return {"data": await service(request).list()}


@router.post("/remove", summary="Supprimer des données de test (SPI, IBAN ou login ; toutes ou aucune)")
async def remove_data(request: Request, body: RemoveBody) -> dict[str, Any]:
    try:
        return {"removed": await service(request).remove(body.keys)}
    except TestDataError as exc:
        raise TestDataNotFound(exc.problems[0][1]) from None
