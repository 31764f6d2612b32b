"""Starting the sandbox: ``up`` (prepare and serve), ``prepare``, ``serve``, ``franceconnect``, ``demo-fs``."""

from __future__ import annotations

import asyncio
import functools
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from dgfip_sandbox.cli import options as opt
from dgfip_sandbox.cli.banner import banner
from dgfip_sandbox.cli.common import load_settings
from dgfip_sandbox.clock import clock_from_settings
from dgfip_sandbox.settings import Settings

if TYPE_CHECKING:
    from dgfip_sandbox.server import PortUnavailable

app = typer.Typer()

# Per server: what it is, and the option and variable that move it (the busy-port line names them).
SERVER_PORTS = {
    "gateway": ("passerelle APIM", "--port", "DGFIP_SANDBOX_PORT"),
    "franceconnect": ("service FranceConnect", "--fc-port", "DGFIP_SANDBOX_FC_PORT"),
    "admin": ("API d'administration", "--admin-port", "DGFIP_SANDBOX_ADMIN_PORT"),
    "demo-fs": ("fournisseur de service de démonstration", "--demo-fs-port", "DGFIP_SANDBOX_DEMO_FS_PORT"),
}


@app.command()
def up(
    port: opt.Port = None,
    host: opt.Host = None,
    fc_port: opt.FcPort = None,
    admin_port: opt.AdminPort = None,
    demo_fs_port: opt.DemoFsPort = None,
    workers: opt.Workers = 1,
    gateway: opt.WithGateway = True,
    franceconnect: opt.WithFc = True,
    demo_fs: opt.WithDemoFs = False,
    admin: opt.WithAdmin = True,
    log_format: opt.LogFormat = None,
    seed_size: opt.SeedSize = None,
    reset: opt.Reset = False,
    data: list[Path] = typer.Option(
        [], "--data", exists=True, dir_okay=False, help="Fichier de données de test YAML ou JSON (répétable)"
    ),
    ready_file: Path | None = typer.Option(
        None, "--ready-file", help="Fichier JSON écrit quand tous les ports écoutent (URLs, ports, identifiants)"
    ),
) -> None:
    """Préparer (migrations, PKI, données, partenaires, fichiers --data) puis servir le bac à sable.

    Les ports sont réservés avant toute préparation : un port occupé est signalé aussitôt."""
    from dgfip_sandbox.cli.data import load_data_files

    settings = load_settings(
        port=port,
        host=host,
        fc_port=fc_port,
        admin_port=admin_port,
        demo_fs_port=demo_fs_port,
        log_format=log_format,
        seed_size=seed_size,
    )
    flags = ServeFlags(gateway, franceconnect, demo_fs, admin)
    _refuse_workers(settings, workers)
    if ready_file is not None:
        ready_file.unlink(missing_ok=True)  # a file left by an earlier run would announce readiness too early
    sockets = bind_or_exit(settings, flags)
    now = clock_from_settings(settings).now()
    credentials = _prepare_or_exit(settings, now=now, reset=reset, sockets=sockets)
    # Loaded again at each `up`: what an earlier load of the same file created is replaced.
    loaded = load_data_files(data, replace=True, settings=settings)
    typer.echo(banner(settings, credentials, now=now))
    for path, created in loaded.items():
        counts = ", ".join(f"{len(items)} {kind}" for kind, items in created.items())
        typer.echo(f"Données de test {path} : {counts}")
    on_ready = None
    if ready_file is not None:
        on_ready = functools.partial(write_ready_file, ready_file, settings, credentials, loaded)
    raise typer.Exit(run_servers(settings, flags, workers=workers, sockets=sockets, on_ready=on_ready))


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
def prepare(seed_size: opt.SeedSize = None, reset: opt.Reset = False, log_format: opt.LogFormat = None) -> None:
    """Préparer seulement (migrations, PKI, données, partenaires, var/credentials.json) : l'init d'un déploiement."""
    settings = load_settings(seed_size=seed_size, log_format=log_format)
    _prepare_or_exit(settings, now=clock_from_settings(settings).now(), reset=reset)
    typer.echo(f"bac à sable préparé : {settings.credentials_path}")


@app.command()
def serve(
    port: opt.Port = None,
    host: opt.Host = None,
    fc_port: opt.FcPort = None,
    admin_port: opt.AdminPort = None,
    demo_fs_port: opt.DemoFsPort = None,
    workers: opt.Workers = 1,
    gateway: opt.WithGateway = True,
    franceconnect: opt.WithFc = True,
    demo_fs: opt.WithDemoFs = False,
    admin: opt.WithAdmin = True,
    log_format: opt.LogFormat = None,
) -> None:
    """Servir un bac à sable déjà préparé (une réplique : ni migration, ni génération de données)."""
    settings = load_settings(
        port=port, host=host, fc_port=fc_port, admin_port=admin_port, demo_fs_port=demo_fs_port, log_format=log_format
    )
    flags = ServeFlags(gateway, franceconnect, demo_fs, admin)
    _refuse_workers(settings, workers)
    sockets = bind_or_exit(settings, flags)
    raise typer.Exit(run_servers(settings, flags, workers=workers, sockets=sockets))


@dataclass(frozen=True)
class ServeFlags:
    """Which servers a command runs."""

    gateway: bool = True
    franceconnect: bool = True
    demo_fs: bool = False
    admin: bool = True

    def as_kwargs(self) -> dict[str, bool]:
        return {
            "with_gateway": self.gateway,
            "with_fc": self.franceconnect,
            "with_demo_fs": self.demo_fs,
            "with_admin": self.admin,
        }


def _refuse_workers(settings: Settings, workers: int) -> None:
    from dgfip_sandbox.workers import multiprocess_refusal

    refusal = multiprocess_refusal(settings, workers)
    if refusal:
        typer.echo(refusal, err=True)
        raise typer.Exit(2)


def port_unavailable_message(exc: PortUnavailable, options: dict[str, str] | None = None) -> str:
    """One French line: which port, for which server, and the option or variable that changes it."""
    what, option, variable = SERVER_PORTS.get(exc.name, (exc.name, "--port", "DGFIP_SANDBOX_PORT"))
    option = (options or {}).get(exc.name, option)
    state = "est déjà utilisé" if exc.in_use else f"n'est pas disponible ({exc.error.strerror or exc.error})"
    return f"erreur : le port {exc.port} ({exc.host}, {what}) {state} ; choisissez-en un autre avec {option} ou {variable}."


def bind_or_exit(
    settings: Settings, flags: ServeFlags, options: dict[str, str] | None = None
) -> dict[str, socket.socket]:
    from dgfip_sandbox import server
    from dgfip_sandbox.assembly import server_addresses

    addresses = server_addresses(settings, **flags.as_kwargs())
    if not addresses:
        typer.echo("erreur : rien à servir (toutes les options --no-… sont données)", err=True)
        raise typer.Exit(2)
    try:
        return server.bind_sockets(addresses)
    except server.PortUnavailable as exc:
        typer.echo(port_unavailable_message(exc, options), err=True)
        raise typer.Exit(1) from None


def _prepare_or_exit(
    settings: Settings, *, now: datetime, reset: bool, sockets: dict[str, socket.socket] | None = None
) -> dict[str, Any]:
    from dgfip_sandbox.bootstrap import prepare_sandbox
    from dgfip_sandbox.progress import terminal_reporter
    from dgfip_sandbox.seed.size import SeedSizeMismatch
    from dgfip_sandbox.seed.workers import WorkerFailed

    problem = _database_problem(settings)
    if problem is None:
        try:
            return prepare_sandbox(settings, now=now, reset=reset, progress=terminal_reporter())
        except (SeedSizeMismatch, WorkerFailed) as exc:  # said in one message; nothing written (rolled back)
            problem = str(exc)
    for sock in (sockets or {}).values():
        sock.close()
    typer.echo(f"erreur : {problem}", err=True)
    raise typer.Exit(1)


def _database_problem(settings: Settings) -> str | None:
    """Why the server database of ``settings`` cannot be used, in one French sentence, or None (SQLite, the
    embedded default, is a file in var/: nothing to reach). The URL is shown without its password."""
    if not settings.database_url:
        return None
    from sqlalchemy.engine import make_url

    from dgfip_sandbox.store.database import unreachable

    reason = asyncio.run(unreachable(settings.sqlalchemy_url))
    if reason is None:
        return None
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    return (
        f"la base de données {shown} ne répond pas ({reason}) ; vérifiez DGFIP_SANDBOX_DATABASE_URL "
        "et que le serveur est démarré"
    )


def run_servers(
    settings: Settings,
    flags: ServeFlags,
    *,
    workers: int = 1,
    sockets: dict[str, socket.socket] | None = None,
    on_ready: Callable[[dict[str, str]], None] | None = None,
) -> int:
    from dgfip_sandbox import server
    from dgfip_sandbox.assembly import build_server_specs

    if workers > 1:
        from dgfip_sandbox.gateway.metrics import prepare_multiprocess_dir

        prepare_multiprocess_dir(settings.var_dir / "metrics" / str(os.getpid()))
    specs = build_server_specs(
        settings,
        with_gateway=flags.gateway,
        with_fc=flags.franceconnect,
        with_demo_fs=flags.demo_fs,
        with_admin=flags.admin,
    )
    return server.run(specs, workers=workers, sockets=sockets, on_ready=on_ready)


@app.command("demo-fs")
def demo_fs(
    port: int | None = typer.Option(
        None, "--port", help="Port du fournisseur de service de démonstration (défaut 8446)"
    ),
    log_format: opt.LogFormat = None,
) -> None:
    """Servir le fournisseur de service de démonstration : un bouton « S'identifier avec FranceConnect » et les données DGFiP obtenues.

    À lancer après « up », dans le même dossier : il lit var/credentials.json pour la passerelle,
    FranceConnect et son propre port (celui que FranceConnect a enregistré), sans port à répéter."""
    settings = demo_fs_settings(load_settings(demo_fs_port=port, log_format=log_format))
    flags = ServeFlags(gateway=False, franceconnect=False, demo_fs=True, admin=False)
    sockets = bind_or_exit(settings, flags, options={"demo-fs": "--port"})
    typer.echo(f"Fournisseur de service de démonstration : http://localhost:{settings.demo_fs_port}/")
    raise typer.Exit(run_servers(settings, flags, sockets=sockets))


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
