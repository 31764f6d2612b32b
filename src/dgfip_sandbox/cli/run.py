"""Starting the sandbox: ``up`` (prepare and serve), ``prepare``, ``serve``, ``demo-fs`` (``franceconnect``
alone: cli/franceconnect.py)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from dgfip_sandbox.cli.banner import banner
from dgfip_sandbox.cli.common import load_settings
from dgfip_sandbox.clock import clock_from_settings
from dgfip_sandbox.settings import Settings

app = typer.Typer()

WORKERS_HELP = "Processus de passerelle partageant les ports (exige Redis et PostgreSQL au-delà de 1)"


@app.command()
def up(
    port: int | None = typer.Option(None, help="Port HTTPS de la passerelle (défaut 8443)"),
    host: str | None = typer.Option(None, help="Adresse d'écoute (défaut 127.0.0.1)"),
    fc_port: int | None = typer.Option(None, "--fc-port", help="Port du service FranceConnect (défaut 8444)"),
    seed_size: int | None = typer.Option(None, help="Nombre de foyers fiscaux générés (défaut 2000)"),
    workers: int = typer.Option(1, "--workers", min=1, help=WORKERS_HELP),
    data: list[Path] = typer.Option(
        [], "--data", exists=True, dir_okay=False, help="Fichier de données de test YAML ou JSON (répétable)"
    ),
    ready_file: Path | None = typer.Option(
        None, "--ready-file", help="Fichier JSON écrit quand tous les ports écoutent (URLs, ports, identifiants)"
    ),
) -> None:
    """Prepare (migrate, PKI, seed, consumers, --data files) and serve the sandbox."""
    from dgfip_sandbox.bootstrap import prepare_sandbox
    from dgfip_sandbox.cli.data import load_data_files

    settings = load_settings(port=port, host=host, fc_port=fc_port, seed_size=seed_size)
    _refuse_workers(settings, workers)
    now = clock_from_settings(settings).now()
    if ready_file is not None:
        ready_file.unlink(missing_ok=True)  # a file left by an earlier run would announce readiness too early
    credentials = prepare_sandbox(settings, now=now)
    # Loaded again at each `up`: what an earlier load of the same file created is replaced.
    loaded = load_data_files(data, replace=True, settings=settings)
    typer.echo(banner(settings, credentials, now=now))
    for path, created in loaded.items():
        counts = ", ".join(f"{len(items)} {kind}" for kind, items in created.items())
        typer.echo(f"Données de test {path} : {counts}")
    on_ready = None
    if ready_file is not None:
        on_ready = functools.partial(write_ready_file, ready_file, settings, credentials, loaded)
    raise typer.Exit(run_servers(settings, workers=workers, on_ready=on_ready))


def write_ready_file(
    path: Path,
    settings: Settings,
    credentials: dict[str, Any],
    loaded: dict[str, dict[str, list[dict[str, Any]]]],
    urls: dict[str, str],
) -> None:
    """The ready file: written (atomically) once every port listens, for test frameworks to wait on.
    It holds no secret: the client secrets stay in the credentials file it names."""
    from dgfip_sandbox.private_files import write_private_json

    ports = {name: int(url.rsplit(":", 1)[1]) for name, url in urls.items()}
    gateway = credentials.get("gateway", {})
    document = {
        "ready": True,
        "ports": ports,
        "urls": {
            "gateway": f"https://localhost:{ports['gateway']}" if "gateway" in ports else None,
            "franceconnect": settings.franceconnect_base_url if "franceconnect" in ports else None,
            "admin": f"http://127.0.0.1:{ports['admin']}" if "admin" in ports else None,
        },
        "credentials_file": str(settings.credentials_path.resolve()),
        "ca_cert": str(Path(gateway["ca_cert"]).resolve()) if gateway.get("ca_cert") else None,
        "data": {
            Path(file).name: {kind: [item["key"] for item in items] for kind, items in created.items()}
            for file, created in loaded.items()
        },
    }
    write_private_json(path, document)


@app.command()
def prepare(
    seed_size: int | None = typer.Option(None, help="Nombre de foyers fiscaux générés (défaut 2000)"),
) -> None:
    """Only prepare (migrate, PKI, seed, consumers, var/credentials.json): the one-shot init of a deployment."""
    from dgfip_sandbox.bootstrap import prepare_sandbox

    settings = load_settings(seed_size=seed_size)
    prepare_sandbox(settings, now=clock_from_settings(settings).now())
    typer.echo(f"bac à sable préparé : {settings.credentials_path}")


@app.command()
def serve(
    port: int | None = typer.Option(None, help="Port HTTPS de la passerelle (défaut 8443)"),
    host: str | None = typer.Option(None, help="Adresse d'écoute (défaut 127.0.0.1)"),
    workers: int = typer.Option(1, "--workers", min=1, help=WORKERS_HELP),
    gateway: bool = typer.Option(True, "--gateway/--no-gateway", help="Servir la passerelle APIM"),
    franceconnect: bool = typer.Option(True, "--fc/--no-fc", help="Servir le service FranceConnect"),
    demo_fs: bool = typer.Option(
        False, "--demo-fs/--no-demo-fs", help="Servir le fournisseur de service de démonstration"
    ),
    admin: bool = typer.Option(
        True, "--admin/--no-admin", help="Servir l'API d'administration (127.0.0.1 seulement ; une par hôte)"
    ),
) -> None:
    """Serve an already prepared sandbox (a replica: no migration, no seeding)."""
    settings = load_settings(port=port, host=host)
    _refuse_workers(settings, workers)
    raise typer.Exit(
        run_servers(
            settings,
            workers=workers,
            with_gateway=gateway,
            with_fc=franceconnect,
            with_demo_fs=demo_fs,
            with_admin=admin,
        )
    )


def _refuse_workers(settings: Settings, workers: int) -> None:
    from dgfip_sandbox.workers import multiprocess_refusal

    refusal = multiprocess_refusal(settings, workers)
    if refusal:
        typer.echo(refusal, err=True)
        raise typer.Exit(2)


def run_servers(
    settings: Settings,
    *,
    workers: int = 1,
    with_gateway: bool = True,
    with_fc: bool = True,
    with_demo_fs: bool = False,
    with_admin: bool = True,
    on_ready: Callable[[dict[str, str]], None] | None = None,
) -> int:
    from dgfip_sandbox import server
    from dgfip_sandbox.assembly import build_server_specs

    if workers > 1:
        from dgfip_sandbox.gateway.metrics import prepare_multiprocess_dir

        prepare_multiprocess_dir(settings.var_dir / "metrics" / str(os.getpid()))
    specs = build_server_specs(
        settings, with_gateway=with_gateway, with_fc=with_fc, with_demo_fs=with_demo_fs, with_admin=with_admin
    )
    if not specs:
        typer.echo("rien à servir", err=True)
        return 2
    return server.run(specs, workers=workers, on_ready=on_ready)


@app.command("demo-fs")
def demo_fs(
    port: int | None = typer.Option(
        None, "--port", help="Port du fournisseur de service de démonstration (défaut 8446)"
    ),
) -> None:
    """Serve the demo service provider: a "S’identifier avec FranceConnect" button and the DGFiP data it fetches.

    Run it after `up`, in the same folder: it reads var/credentials.json for the gateway, FranceConnect
    and its own port (the one FranceConnect registered for it), so no port needs repeating."""
    settings = demo_fs_settings(load_settings(demo_fs_port=port))
    typer.echo(f"Fournisseur de service de démonstration : http://localhost:{settings.demo_fs_port}/")
    raise typer.Exit(run_servers(settings, with_gateway=False, with_fc=False, with_demo_fs=True))


def demo_fs_settings(settings: Settings) -> Settings:
    """The demo FS's settings, checked against what `up` registered (var/credentials.json).

    Its port: ``--port`` or ``DGFIP_SANDBOX_DEMO_FS_PORT`` when given, else the port of the redirect
    URIs FranceConnect registered for the demo FS. A port FranceConnect does not know, or no
    credentials.json at all, stops here with the fix, rather than failing later in the browser."""
    from dgfip_sandbox.demo_fs.credentials import load_gateway_access, registered_ports

    if load_gateway_access(settings) is None:
        typer.echo(
            f"erreur : {settings.credentials_path} introuvable ou sans le partenaire de démonstration : "
            "lancez d'abord « dgfip-sandbox up » dans ce dossier.",
            err=True,
        )
        raise typer.Exit(1)
    ports = registered_ports(settings)
    if not ports:
        return settings
    if "demo_fs_port" not in settings.model_fields_set:
        return settings.model_copy(update={"demo_fs_port": ports[0]})
    if settings.demo_fs_port not in ports:
        typer.echo(
            f"erreur : FranceConnect n'a pas enregistré le port {settings.demo_fs_port} pour le fournisseur de service "
            f"de démonstration (ports enregistrés : {', '.join(map(str, ports))}). Omettez --port, ou relancez "
            f"« DGFIP_SANDBOX_DEMO_FS_PORT={settings.demo_fs_port} dgfip-sandbox up » pour l'enregistrer.",
            err=True,
        )
        raise typer.Exit(1)
    return settings
