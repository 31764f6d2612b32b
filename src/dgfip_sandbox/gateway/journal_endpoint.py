"""``GET /sandbox/journal``: the calling consumer's own request journal (never another's).

Behind the full pipeline (``protected(api="sandbox")``): the consumer is the one the client
certificate and the token designate, and the query is keyed by its id only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.requests import Request

from dgfip_sandbox.gateway.pipeline import Caller, GatewayRoute, gateway_state, protected
from dgfip_sandbox.store import journal

router = APIRouter(route_class=GatewayRoute)


@router.get(
    "/sandbox/journal",
    tags=["Bac à sable"],
    summary="Le journal des derniers appels du partenaire appelant (en-têtes, corps tronqués, trace de décision)",
)
@protected(api="sandbox")
async def my_journal(
    request: Request,
    caller: Caller,
    limit: Annotated[int, Query(ge=1, le=200, description="Nombre d'appels")] = 50,
    since_id: Annotated[
        int | None, Query(ge=0, description="Seulement les appels plus récents que cet identifiant")
    ] = None,
) -> dict[str, Any]:
    state = gateway_state(request)
    async with state.sessionmaker() as session:
        entries = await journal.list_for_consumer(session, caller.consumer.id, limit=limit, since_id=since_id)
    return {"consumer": caller.consumer.name, "entries": [journal.entry_as_dict(e) for e in entries]}
