"""What the admin app's requests share, built once in its lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import Request

from dgfip_sandbox.admin.service import ConsumerAdmin
from dgfip_sandbox.clock import Clock
from dgfip_sandbox.gateway.quota import QuotaStore
from dgfip_sandbox.gateway.scenario_errors import ScenarioErrors
from dgfip_sandbox.settings import Settings


@dataclass
class AdminState:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    quota: QuotaStore | None
    token: str
    scenario_errors: ScenarioErrors

    def service(self) -> ConsumerAdmin:
        return ConsumerAdmin(
            self.settings,
            self.sessionmaker,
            clock=self.clock,
            scenario_errors=self.scenario_errors,
            quota=self.quota,
            actor="api",
        )


def admin_state(request: Request) -> AdminState:
    return request.app.state.admin  # type: ignore[no-any-return]  # Starlette's app.state is untyped
