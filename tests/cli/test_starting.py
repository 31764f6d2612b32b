"""Starting is honest: every port bound before anything is printed or prepared; a busy port answers one
French line naming the port and the option or variable that moves it (exit 1, no traceback); ``up`` and
``serve`` take the same options; the token issuer follows the gateway's public URL."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from dgfip_sandbox.cli import app
from dgfip_sandbox.clock import FrozenClock
from dgfip_sandbox.settings import Settings

OPTIONS = {"gateway": ("--port", "DGFIP_SANDBOX_PORT"), "fc": ("--fc-port", "DGFIP_SANDBOX_FC_PORT")}
OPTIONS["admin"] = ("--admin-port", "DGFIP_SANDBOX_ADMIN_PORT")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DGFIP_SANDBOX_")}
    env["DGFIP_SANDBOX_LOG_FORMAT"] = "json"
    return env


@pytest.mark.parametrize("command", ["up", "serve"])
@pytest.mark.parametrize("busy", ["gateway", "fc", "admin"])
def test_a_busy_port_answers_one_french_line_and_exits_non_zero(command: str, busy: str, tmp_path: Path) -> None:
    ports = {name: _free_port() for name in OPTIONS}
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", ports[busy]))
        holder.listen(1)
        args = [sys.executable, "-m", "dgfip_sandbox.cli", command]
        for name, (option, _) in OPTIONS.items():
            args += [option, str(ports[name])]
        done = subprocess.run(args, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120)
    option, variable = OPTIONS[busy]
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("erreur : le port ") and str(ports[busy]) in lines[0]
    assert option in lines[0] and variable in lines[0] and "déjà utilisé" in lines[0]
    assert "Traceback" not in done.stderr + done.stdout
    assert "démarré" not in done.stdout  # no banner
    # Nothing was prepared: the ports are checked first.
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize("command", ["prepare", "up"])
def test_a_database_that_does_not_answer_is_one_french_line_without_its_password(command: str, tmp_path: Path) -> None:
    env = _env() | {"DGFIP_SANDBOX_DATABASE_URL": f"postgresql://sandbox:s3cret@127.0.0.1:{_free_port()}/sandbox"}
    args = [sys.executable, "-m", "dgfip_sandbox.cli", command]
    if command == "up":
        for option, _variable in OPTIONS.values():
            args += [option, str(_free_port())]
    done = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("erreur : la base de données postgresql://sandbox:***@127.0.0.1:")
    assert "ne répond pas" in lines[0] and "DGFIP_SANDBOX_DATABASE_URL" in lines[0]
    assert "s3cret" not in done.stderr + done.stdout and "Traceback" not in done.stderr + done.stdout


def _options(command: str) -> set[str]:
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]  # a group
    return {opt for param in click_command.params for opt in (*param.opts, *param.secondary_opts)}


def test_up_takes_every_option_serve_takes() -> None:
    serve, up = _options("serve"), _options("up")
    assert {"--port", "--host", "--fc-port", "--admin-port", "--demo-fs-port", "--workers", "--log-format"} <= serve
    assert serve <= up
    # What up does more: it prepares (and loads test data, announces readiness in a file).
    assert up - serve == {"--seed-size", "--reset", "--data", "--ready-file"}


def test_the_token_issuer_follows_the_public_url() -> None:
    assert Settings(port=9443, _env_file=None).gateway_token_issuer == "https://localhost:9443/token"
    assert (
        Settings(public_base_url="https://apim.example.test/", _env_file=None).gateway_token_issuer
        == "https://apim.example.test/token"
    )
    assert Settings(token_issuer="https://x.test/t", _env_file=None).gateway_token_issuer == "https://x.test/t"


@pytest.mark.anyio
async def test_tokens_of_a_gateway_on_another_port_carry_its_issuer(settings: Settings, clock: FrozenClock) -> None:
    from dgfip_sandbox.assembly import build_gateway_app
    from dgfip_sandbox.gateway.quota import MemoryQuotaStore
    from tests.conftest import Sandbox

    moved = settings.model_copy(update={"port": 19443})
    credentials = json.loads(moved.credentials_path.read_text())
    gateway = build_gateway_app(moved, clock=clock, quota_store=MemoryQuotaStore())
    box = Sandbox(settings=moved, credentials=credentials, clock=clock, app=gateway)
    async with gateway.router.lifespan_context(gateway):
        token = await box.token("mairie-demo")
        for client in box._clients:
            await client.aclose()
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["iss"] == "https://localhost:19443/token"
