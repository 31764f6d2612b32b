"""The ``dgfip-sandbox`` command line."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from dgfip_sandbox.clock import clock_from_offset
from dgfip_sandbox.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Bac à sable local de l'API Management de la DGFiP.")


def _settings(**overrides: Any) -> Settings:
    from dgfip_sandbox.logs import configure_logging

    settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    configure_logging(settings.log_level)
    return settings


def banner_year(now: datetime) -> int:
    """The latest income year whose IR assessment is published (the taxation calendar's)."""
    from dgfip_sandbox.apis.impot_particulier.calendar import latest_taxed_annrev

    return latest_taxed_annrev(now)


def banner(settings: Settings, credentials: dict[str, Any], *, now: datetime) -> str:
    from dgfip_sandbox import pki
    from dgfip_sandbox.gateway.app import signing_key_path
    from dgfip_sandbox.gateway.tokens import TokenService, load_or_create_signing_key
    from dgfip_sandbox.seed import all_personas

    consumer = credentials["consumers"][0]
    tokens = TokenService(
        load_or_create_signing_key(signing_key_path(settings)),
        issuer=settings.token_issuer,
        ttl_seconds=settings.token_ttl_seconds,
    )
    cert = pki.load_pem_cert(Path(consumer["cert"]).read_bytes())
    token, _ = tokens.issue(
        client_id=consumer["client_id"],
        organisation=consumer["organisation"],
        application=consumer["name"],
        scopes=consumer["oauth_scopes"],
        cert_thumbprint=pki.x5t_s256(cert),
        now=now,
    )
    personas = [p for p in all_personas() if p.get("api", "impot_particulier") == "impot_particulier"]
    spi = next((p["spi"] for p in personas if p.get("banner")), personas[0]["spi"] if personas else "0000000000000")
    base = credentials["gateway"]["base_url"]
    lines = [
        "",
        "Bac à sable DGFiP démarré",
        f"  passerelle APIM   {base}   (mTLS, CA : {credentials['gateway']['ca_cert']})",
    ]
    if "franceconnect" in credentials:
        lines.append(f"  FranceConnect     {settings.franceconnect_base_url}/api/v2")
    if "admin" in credentials:
        lines.append(f"  administration    {credentials['admin']['portal']}   (jeton : var/credentials.json → admin)")
    lines += [
        "  identifiants      var/credentials.json   personas : dgfip-sandbox personas",
        "",
        f"Premier appel ({consumer['name']}, jeton valable {settings.token_ttl_seconds // 60} min) :",
        "",
        f"curl --cacert {credentials['gateway']['ca_cert']} --cert {consumer['cert']} --key {consumer['key']} \\",
        f'  -H "Authorization: Bearer {token}" \\',
        f'  -H "X-Correlation-ID: {uuid.uuid4()}" -H "ID_Teleservice: {consumer["id_teleservice"]}" \\',
        f"  {base}/impotparticulier/1.0/spi/{spi}/situations/ir/assiettes/annrev/{banner_year(now)}",
        "",
    ]
    return "\n".join(lines)


WORKERS_HELP = "Processus de passerelle partageant les ports (exige Redis et PostgreSQL au-delà de 1)"


@app.command()
def up(
    port: int | None = typer.Option(None, help="Port HTTPS de la passerelle (défaut 8443)"),
    host: str | None = typer.Option(None, help="Adresse d'écoute (défaut 127.0.0.1)"),
    fc_port: int | None = typer.Option(None, "--fc-port", help="Port du service FranceConnect (défaut 8444)"),
    seed_size: int | None = typer.Option(None, help="Nombre de foyers fiscaux générés (défaut 2000)"),
    workers: int = typer.Option(1, "--workers", min=1, help=WORKERS_HELP),
) -> None:
    """Prepare (migrate, PKI, seed, consumers) and serve the sandbox."""
    from dgfip_sandbox.bootstrap import prepare_sandbox

    settings = _settings(port=port, host=host, fc_port=fc_port, seed_size=seed_size)
    _refuse_workers(settings, workers)
    now = clock_from_offset(settings.clock_offset_seconds).now()
    credentials = prepare_sandbox(settings, now=now)
    typer.echo(banner(settings, credentials, now=now))
    raise typer.Exit(_run_servers(settings, workers=workers))


@app.command()
def prepare(
    seed_size: int | None = typer.Option(None, help="Nombre de foyers fiscaux générés (défaut 2000)"),
) -> None:
    """Only prepare (migrate, PKI, seed, consumers, var/credentials.json): the one-shot init of a deployment."""
    from dgfip_sandbox.bootstrap import prepare_sandbox

    settings = _settings(seed_size=seed_size)
    prepare_sandbox(settings, now=clock_from_offset(settings.clock_offset_seconds).now())
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
    settings = _settings(port=port, host=host)
    _refuse_workers(settings, workers)
    raise typer.Exit(
        _run_servers(
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


def _run_servers(
    settings: Settings,
    *,
    workers: int = 1,
    with_gateway: bool = True,
    with_fc: bool = True,
    with_demo_fs: bool = False,
    with_admin: bool = True,
) -> int:
    from dgfip_sandbox import server

    if workers > 1:
        from dgfip_sandbox.gateway.metrics import prepare_multiprocess_dir

        prepare_multiprocess_dir(settings.var_dir / "metrics" / str(os.getpid()))
    specs = build_server_specs(
        settings, with_gateway=with_gateway, with_fc=with_fc, with_demo_fs=with_demo_fs, with_admin=with_admin
    )
    if not specs:
        typer.echo("rien à servir", err=True)
        return 2
    return server.run(specs, workers=workers)


def build_server_specs(
    settings: Settings,
    *,
    with_gateway: bool = True,
    with_fc: bool = True,
    with_demo_fs: bool = False,
    with_admin: bool = True,
) -> list[Any]:
    from dgfip_sandbox import pki, server
    from dgfip_sandbox.admin.app import create_admin_app
    from dgfip_sandbox.gateway.app import build_quota_store, create_gateway_app

    clock = clock_from_offset(settings.clock_offset_seconds)
    grace = settings.graceful_shutdown_seconds
    specs = []
    sandbox_pki = pki.ensure_pki(settings.certs_dir, [], now=clock.now())
    # One quota store for the gateway and the admin app: the portal shows the calls counted now.
    quota = build_quota_store(settings)
    if with_gateway:
        gateway_app = create_gateway_app(settings, clock=clock, quota_store=quota)
        specs.append(
            server.ServerSpec(
                name="gateway",
                app=gateway_app,
                host=settings.host,
                port=settings.port,
                ssl_context=server.server_ssl_context(sandbox_pki),
                timeout_graceful_shutdown=grace,
            )
        )
    if with_fc:
        try:
            from dgfip_sandbox.franceconnect.app import create_franceconnect_app
        except ModuleNotFoundError:
            pass
        else:
            specs.append(
                server.ServerSpec(
                    name="franceconnect",
                    app=create_franceconnect_app(settings, clock=clock),
                    host=settings.fc_host,
                    port=settings.fc_port,
                    ssl_context=server.server_ssl_context(sandbox_pki, client_auth=False)
                    if settings.fc_https
                    else None,
                    timeout_graceful_shutdown=grace,
                )
            )
    if with_gateway and with_admin:
        specs.append(
            server.ServerSpec(
                name="admin",
                app=create_admin_app(settings, quota_store=quota, gateway_openapi=gateway_app.openapi()),
                host="127.0.0.1",  # never another interface: the admin app also refuses non-loopback peers
                port=settings.admin_port,
                ssl_context=None,
            )
        )
    if with_demo_fs:
        from dgfip_sandbox.demo_fs.app import create_demo_fs_app

        specs.append(
            server.ServerSpec(
                name="demo-fs",
                app=create_demo_fs_app(settings, clock=clock),
                host=settings.demo_fs_host,
                port=settings.demo_fs_port,
                ssl_context=None,
                timeout_graceful_shutdown=grace,
            )
        )
    return specs


@app.command()
def franceconnect(
    fc_port: int | None = typer.Option(None, "--fc-port", help="Port du service FranceConnect (défaut 8444)"),
    https: bool = typer.Option(False, "--https", help="Servir en HTTPS avec le certificat serveur du bac à sable"),
) -> None:
    """Serve the FranceConnect-like service alone (after a first `up`)."""
    settings = _settings(fc_port=fc_port, fc_https=https or None)
    typer.echo(
        f"FranceConnect (bac à sable) : {settings.franceconnect_base_url}/api/v2/.well-known/openid-configuration"
    )
    raise typer.Exit(_run_servers(settings, with_gateway=False, with_fc=True))


@app.command("demo-fs")
def demo_fs(
    port: int | None = typer.Option(
        None, "--port", help="Port du fournisseur de service de démonstration (défaut 8446)"
    ),
) -> None:
    """Serve the demo service provider: a "S'identifier avec FranceConnect" button and the DGFiP data it fetches.

    Run it after `up`, in the same folder: it reads var/credentials.json for the gateway, FranceConnect
    and its own port (the one FranceConnect registered for it), so no port needs repeating."""
    settings = demo_fs_settings(_settings(demo_fs_port=port))
    typer.echo(f"Fournisseur de service de démonstration : http://localhost:{settings.demo_fs_port}/")
    raise typer.Exit(_run_servers(settings, with_gateway=False, with_fc=False, with_demo_fs=True))


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


@app.command("fc-events")
def fc_events(
    limit: int = typer.Option(50, help="Nombre d'événements"),
    event_type: str | None = typer.Option(None, "--type", help="Filtrer par type d'événement"),
) -> None:
    """List FranceConnect's recorded events (consent shown, consent given, checktoken verified…)."""
    from dgfip_sandbox.store.database import create_engine, create_sessionmaker
    from dgfip_sandbox.store.franceconnect import list_events

    settings = _settings()

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
def personas(as_json: bool = typer.Option(False, "--json", help="Sortie JSON")) -> None:
    """List the seeded test personas."""
    from dgfip_sandbox.seed import all_personas

    found = all_personas()
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for persona in found:
        ident = persona.get("spi") or persona.get("iban") or persona.get("siren") or ""
        typer.echo(f"{persona.get('api', ''):18} {ident:28} {persona['case']:28} {persona['description']}")


audit_app = typer.Typer(add_completion=False, help="Traces d'audit : consultation et purge.")
app.add_typer(audit_app, name="audit")


@audit_app.callback(invoke_without_command=True)
def audit(
    ctx: typer.Context,
    consumer: str | None = typer.Option(None, "--consumer", help="Nom du partenaire"),
    limit: int = typer.Option(50, help="Nombre de traces"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Show one consumer's own audit records (``audit --consumer NAME``), or purge old ones (``audit purge``)."""
    if ctx.invoked_subcommand is not None:
        return
    if not consumer:
        raise typer.BadParameter("--consumer NOM est requis (ou la sous-commande purge)", param_hint="--consumer")
    from dgfip_sandbox.store import audit as audit_store
    from dgfip_sandbox.store import consumers
    from dgfip_sandbox.store.database import create_engine, create_sessionmaker

    settings = _settings()

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
    """Delete the audit records older than the retention period (two years by default, as the CGU say)."""
    from dgfip_sandbox.store.audit_retention import purge_expired

    settings = _settings()
    days = retention_days or settings.audit_retention_days
    now = clock_from_offset(settings.clock_offset_seconds).now()
    result = asyncio.run(purge_expired(settings.sqlalchemy_url, retention_days=days, now=now, dry_run=dry_run))
    verb = "à supprimer" if dry_run else "supprimées"
    typer.echo(
        f"traces d'audit antérieures au {result.cutoff.isoformat(timespec='seconds')} ({days} jours) {verb} : {result.count}"
    )


# --------------------------------------------------------------------------------------------------
# Consumer administration (the same service as the admin API)

consumers_app = typer.Typer(no_args_is_help=True, help="Administration des partenaires (consommateurs d'API).")
app.add_typer(consumers_app, name="consumers")


def _run_admin(operation: Any, *, quota: bool = False) -> Any:
    """Run ``operation(service)`` against the configured database; admin errors exit with status 1."""
    from dgfip_sandbox.admin.errors import AdminError
    from dgfip_sandbox.admin.service import ConsumerAdmin
    from dgfip_sandbox.store.database import create_engine, create_sessionmaker

    settings = _settings()

    async def run() -> Any:
        engine = create_engine(settings.sqlalchemy_url, pool_size=1)
        store = None
        if quota and settings.redis_url:
            from dgfip_sandbox.gateway.app import build_quota_store

            store = build_quota_store(settings)
        try:
            service = ConsumerAdmin(
                settings,
                create_sessionmaker(engine),
                clock=clock_from_offset(settings.clock_offset_seconds),
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


def _print(data: Any, as_json: bool, lines: list[str] | None = None) -> None:
    if as_json or lines is None:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        typer.echo("\n".join(lines))


@consumers_app.command("list")
def consumers_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """List the consumers."""
    rows = _run_admin(lambda s: s.list_consumers())
    _print(
        rows,
        as_json,
        [
            f"{r['name']:24} {'actif' if r['active'] else 'désactivé':10} {r['quota_per_minute']:>4}/min  "
            f"{len(r['oauth_scopes'])} scopes OAuth, {len(r['datapass_scopes'])} scopes DataPass  {r['organisation']}"
            for r in rows
        ],
    )


@consumers_app.command("show")
def consumers_show(name: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Show one consumer, its certificates and (with Redis) its quota used now."""
    _print(_run_admin(lambda s: s.show(name), quota=True), True)


@consumers_app.command("add")
def consumers_add(
    name: str,
    organisation: str = typer.Option(..., help="Organisation du partenaire"),
    application: str = typer.Option("Application", help="Nom de l'application"),
    oauth_scope: list[str] = typer.Option([], "--oauth-scope", help="Scope OAuth (répétable)"),
    datapass_scope: list[str] = typer.Option([], "--datapass-scope", help="Scope DataPass (répétable)"),
    allowed_ip: list[str] = typer.Option([], "--allowed-ip", help="CIDR autorisé (répétable ; défaut : boucle locale)"),
    quota: int = typer.Option(200, help="Palier de quota : 200, 500 ou 750 appels/minute"),
    id_teleservice: str | None = typer.Option(None, "--id-teleservice"),
    siret: str | None = typer.Option(None),
    modality: list[str] = typer.Option([], "--modality", help="Modalité FICOBA (répétable)"),
    motif: list[str] = typer.Option([], "--motif", help="Motif FICOBA (répétable)"),
    no_scenarios: bool = typer.Option(False, "--no-scenarios", help="Sans l'option d'injection de scénarios"),
    no_cert: bool = typer.Option(False, "--no-cert", help="Ne pas émettre de certificat client"),
) -> None:
    """Register a consumer; its client secret (and certificate) are printed this once."""
    from dgfip_sandbox.admin.service import NewConsumer

    spec = NewConsumer(
        name=name,
        organisation=organisation,
        application=application,
        oauth_scopes=oauth_scope,
        datapass_scopes=datapass_scope,
        quota_per_minute=quota,
        id_teleservice=id_teleservice,
        siret=siret,
        ficoba_modalities=modality,
        ficoba_motifs=motif,
        sandbox_options=[] if no_scenarios else ["scenarios"],
        issue_certificate=not no_cert,
    )
    if allowed_ip:
        spec.allowed_ips = allowed_ip
    _print(_run_admin(lambda s: s.add(spec)), True)
    typer.echo("Le secret client ci-dessus ne sera plus jamais affiché.", err=True)


@consumers_app.command("disable")
def consumers_disable(name: str) -> None:
    """Disable a consumer (its certificates and tokens are refused at once)."""
    _run_admin(lambda s: s.set_active(name, False))
    typer.echo(f"{name} : désactivé")


@consumers_app.command("enable")
def consumers_enable(name: str) -> None:
    """Enable a disabled consumer again."""
    _run_admin(lambda s: s.set_active(name, True))
    typer.echo(f"{name} : actif")


@consumers_app.command("grant")
def consumers_grant(
    name: str,
    datapass_scope: list[str] = typer.Option([], "--datapass-scope", help="Scope DataPass (répétable)"),
    oauth_scope: list[str] = typer.Option([], "--oauth-scope", help="Scope OAuth (répétable)"),
    modality: list[str] = typer.Option([], "--modality", help="Modalité FICOBA (répétable)"),
    motif: list[str] = typer.Option([], "--motif", help="Motif FICOBA (répétable)"),
    remove: bool = typer.Option(False, "--remove", help="Retirer au lieu d'accorder"),
) -> None:
    """Grant (or --remove) DataPass scopes, OAuth scopes, FICOBA modalities and motifs."""
    row = _run_admin(
        lambda s: s.grant(
            name,
            datapass_scopes=datapass_scope,
            oauth_scopes=oauth_scope,
            modalities=modality,
            motifs=motif,
            remove=remove,
        )
    )
    typer.echo(
        f"{name} : OAuth {' '.join(row['oauth_scopes']) or '-'} | DataPass {' '.join(row['datapass_scopes']) or '-'} | "
        f"modalités {' '.join(row['ficoba_modalities']) or '-'} | motifs {' '.join(row['ficoba_motifs']) or '-'}"
    )


@consumers_app.command("quota")
def consumers_quota(name: str, tier: int = typer.Argument(..., help="200, 500 ou 750")) -> None:
    """Set the quota tier (200, 500 or 750 calls per minute)."""
    _run_admin(lambda s: s.set_quota(name, tier))
    typer.echo(f"{name} : {tier} appels/minute")


@consumers_app.command("scenario")
def consumers_scenario(
    name: str, scenario: str | None = typer.Argument(None, help="ex. « error=503 » ; absent : effacer")
) -> None:
    """Set (or clear) the consumer's standing scenario (docs/scenarios.md)."""
    row = _run_admin(lambda s: s.set_scenario(name, scenario))
    typer.echo(f"{name} : scénario {row['sandbox_scenario'] or 'aucun'}")


@consumers_app.command("rotate-secret")
def consumers_rotate_secret(name: str) -> None:
    """Issue a new client secret (printed this once); the previous one stops working."""
    _print(_run_admin(lambda s: s.rotate_secret(name)), True)
    typer.echo("Le secret client ci-dessus ne sera plus jamais affiché.", err=True)


@consumers_app.command("issue-cert")
def consumers_issue_cert(
    name: str, rotate: bool = typer.Option(False, "--rotate", help="Révoquer les certificats en vigueur")
) -> None:
    """Issue a client certificate (with --rotate, revoke the ones in force)."""
    _print(_run_admin(lambda s: s.issue_certificate(name, revoke_previous=rotate)), True)


@consumers_app.command("revoke-cert")
def consumers_revoke_cert(
    name: str, fingerprint: str | None = typer.Option(None, help="Empreinte SHA-256 ; absent : tous ceux en vigueur")
) -> None:
    """Revoke a client certificate; the CRL is rewritten and the gateway follows at once."""
    result = _run_admin(lambda s: s.revoke_certificate(name, fingerprint))
    for revoked in result["revoked"]:
        typer.echo(f"{name} : certificat {revoked} révoqué")


@app.command()
def reset(yes: bool = typer.Option(False, "--yes", help="Ne pas demander de confirmation")) -> None:
    """Reset the sandbox to its seed (demo consumers as shipped, others removed, journal emptied)."""
    if not yes:
        typer.confirm("Remettre le bac à sable dans son état initial ?", abort=True)
    result = _run_admin(lambda s: s.reset(), quota=True)
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))


@app.command()
def journal(
    consumer: str = typer.Option(..., "--consumer", help="Nom du partenaire"),
    follow: bool = typer.Option(False, "--follow", "-f", help="Continuer d'afficher les nouveaux appels"),
    limit: int = typer.Option(20, help="Nombre d'appels affichés d'abord"),
    as_json: bool = typer.Option(False, "--json", help="Une ligne JSON par appel"),
) -> None:
    """Show a consumer's request journal (headers, bodies, decision trace); --follow tails it."""
    from dgfip_sandbox.admin.journal_tail import format_entry, tail

    def emit(entry: dict[str, Any]) -> None:
        typer.echo(json.dumps(entry, ensure_ascii=False) if as_json else format_entry(entry))

    try:
        _run_admin(lambda s: tail(s, consumer, emit=emit, limit=limit, follow=follow, sleep=asyncio.sleep))
    except KeyboardInterrupt:
        pass


def main() -> None:
    app()


if __name__ == "__main__":
    main()
