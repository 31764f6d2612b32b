"""The ``dgfip-sandbox`` command line: one module per command group.

- ``run``: up, prepare, serve, demo-fs
- ``franceconnect``: franceconnect (serve it alone), franceconnect fs …, franceconnect idp …
- ``info``: personas, fc-events, journal
- ``audit``: audit, audit purge
- ``consumers``: consumers … (link-fs included), reset
- ``data``: data add, data remove, data list
- ``export``: export openapi | postman | bruno
- ``health``: health (the container healthchecks)
"""

from __future__ import annotations

import typer

from dgfip_sandbox.cli import audit, consumers, data, export, franceconnect, health, info, run
from dgfip_sandbox.cli.banner import banner, banner_year
from dgfip_sandbox.cli.help import french_help
from dgfip_sandbox.cli.run import demo_fs_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Bac à sable local de l'API Management de la DGFiP.")
for group in (run.app, info.app, consumers.reset_app, export.app, health.app):
    app.registered_commands.extend(group.registered_commands)
app.add_typer(audit.audit_app, name="audit")
app.add_typer(consumers.consumers_app, name="consumers")
app.add_typer(data.data_app, name="data")
app.add_typer(franceconnect.franceconnect_app, name="franceconnect")
french_help(app)

__all__ = ["app", "banner", "banner_year", "demo_fs_settings", "main"]


def main() -> None:
    app()
