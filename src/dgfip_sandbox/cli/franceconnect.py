"""``franceconnect``: serve the FranceConnect-like service alone (the group's default), and administer
it: ``franceconnect fs add|list|show|remove`` (your own service providers) and ``franceconnect idp
add|list|remove`` (test identities of the identity provider). The same operations as the admin API
(admin/franceconnect.py), audited in the admin trail."""

from __future__ import annotations

import typer

from dgfip_sandbox.cli import options as opt
from dgfip_sandbox.cli.common import load_settings, print_data, run_admin

franceconnect_app = typer.Typer(
    invoke_without_command=True,
    help="Service FranceConnect du bac à sable : le servir seul (sans sous-commande), ses fournisseurs de service "
    "(fs) et ses identités de test (idp).",
)
fs_app = typer.Typer(no_args_is_help=True, help="Vos fournisseurs de service (FS) FranceConnect.")
idp_app = typer.Typer(no_args_is_help=True, help="Les identités de test du fournisseur d'identité de démonstration.")
franceconnect_app.add_typer(fs_app, name="fs")
franceconnect_app.add_typer(idp_app, name="idp")

SHOWN_ONCE = "Le secret client ci-dessus ne sera plus jamais affiché."


@franceconnect_app.callback()
def franceconnect(
    ctx: typer.Context,
    fc_port: opt.FcPort = None,
    https: bool = typer.Option(False, "--https", help="Servir en HTTPS avec le certificat serveur du bac à sable"),
    log_format: opt.LogFormat = None,
) -> None:
    """Servir seul le service FranceConnect du bac à sable (après un premier « up »), sauf sous-commande."""
    if ctx.invoked_subcommand is not None:
        return
    from dgfip_sandbox.cli.run import ServeFlags, bind_or_exit, run_servers

    settings = load_settings(fc_port=fc_port, fc_https=https or None, log_format=log_format)
    flags = ServeFlags(gateway=False, franceconnect=True, admin=False)
    sockets = bind_or_exit(settings, flags)
    typer.echo(
        f"FranceConnect (bac à sable) : {settings.franceconnect_base_url}/api/v2/.well-known/openid-configuration"
    )
    raise typer.Exit(run_servers(settings, flags, sockets=sockets))


# --- fs -------------------------------------------------------------------------------------------


@fs_app.command("add")
def fs_add(
    name: str = typer.Argument(..., help="Nom du FS (minuscules, chiffres, . _ -) ; son client_id en dérive"),
    redirect_uri: list[str] = typer.Option(..., "--redirect-uri", help="Adresse de retour (répétable)"),
    post_logout_uri: list[str] = typer.Option(
        [], "--post-logout-uri", help="Adresse de retour après déconnexion (répétable)"
    ),
    alg: str = typer.Option("ES256", "--alg", help="Signature de l'id_token et du userinfo : ES256, RS256 ou HS256"),
    auth: str = typer.Option(
        "client_secret_post", "--auth", help="Authentification à /token : client_secret_post ou private_key_jwt"
    ),
    jwks_uri: str | None = typer.Option(None, "--jwks-uri", help="Adresse du JWKS du FS (private_key_jwt)"),
    scopes: list[str] = typer.Option(
        [], "--scopes", help="Scopes autorisés, séparés par des espaces ou répétés (défaut : openid identite_pivot)"
    ),
    private: bool = typer.Option(False, "--private", help="FS privé : consentement explicite (case à cocher)"),
    title: str | None = typer.Option(None, "--title", help="Nom affiché sur les pages FranceConnect (défaut : NAME)"),
) -> None:
    """Enregistrer votre propre fournisseur de service ; son client_id et son secret sont affichés (le secret une seule fois)."""
    from dgfip_sandbox.admin.franceconnect import DEFAULT_FS_SCOPES, NewServiceProvider

    spec = NewServiceProvider(
        name=name,
        redirect_uris=redirect_uri,
        post_logout_redirect_uris=post_logout_uri,
        title=title,
        alg=alg,
        auth=auth,
        jwks_uri=jwks_uri,
        scopes=[s for value in scopes for s in value.split()] or list(DEFAULT_FS_SCOPES),
        private=private,
    )
    print_data(run_admin(lambda s: s.add_fs(spec), franceconnect=True), True)
    typer.echo(SHOWN_ONCE, err=True)


@fs_app.command("list")
def fs_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Lister les fournisseurs de service (ceux de démonstration et les vôtres)."""
    rows = run_admin(lambda s: s.list_fs(), franceconnect=True)
    print_data(
        rows,
        as_json,
        [
            f"{r['name'][:40]:40} {r['client_id'][:16]}…  {r['alg']:5} {r['auth']:18} {r['type']:7} "
            f"{len(r['scopes'])} scopes  {' '.join(r['redirect_uris'])[:80]}"
            for r in rows
        ],
    )


@fs_app.command("show")
def fs_show(name: str) -> None:
    """Afficher un fournisseur de service (sans secret)."""
    print_data(run_admin(lambda s: s.show_fs(name), franceconnect=True), True)


@fs_app.command("remove")
def fs_remove(name: str) -> None:
    """Supprimer un fournisseur de service : FranceConnect le refuse aussitôt (authorize, token, ses jetons)."""
    run_admin(lambda s: s.remove_fs(name), franceconnect=True)
    typer.echo(f"{name} : retiré")


# --- idp ------------------------------------------------------------------------------------------


@idp_app.command("add")
def idp_add(
    login: str = typer.Argument(..., help="Identifiant de connexion (mot de passe : 123)"),
    spi: str | None = typer.Option(
        None, "--spi", help="Numéro fiscal d'un déclarant : son état civil complète l'identité"
    ),
    given_name: str | None = typer.Option(None, "--given-name", help="Prénoms"),
    family_name: str | None = typer.Option(None, "--family-name", help="Nom de naissance"),
    birthdate: str | None = typer.Option(None, "--birthdate", help="Date de naissance AAAA-MM-JJ"),
    gender: str | None = typer.Option(None, "--gender", help="male ou female"),
    birthplace: str | None = typer.Option(None, "--birthplace", help="Code COG de la commune de naissance"),
    birthcountry: str | None = typer.Option(None, "--birthcountry", help="Code COG du pays de naissance (99100)"),
    email: str | None = typer.Option(None, "--email", help="Adresse électronique"),
    preferred_username: str | None = typer.Option(None, "--preferred-username", help="Nom d'usage"),
    description: str | None = typer.Option(None, "--description", help="Description dans le sélecteur"),
) -> None:
    """Ajouter une identité de test au fournisseur d'identité de démonstration : elle apparaît aussitôt au choix."""
    from dgfip_sandbox.admin.franceconnect import NewIdentity

    spec = NewIdentity(
        login=login,
        spi=spi,
        given_name=given_name,
        family_name=family_name,
        birthdate=birthdate,
        gender=gender,
        birthplace=birthplace,
        birthcountry=birthcountry,
        email=email,
        preferred_username=preferred_username,
        description=description,
    )
    print_data(run_admin(lambda s: s.add_identity(spec), franceconnect=True), True)


@idp_app.command("list")
def idp_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Lister les identités de test (identifiant, état civil, SPI trouvé par la réconciliation)."""
    rows = run_admin(lambda s: s.list_identities(), franceconnect=True)
    print_data(
        rows,
        as_json,
        [
            f"{r['login'][:24]:24} {r['given_name'][:24]:24} {r['family_name'][:20]:20} {r['birthdate']} "
            f"{r['expected_spi'] or '-':13}  {r['email'] or ''}"
            for r in rows
        ],
    )


@idp_app.command("remove")
def idp_remove(login: str) -> None:
    """Supprimer une identité de test (et ses sessions et jetons FranceConnect)."""
    run_admin(lambda s: s.remove_identity(login), franceconnect=True)
    typer.echo(f"{login} : retirée")
