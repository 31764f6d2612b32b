"""``GET /health`` of every server (gateway, FranceConnect, admin, demo FS), for container healthchecks
and ``dgfip-sandbox health``: no authentication, no database, ``{"status": "UP"}``."""

from __future__ import annotations

from fastapi import APIRouter


def health_router(
    *,
    tags: list[str] | None = None,
    include_in_schema: bool = True,
    summary: str = "État du service (sans authentification)",
) -> APIRouter:
    router = APIRouter()

    @router.get("/health", tags=list(tags or []), summary=summary, include_in_schema=include_in_schema)
    async def health() -> dict[str, str]:
        return {"status": "UP"}

    return router
