"""``consumers …`` and ``reset``: consumer administration, the same service as the admin API."""

from __future__ import annotations

import json

import typer

from dgfip_sandbox.cli.common import print_data, run_admin

consumers_app = typer.Typer(no_args_is_help=True, help="Administration des partenaires (consommateurs d'API).")


@consumers_app.command("list")
def consumers_list(as_json: bool = typer.Option(False, "--json", help="Sortie JSON")) -> None:
    """Lister les partenaires."""
    rows = run_admin(lambda s: s.list_consumers())
    print_data(
        rows,
        as_json,
        [
            f"{r['name']:24} {'actif' if r['active'] else 'désactivé':10} {r['quota_per_minute']:>4}/min  "
            f"{len(r['oauth_scopes'])} scopes OAuth, {len(r['datapass_scopes'])} scopes DataPass  {r['organisation']}"
            for r in rows
        ],
    )


@consumers_app.command("show")
def consumers_show(name: str, as_json: bool = typer.Option(False, "--json", help="Sortie JSON")) -> None:
    """Afficher un partenaire, ses certificats et (avec Redis) son quota consommé."""
    print_data(run_admin(lambda s: s.show(name), quota=True), True)


@consumers_app.command("add")
def consumers_add(
    name: str,
    organisation: str = typer.Option(..., help="Organisation du partenaire"),
    application: str = typer.Option("Application", help="Nom de l'application"),
    oauth_scope: list[str] = typer.Option([], "--oauth-scope", help="Scope OAuth (répétable)"),
    datapass_scope: list[str] = typer.Option([], "--datapass-scope", help="Scope DataPass (répétable)"),
    allowed_ip: list[str] = typer.Option([], "--allowed-ip", help="CIDR autorisé (répétable ; défaut : boucle locale)"),
    quota: int = typer.Option(200, help="Palier de quota : 200, 500 ou 750 appels/minute"),
    id_teleservice: str | None = typer.Option(
        None, "--id-teleservice", help="Identifiant de téléservice (ID_Teleservice)"
    ),
    siret: str | None = typer.Option(None, help="SIRET du partenaire"),
    modality: list[str] = typer.Option([], "--modality", help="Modalité FICOBA (répétable)"),
    motif: list[str] = typer.Option([], "--motif", help="Motif FICOBA (répétable)"),
    no_scenarios: bool = typer.Option(False, "--no-scenarios", help="Sans l'option d'injection de scénarios"),
    no_cert: bool = typer.Option(False, "--no-cert", help="Ne pas émettre de certificat client"),
) -> None:
    """Inscrire un partenaire ; son secret client (et son certificat) ne sont affichés que cette fois."""
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
    print_data(run_admin(lambda s: s.add(spec)), True)
    typer.echo("Le secret client ci-dessus ne sera plus jamais affiché.", err=True)


@consumers_app.command("disable")
def consumers_disable(name: str) -> None:
    """Désactiver un partenaire (ses certificats et jetons sont refusés aussitôt)."""
    run_admin(lambda s: s.set_active(name, False))
    typer.echo(f"{name} : désactivé")


@consumers_app.command("enable")
def consumers_enable(name: str) -> None:
    """Réactiver un partenaire désactivé."""
    run_admin(lambda s: s.set_active(name, True))
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
    """Accorder (ou retirer avec --remove) scopes DataPass, scopes OAuth, modalités et motifs FICOBA."""
    row = run_admin(
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
def consumers_quota(
    name: str,
    tier: int = typer.Argument(..., help="200, 500 ou 750 ; avec --api, un palier DataPass de cette API"),
    api: str | None = typer.Option(
        None,
        "--api",
        help="impot_particulier (50, 100, 200, 500, 750, 1000) ou ficoba (200, 500, 700) ; absent : toutes les API",
    ),
) -> None:
    """Fixer le palier de quota (toutes les API, ou une seule avec --api)."""
    run_admin(lambda s: s.set_quota(name, tier, api))
    typer.echo(f"{name} : {tier} appels/minute" + (f" sur {api}" if api else ""))


@consumers_app.command("scenario")
def consumers_scenario(
    name: str, scenario: str | None = typer.Argument(None, help="ex. « error=503 » ; absent : effacer")
) -> None:
    """Fixer (ou effacer) le scénario permanent du partenaire (docs/scenarios.md)."""
    row = run_admin(lambda s: s.set_scenario(name, scenario))
    typer.echo(f"{name} : scénario {row['sandbox_scenario'] or 'aucun'}")


@consumers_app.command("rotate-secret")
def consumers_rotate_secret(name: str) -> None:
    """Émettre un nouveau secret client (affiché cette fois seulement) ; le précédent cesse de fonctionner."""
    print_data(run_admin(lambda s: s.rotate_secret(name)), True)
    typer.echo("Le secret client ci-dessus ne sera plus jamais affiché.", err=True)


@consumers_app.command("issue-cert")
def consumers_issue_cert(
    name: str, rotate: bool = typer.Option(False, "--rotate", help="Révoquer les certificats en vigueur")
) -> None:
    """Émettre un certificat client (avec --rotate, révoquer ceux en vigueur)."""
    print_data(run_admin(lambda s: s.issue_certificate(name, revoke_previous=rotate)), True)


@consumers_app.command("revoke-cert")
def consumers_revoke_cert(
    name: str, fingerprint: str | None = typer.Option(None, help="Empreinte SHA-256 ; absent : tous ceux en vigueur")
) -> None:
    """Révoquer un certificat client ; la CRL est réécrite et la passerelle la suit aussitôt."""
    result = run_admin(lambda s: s.revoke_certificate(name, fingerprint))
    for revoked in result["revoked"]:
        typer.echo(f"{name} : certificat {revoked} révoqué")


@consumers_app.command("link-fs")
def consumers_link_fs(
    name: str,
    fs: str = typer.Argument(..., help="Nom du fournisseur de service FranceConnect (franceconnect fs list)"),
) -> None:
    """Lier le partenaire à un fournisseur de service FranceConnect : ses routes FranceConnect acceptent les jetons de ce FS."""
    row = run_admin(lambda s: s.link_fs(name, fs), franceconnect=True)
    typer.echo(
        f"{name} : jetons FranceConnect du fournisseur de service « {fs} » acceptés ({row['fc_client_id'][:16]}…)"
    )


reset_app = typer.Typer()


@reset_app.command()
def reset(yes: bool = typer.Option(False, "--yes", help="Ne pas demander de confirmation")) -> None:
    """Remettre le bac à sable dans son état initial (partenaires de démonstration d'origine, autres supprimés, journal vidé)."""
    if not yes:
        typer.confirm("Remettre le bac à sable dans son état initial ?", abort=True)
    result = run_admin(lambda s: s.reset(), quota=True)
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
