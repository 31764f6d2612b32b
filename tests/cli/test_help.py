"""The CLI's help is French throughout (commands, options, ``--help`` itself) and shows no ``<bool>``."""

from __future__ import annotations

import re

import click
import pytest
import typer.main
from typer.testing import CliRunner

from dgfip_sandbox.cli import app

ENGLISH = re.compile(r"\b(the|Show this message|and exit|Prepare|Serve|List|Show|Issue|Revoke|Reset|default:)\b")


def _command_paths() -> list[list[str]]:
    paths: list[list[str]] = [[]]

    def walk(command: click.Command, prefix: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(typer.main.get_command(app), [])
    return paths


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "dgfip-sandbox")
def test_help_is_french_without_type_placeholders_for_flags(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"})
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert "Afficher cette aide et quitter." in result.output
    assert not ENGLISH.search(result.output), ENGLISH.search(result.output)
