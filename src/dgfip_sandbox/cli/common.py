"""What every command shares: the settings (read once, from the environment and the options), the
admin service run against the configured database, and printing."""

from __future__ import annotations

import asyncio
import json
from enum import Enum
from typing import Any, TypeVar

import typer

from dgfip_sandbox.clock import clock_from_settings
from dgfip_sandbox.settings import Settings

T = TypeVar("T")


def load_settings(**overrides: Any) -> Settings:
    """The settings of this invocation: ``DGFIP_SANDBOX_*`` variables, then the options given."""
    from dgfip_sandbox.logs import configure_logging

    given = {k: (v.value if isinstance(v, Enum) else v) for k, v in overrides.items() if v is not None}
    settings = Settings(**given)
    configure_logging(settings.log_level, settings.log_format)
    return settings


def run_admin(operation: Any, *, quota: bool = False, franceconnect: bool = False) -> Any:
    """Run ``operation(service)`` against the configured database; admin errors exit with status 1.

    ``service``: the consumer administration, or with ``franceconnect`` the FranceConnect one (FS,
    links, identities)."""
    from dgfip_sandbox.admin.errors import AdminError
    from dgfip_sandbox.admin.service import ConsumerAdmin
    from dgfip_sandbox.assembly import scenario_errors
    from dgfip_sandbox.store.database import create_engine, create_sessionmaker

    settings = load_settings()

    async def run() -> Any:
        engine = create_engine(settings.sqlalchemy_url, pool_size=1)
        store = None
        if quota and settings.redis_url:
            from dgfip_sandbox.assembly import build_quota_store

            store = build_quota_store(settings)
        try:
            clock = clock_from_settings(settings)
            if franceconnect:
                from dgfip_sandbox.admin.franceconnect import FranceConnectAdmin

                fc_service = FranceConnectAdmin(settings, create_sessionmaker(engine), clock=clock, actor="cli")
                return await operation(fc_service)
            service = ConsumerAdmin(
                settings,
                create_sessionmaker(engine),
                clock=clock,
                scenario_errors=scenario_errors(),
                quota=store,
                actor="cli",
            )
            return await operation(service)
        finally:
            if store is not None:
                await store.close()
            await engine.dispose()

    try:
        return asyncio.run(run())
    except AdminError as exc:
        typer.echo(f"erreur : {exc.full_message}", err=True)
        raise typer.Exit(1) from None


def run_testdata(operation: Any, settings: Settings | None = None) -> Any:
    """Run ``operation(service)`` (testdata/service.py) against the configured database; refused data
    exits with status 1, one line per field."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from dgfip_sandbox.store.database import create_engine, create_sessionmaker
    from dgfip_sandbox.testdata.errors import TestDataError
    from dgfip_sandbox.testdata.service import TestDataService

    settings = settings or load_settings()

    async def run() -> Any:
        engine = create_engine(settings.sqlalchemy_url, pool_size=1)
        try:
            clock = clock_from_settings(settings)
            return await operation(TestDataService(create_sessionmaker(engine), clock=clock, actor="cli"))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except TestDataError as exc:
        echo_refusal(exc)
        raise typer.Exit(1) from None
    except (OperationalError, ProgrammingError):
        typer.echo(
            f"erreur : la base du bac à sable ({settings.sqlalchemy_url.split('://', 1)[0]}) est introuvable ou n'est "
            "pas préparée : lancez d'abord « dgfip-sandbox prepare » (ou « up ») avec les mêmes réglages DGFIP_SANDBOX_*.",
            err=True,
        )
        raise typer.Exit(1) from None


def echo_refusal(exc: Any) -> None:
    """A refused data file, one line per field (stderr)."""
    where = f" ({exc.source})" if exc.source else ""
    typer.echo(f"erreur : données refusées{where}, rien n'a été écrit :", err=True)
    for field, reason in exc.problems:
        typer.echo(f"  {field} : {reason}", err=True)


def print_data(data: Any, as_json: bool, lines: list[str] | None = None) -> None:
    if as_json or lines is None:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        typer.echo("\n".join(lines))
