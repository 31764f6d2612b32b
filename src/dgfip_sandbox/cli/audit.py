"""``audit``: a consumer's own audit records, and the retention purge."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import typer

from dgfip_sandbox.cli.common import load_settings
from dgfip_sandbox.clock import clock_from_settings

audit_app = typer.Typer(add_completion=False, help="Traces d'audit : consultation et purge.")


@audit_app.callback(invoke_without_command=True)
def audit(
    ctx: typer.Context,
    consumer: str | None = typer.Option(None, "--consumer", help="Nom du partenaire"),
    limit: int = typer.Option(50, help="Nombre de traces"),
    as_json: bool = typer.Option(False, "--json", help="Sortie JSON"),
) -> None:
    """Afficher les traces d'audit d'un partenaire (« audit --consumer NOM »), ou purger les anciennes (« audit purge »)."""
    if ctx.invoked_subcommand is not None:
        return
    if not consumer:
        raise typer.BadParameter("--consumer NOM est requis (ou la sous-commande purge)", param_hint="--consumer")
    from dgfip_sandbox.store import audit as audit_store
    from dgfip_sandbox.store import consumers
    from dgfip_sandbox.store.database import create_engine, create_sessionmaker

    settings = load_settings()

    async def run() -> list[dict[str, Any]]:
        engine = create_engine(settings.sqlalchemy_url)
        try:
            async with create_sessionmaker(engine)() as session:
                record = await consumers.get_by_name(session, consumer)
                if record is None:
                    raise typer.BadParameter(f"partenaire inconnu : {consumer}")
                rows = await audit_store.list_for_consumer(session, record.id, limit=limit)
                return [audit_store.record_as_dict(r) for r in rows]
        finally:
            await engine.dispose()

    rows = asyncio.run(run())
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        typer.echo(
            f"{row['horodatage']}  {row['status']}  {row['outcome']:8} {row['method']:5} {row['route']}  "
            f"spi={row['spi'] or '-'}  corr={row['correlation_id'] or '-'}"
        )


@audit_app.command("purge")
def audit_purge(
    retention_days: int | None = typer.Option(
        None,
        "--retention-days",
        min=1,
        help="Durée de conservation en jours (défaut : DGFIP_SANDBOX_AUDIT_RETENTION_DAYS, 730)",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Compter sans supprimer"),
) -> None:
    """Supprimer les traces d'audit plus anciennes que la durée de conservation (deux ans par défaut, comme le disent les CGU)."""
    from dgfip_sandbox.store.audit_retention import purge_expired

    settings = load_settings()
    days = retention_days or settings.audit_retention_days
    now = clock_from_settings(settings).now()
    result = asyncio.run(purge_expired(settings.sqlalchemy_url, retention_days=days, now=now, dry_run=dry_run))
    verb = "à supprimer" if dry_run else "supprimées"
    typer.echo(
        f"traces d'audit antérieures au {result.cutoff.isoformat(timespec='seconds')} ({days} jours) {verb} : {result.count}"
    )
