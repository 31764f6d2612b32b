"""What every route of the FranceConnect-like app shares (built once by the app factory)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from dgfip_sandbox.clock import Clock
from dgfip_sandbox.franceconnect.keys import ProviderKeys
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.franceconnect import CheckTokenStore, EventBatcher

PREFIX = "/api/v2"
AUTHORIZATION_CODE_TTL_SECONDS = 30
ID_TOKEN_TTL_SECONDS = 60
SESSION_TTL_SECONDS = 1800
BROWSER_COOKIE = "fc_session"
ACR = "eidas1"

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def template_environment(directory: Path) -> Environment:
    return Environment(loader=FileSystemLoader(str(directory)), autoescape=select_autoescape(["html"]))


@dataclass
class FranceConnectState:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    keys: ProviderKeys
    templates: Environment
    checktoken_store: CheckTokenStore  # checktoken's one read per call and its events' inserts
    events: EventBatcher = field(default_factory=EventBatcher)  # checktoken's events, committed in groups
    # checktoken's data providers by client_id, with their expiry (checktoken._data_provider)
    data_providers: dict[str, tuple[float, Any]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.settings.franceconnect_base_url

    @property
    def issuer(self) -> str:
        return self.base_url + PREFIX

    def url(self, path: str) -> str:
        return self.issuer + path

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


async def get_state(request: Request) -> FranceConnectState:
    """Async: FastAPI runs a sync dependency in its thread pool, one thread hop per request."""
    return request.app.state.franceconnect  # type: ignore[no-any-return]  # Starlette's app.state is untyped
