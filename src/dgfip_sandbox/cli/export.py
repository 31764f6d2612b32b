"""``export``: the contract as files — the OpenAPI documents, a Postman or a Bruno collection."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from dgfip_sandbox.cli.common import load_settings

app = typer.Typer(add_completion=False)


class Format(StrEnum):
    openapi = "openapi"
    postman = "postman"
    bruno = "bruno"


@app.command("export")
def export(
    what: Format = typer.Argument(..., help="openapi (les documents servis), postman ou bruno (une collection)"),
    output: Path = typer.Option(Path("dgfip-sandbox-export"), "--output", "-o", help="Dossier de sortie"),
    consumer: str = typer.Option(
        "mairie-demo", "--consumer", help="Partenaire dont la collection utilise le certificat"
    ),
    with_secret: bool = typer.Option(
        False, "--with-secret", help="Écrire le client_secret du partenaire dans la collection (sinon à saisir)"
    ),
) -> None:
    """Écrire les documents OpenAPI de la passerelle, ou une collection construite à partir d'eux (certificat et jeton prêts)."""
    from dgfip_sandbox.assembly import build_openapi_documents, shipped_files
    from dgfip_sandbox.contract import render

    settings = load_settings()
    documents = build_openapi_documents(settings)
    output.mkdir(parents=True, exist_ok=True)
    if what is Format.openapi:
        for url, file_name in shipped_files().items():
            (output / file_name).write_text(render(documents[url]), encoding="utf-8")
            typer.echo(f"{output / file_name} ({url})")
        return
    from dgfip_sandbox.contract import bruno, postman
    from dgfip_sandbox.contract.collection import collection_access

    access = collection_access(settings, consumer, with_secret=with_secret)
    if access is None:
        typer.echo(
            f"erreur : partenaire « {consumer} » absent de {settings.credentials_path} (lancez d'abord dgfip-sandbox up)",
            err=True,
        )
        raise typer.Exit(1)
    from dgfip_sandbox.gateway.openapi import COMBINED_URL

    urls = [url for url in shipped_files() if url != COMBINED_URL]  # each API's document, in mounting order
    written = (postman if what is Format.postman else bruno).write(documents, urls, access, output)
    for path in written:
        typer.echo(str(path))
