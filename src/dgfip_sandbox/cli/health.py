"""``health``: is a server up? The container healthchecks' command (the image has no curl)."""

from __future__ import annotations

import typer

from dgfip_sandbox.cli.common import load_settings

app = typer.Typer()


@app.command()
def health(
    url: str = typer.Argument(..., help="Adresse de /health, ex. https://localhost:8443/health"),
    timeout: float = typer.Option(3.0, "--timeout", help="Délai maximal en secondes"),
) -> None:
    """Vérifier qu'un service répond 200 sur /health (code de sortie 0), sinon code 1.

    En HTTPS, le certificat du serveur est vérifié avec l'AC du bac à sable (certs/ca.pem)."""
    import httpx

    settings = load_settings()
    verify: str | bool = str(settings.certs_dir / "ca.pem") if url.startswith("https:") else True
    try:
        answer = httpx.get(url, verify=verify, timeout=timeout)
    except (httpx.HTTPError, OSError) as exc:
        typer.echo(f"indisponible : {url} ({exc.__class__.__name__})", err=True)
        raise typer.Exit(1) from None
    if answer.status_code != 200:
        typer.echo(f"indisponible : {url} a répondu {answer.status_code}", err=True)
        raise typer.Exit(1)
    typer.echo(f"disponible : {url}")
