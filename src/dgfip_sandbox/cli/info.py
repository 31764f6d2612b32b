"""Reading the sandbox: ``personas``, ``fc-events``, ``journal``."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import typer

from dgfip_sandbox.cli.common import load_settings, run_admin

app = typer.Typer()


@app.command()
def personas(as_json: bool = typer.Option(False, "--json", help="Sortie JSON")) -> None:
    """Lister les personas de test générés."""
    from dgfip_sandbox.seed import all_personas

    found = all_personas()
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for persona in found:
        ident = persona.get("spi") or persona.get("iban") or persona.get("siren") or ""
        typer.echo(f"{persona.get('api', ''):18} {ident:28} {persona['case']:28} {persona['description']}")


@app.command("fc-events")
def fc_events(
    limit: int = typer.Option(50, help="Nombre d'événements"),
    event_type: str | None = typer.Option(None, "--type", help="Filtrer par type d'événement"),
) -> None:
    """Lister les événements enregistrés par FranceConnect (consentement affiché, donné, checktoken vérifié…)."""
    from dgfip_sandbox.store.database import create_engine, create_sessionmaker
    from dgfip_sandbox.store.franceconnect import list_events

    settings = load_settings()

    async def run() -> list[dict[str, Any]]:
        engine = create_engine(settings.sqlalchemy_url)
        try:
            async with create_sessionmaker(engine)() as session:
                return await list_events(session, limit=limit, type_=event_type)
        finally:
            await engine.dispose()

    for event in asyncio.run(run()):
        typer.echo(json.dumps(event, ensure_ascii=False, default=str))


@app.command()
def journal(
    consumer: str = typer.Option(..., "--consumer", help="Nom du partenaire"),
    follow: bool = typer.Option(False, "--follow", "-f", help="Continuer d'afficher les nouveaux appels"),
    limit: int = typer.Option(20, help="Nombre d'appels affichés d'abord"),
    as_json: bool = typer.Option(False, "--json", help="Une ligne JSON par appel"),
) -> None:
    """Afficher le journal des appels d'un partenaire (en-têtes, corps, décisions) ; --follow le suit."""
    from dgfip_sandbox.admin.journal_tail import format_entry, tail

    def emit(entry: dict[str, Any]) -> None:
        typer.echo(json.dumps(entry, ensure_ascii=False) if as_json else format_entry(entry))

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends --follow
        run_admin(lambda s: tail(s, consumer, emit=emit, limit=limit, follow=follow, sleep=asyncio.sleep))
