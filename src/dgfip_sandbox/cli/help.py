"""The CLI's help in French: typer's panel titles and the ``--help`` option, no ``<bool>`` placeholders.

typer renders help with rich; its titles and strings are module constants of ``typer.rich_utils``, and
each command's ``--help`` option is built by the command class. :func:`french_help` sets both once for
the whole ``dgfip-sandbox`` tree (commands added later by any module included).
"""

from __future__ import annotations

from typing import Any

import typer
import typer.core
import typer.rich_utils

HELP_OPTION_TEXT = "Afficher cette aide et quitter."

_RICH_STRINGS = {
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commandes",
    "ERRORS_PANEL_TITLE": "Erreur",
    "ABORTED_TEXT": "Abandon.",
    "DEFAULT_STRING": "[défaut : {}]",
    "ENVVAR_STRING": "[variable : {}]",
    "REQUIRED_LONG_STRING": "[requis]",
    "DEPRECATED_STRING": "(obsolète) ",
    "RICH_HELP": "Essayez [blue]'{command_path} {help_option}'[/] pour l'aide.",
}


class _FrenchHelpMixin:
    """French ``--help`` text; flags (``--json``, ``--fc/--no-fc``) shown without a type placeholder."""

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]  # the typer command class below
        if option is not None:
            option.help = HELP_OPTION_TEXT
            option.metavar = ""
        return option

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)  # type: ignore[misc]  # the typer command class below
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params


class FrenchCommand(_FrenchHelpMixin, typer.core.TyperCommand):
    pass


class FrenchGroup(_FrenchHelpMixin, typer.core.TyperGroup):
    pass


def french_help(app: typer.Typer) -> None:
    """Apply the French help to ``app``, its commands and its sub-applications, recursively."""
    for name, value in _RICH_STRINGS.items():
        setattr(typer.rich_utils, name, value)
    _apply(app)


def _apply(app: typer.Typer) -> None:
    app.info.cls = FrenchGroup
    for command in app.registered_commands:
        if command.cls in (None, typer.core.TyperCommand):
            command.cls = FrenchCommand
    for group in app.registered_groups:
        if getattr(group, "cls", None) in (None, typer.core.TyperGroup):
            group.cls = FrenchGroup
        if group.typer_instance is not None:
            _apply(group.typer_instance)
