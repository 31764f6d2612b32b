"""``dgfip-sandbox demo-fs`` after ``up``: its port and FranceConnect come from var/credentials.json,
and a port FranceConnect does not know stops it at once, with the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from dgfip_sandbox.cli import app, demo_fs_settings
from dgfip_sandbox.settings import Settings


def _credentials(var_dir: Path, port: int = 28446) -> None:
    var_dir.mkdir(parents=True, exist_ok=True)
    (var_dir / "credentials.json").write_text(
        json.dumps(
            {
                "gateway": {"base_url": "https://localhost:28443", "ca_cert": "certs/ca.pem"},
                "consumers": [
                    {"name": "mairie-demo", "cert": "c.pem", "key": "k.pem", "client_id": "m", "client_secret": "s"}
                ],
                "franceconnect": {
                    "issuer": "http://127.0.0.1:28444/api/v2",
                    "service_providers": [
                        {"name": "fs-prive-rs256", "redirect_uris": ["http://localhost:3000/callback"]},
                        {
                            "name": "demo-fs",
                            "redirect_uris": [f"http://localhost:{port}/callback", f"http://127.0.0.1:{port}/callback"],
                        },
                    ],
                },
            }
        )
    )


@pytest.fixture(autouse=True)
def _no_port_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DGFIP_SANDBOX_DEMO_FS_PORT", raising=False)


def test_port_defaults_to_the_one_franceconnect_registered(tmp_path: Path) -> None:
    _credentials(tmp_path / "var")
    assert demo_fs_settings(Settings(var_dir=tmp_path / "var")).demo_fs_port == 28446


def test_a_port_given_in_the_environment_must_be_registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _credentials(tmp_path / "var")
    monkeypatch.setenv("DGFIP_SANDBOX_DEMO_FS_PORT", "28446")
    assert demo_fs_settings(Settings(var_dir=tmp_path / "var")).demo_fs_port == 28446
    monkeypatch.setenv("DGFIP_SANDBOX_DEMO_FS_PORT", "28999")
    with pytest.raises(typer.Exit):
        demo_fs_settings(Settings(var_dir=tmp_path / "var"))


def test_cli_refuses_an_unregistered_port_with_the_fix(tmp_path: Path) -> None:
    _credentials(tmp_path / "var")
    result = CliRunner().invoke(
        app, ["demo-fs", "--port", "9999"], env={"DGFIP_SANDBOX_VAR_DIR": str(tmp_path / "var")}
    )
    assert result.exit_code == 1
    assert "FranceConnect n'a pas enregistré le port 9999" in result.output
    assert "ports enregistrés : 28446" in result.output
    assert "DGFIP_SANDBOX_DEMO_FS_PORT=9999 dgfip-sandbox up" in result.output


def test_cli_without_up_says_to_run_it_first(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo-fs"], env={"DGFIP_SANDBOX_VAR_DIR": str(tmp_path / "var")})
    assert result.exit_code == 1
    assert "lancez d'abord « dgfip-sandbox up » dans ce dossier" in result.output
