"""``data add|remove|list``: the integrator's own test data (foyers, FICOBA accounts, FranceConnect
identities) from YAML or JSON files, through the one service (testdata/service.py) the admin API and
the pytest plugin use. ``up --data FILE`` loads the same files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from dgfip_sandbox.cli.common import print_data, run_testdata

if TYPE_CHECKING:
    from dgfip_sandbox.settings import Settings
    from dgfip_sandbox.testdata.service import TestDataService

data_app = typer.Typer(no_args_is_help=True, help="Données de test de l'intégrateur (foyers, comptes, identités).")


@data_app.command("add")
def data_add(
    files: list[Path] = typer.Argument(..., help="Fichiers YAML ou JSON", exists=True, dir_okay=False),
    replace: bool = typer.Option(False, "--replace", help="Remplacer ce qu'un chargement précédent du fichier a créé"),
    as_json: bool = typer.Option(False, "--json", help="Sortie JSON"),
) -> None:
    """Charger des fichiers de données (chacun en une transaction : refusé en entier, le champ nommé, ou écrit en entier)."""
    created = load_data_files(files, replace=replace)
    lines: list[str] = []
    for path, result in created.items():
        for kind, label in (("foyers", "foyer"), ("comptes", "compte"), ("identites", "identité")):
            lines.extend(f"{path} : {label} {item['key']}" for item in result[kind])
    print_data(created, as_json, lines or ["aucune donnée dans ces fichiers"])


def load_data_files(
    files: list[Path], *, replace: bool, settings: Settings | None = None
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Each file in its own transaction (source: its name); the first refused one exits with status 1."""
    return {str(path): run_testdata(lambda s, p=path: _add(s, p, replace), settings) for path in files}


async def _add(service: TestDataService, path: Path, replace: bool) -> dict[str, list[dict[str, Any]]]:
    from dgfip_sandbox.testdata.files import load_file

    return await service.add(load_file(path), source=path.name, replace=replace)


@data_app.command("remove")
def data_remove(keys: list[str] = typer.Argument(..., help="SPI du premier déclarant, IBAN ou login")) -> None:
    """Supprimer des données de test par clé (toutes les clés ou aucune)."""
    for key in run_testdata(lambda s: s.remove(keys)):
        typer.echo(f"{key} : supprimé")


@data_app.command("list")
def data_list(as_json: bool = typer.Option(False, "--json", help="Sortie JSON")) -> None:
    """Lister les données de test chargées (pas les personas générés : voir « dgfip-sandbox personas »)."""
    rows = run_testdata(lambda s: s.list())
    print_data(
        rows,
        as_json,
        [f"{r['kind']:9} {r['key']:28} {r['source']}" for r in rows] or ["aucune donnée de test"],
    )
