"""The options ``up`` and ``serve`` share (and ``prepare`` the seeding ones), declared once.

Each option is also a ``DGFIP_SANDBOX_*`` variable (the settings); the option wins when both are given.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class LogFormatChoice(StrEnum):
    auto = "auto"
    console = "console"
    json = "json"


Port = Annotated[
    int | None, typer.Option("--port", help="Port HTTPS de la passerelle (défaut 8443 ; DGFIP_SANDBOX_PORT)")
]
Host = Annotated[str | None, typer.Option("--host", help="Adresse d'écoute de la passerelle (défaut 127.0.0.1)")]
FcPort = Annotated[
    int | None, typer.Option("--fc-port", help="Port du service FranceConnect (défaut 8444 ; DGFIP_SANDBOX_FC_PORT)")
]
AdminPort = Annotated[
    int | None,
    typer.Option(
        "--admin-port", help="Port de l'API d'administration et du portail (défaut 8445 ; DGFIP_SANDBOX_ADMIN_PORT)"
    ),
]
DemoFsPort = Annotated[
    int | None,
    typer.Option(
        "--demo-fs-port",
        help="Port du fournisseur de service de démonstration (défaut 8446 ; DGFIP_SANDBOX_DEMO_FS_PORT)",
    ),
]
Workers = Annotated[
    int,
    typer.Option(
        "--workers", min=1, help="Processus de passerelle partageant les ports (exige Redis et PostgreSQL au-delà de 1)"
    ),
]
WithGateway = Annotated[bool, typer.Option("--gateway/--no-gateway", help="Servir la passerelle APIM")]
WithFc = Annotated[bool, typer.Option("--fc/--no-fc", help="Servir le service FranceConnect")]
WithDemoFs = Annotated[
    bool, typer.Option("--demo-fs/--no-demo-fs", help="Servir aussi le fournisseur de service de démonstration")
]
WithAdmin = Annotated[
    bool,
    typer.Option("--admin/--no-admin", help="Servir l'API d'administration (127.0.0.1 seulement ; une par hôte)"),
]
LogFormat = Annotated[
    LogFormatChoice | None,
    typer.Option(
        "--log-format",
        help="Journaux : console (lisible), json (une ligne JSON par événement) ou auto (console sur un terminal)",
    ),
]
SeedSize = Annotated[
    int | None,
    typer.Option("--seed-size", min=0, help="Nombre de foyers fiscaux générés (défaut 2000 ; DGFIP_SANDBOX_SEED_SIZE)"),
]
Reset = Annotated[
    bool,
    typer.Option(
        "--reset",
        help="Vider la base (données générées, partenaires, traces) et la régénérer ; les secrets de var/credentials.json sont conservés",
    ),
]
