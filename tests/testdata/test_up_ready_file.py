"""``dgfip-sandbox up --data FILE --ready-file PATH``: the way to run the sandbox from any test framework."""

from __future__ import annotations

import json
import os
import re
import signal
import ssl
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml

from tests.conftest import CLOCK_START
from tests.scale.topology import free_port, wait_until
from tests.testdata.test_service import FOYER, SPI

IP = "/impotparticulier/1.0"


def test_up_loads_the_data_and_writes_the_ready_file_once_every_port_listens(tmp_path: Path) -> None:
    data = tmp_path / "equipe.yaml"
    data.write_text(yaml.safe_dump({"foyers": [FOYER]}, allow_unicode=True))
    ready = tmp_path / "ready.json"
    ports = {"gateway": free_port(), "franceconnect": free_port(), "admin": free_port()}
    env = {
        **os.environ,
        "DGFIP_SANDBOX_VAR_DIR": str(tmp_path / "var"),
        "DGFIP_SANDBOX_CERTS_DIR": str(tmp_path / "certs"),
        "DGFIP_SANDBOX_SEED_SIZE": "10",
        "DGFIP_SANDBOX_ADMIN_PORT": str(ports["admin"]),
        "DGFIP_SANDBOX_PUBLIC_BASE_URL": f"https://localhost:{ports['gateway']}",
        # The taxation calendar at the fixtures' date, not today's.
        "DGFIP_SANDBOX_CLOCK_OFFSET_SECONDS": str((CLOCK_START - datetime.now(UTC)).total_seconds()),
    }
    env.pop("DGFIP_SANDBOX_DATABASE_URL", None)
    command = [sys.executable, "-m", "dgfip_sandbox.cli", "up", "--port", str(ports["gateway"])]
    command += ["--fc-port", str(ports["franceconnect"]), "--data", str(data), "--ready-file", str(ready)]
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: ready.exists() or process.poll() is not None, timeout=120, what="the ready file")
        assert ready.exists(), process.stdout.read().decode() if process.stdout else ""
        document = json.loads(ready.read_text())
        assert document["ready"] is True and document["ports"] == ports
        assert document["urls"]["gateway"] == f"https://localhost:{ports['gateway']}"
        assert document["data"] == {"equipe.yaml": {"foyers": [SPI], "comptes": [], "identites": []}}
        credentials = json.loads(Path(document["credentials_file"]).read_text())
        consumer = next(c for c in credentials["consumers"] if c["name"] == "mairie-demo")
        context = ssl.create_default_context(cafile=document["ca_cert"])
        context.load_cert_chain(tmp_path / consumer["cert"], tmp_path / consumer["key"])
        with httpx.Client(base_url=document["urls"]["gateway"], verify=context) as client:
            token = client.post(
                "/token",
                data={"grant_type": "client_credentials"},
                auth=(consumer["client_id"], consumer["client_secret"]),
            ).json()["access_token"]
            response = client.get(
                f"{IP}/spi/{SPI}/situations/ir/assiettes/annrev/2025",
                headers={
                    "Authorization": f"Bearer {token}",
                    "X-Correlation-ID": str(uuid.uuid4()),
                    "ID_Teleservice": consumer["id_teleservice"],
                },
            )
        assert response.status_code == 200, response.text
        assert response.json()["rfr"] == 12345
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        if process.stdout is not None:  # else a ResourceWarning (an error under filterwarnings = error)
            process.stdout.close()


def test_up_refuses_a_bad_data_file_before_serving(tmp_path: Path) -> None:
    data = tmp_path / "faux.json"
    data.write_text(json.dumps({"comptes": [{"iban": "FR00", "droits": []}]}))
    env = {
        **os.environ,
        "DGFIP_SANDBOX_VAR_DIR": str(tmp_path / "var"),
        "DGFIP_SANDBOX_CERTS_DIR": str(tmp_path / "certs"),
        "DGFIP_SANDBOX_SEED_SIZE": "10",
        "DGFIP_SANDBOX_ADMIN_PORT": str(free_port()),
    }
    env.pop("DGFIP_SANDBOX_DATABASE_URL", None)
    command = [
        sys.executable,
        "-m",
        "dgfip_sandbox.cli",
        "up",
        "--port",
        str(free_port()),
        "--fc-port",
        str(free_port()),
    ]
    result = subprocess.run(
        [*command, "--data", str(data), "--ready-file", str(tmp_path / "ready.json")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert (
        "comptes[0].iban : IBAN invalide" in result.stderr
        and "comptes[0].droits : au moins 1 élément(s)" in result.stderr
    )
    assert not (tmp_path / "ready.json").exists()


DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_testcontainers_recipes_name_only_real_options_and_settings() -> None:
    from typer.testing import CliRunner

    from dgfip_sandbox.cli import app
    from dgfip_sandbox.settings import Settings

    up_help = CliRunner().invoke(app, ["up", "--help"], env={"COLUMNS": "200"}).stdout
    for name in ("testcontainers.md", "testcontainers.fr.md"):
        text = (DOCS / name).read_text()
        for variable in set(re.findall(r"DGFIP_SANDBOX_([A-Z_]+)", text)):
            assert variable.lower() in Settings.model_fields, f"{name}: DGFIP_SANDBOX_{variable}"
        for option in set(re.findall(r'"(--[a-z-]+)"', text)) | set(re.findall(r" (--[a-z-]+) ", text)):
            assert option in up_help or option == "--workers", f"{name}: up {option}"
