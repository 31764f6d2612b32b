"""Issue 12 §11: an admin change made through the CLI (another process) is effective at once in a
running gateway process: the very next call sees it (change counters in the database, read per
request; store/changes.py). Real processes, real mTLS; the database is this test's copy (SQLite, or
PostgreSQL when the run uses it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dgfip_sandbox.settings import Settings
from tests.conftest import CLOCK_START
from tests.scale.topology import answers_http, free_port, wait_until


@pytest.fixture
def environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DGFIP_SANDBOX_")}
    env.update(
        {
            "DGFIP_SANDBOX_VAR_DIR": str(settings.var_dir),
            "DGFIP_SANDBOX_CERTS_DIR": str(settings.certs_dir),
            "DGFIP_SANDBOX_HOST": "127.0.0.1",
            "DGFIP_SANDBOX_LOG_LEVEL": "WARNING",
            # The prepared PKI and data were made at CLOCK_START: every process of this test lives then.
            "DGFIP_SANDBOX_CLOCK_OFFSET_SECONDS": str(CLOCK_START.timestamp() - time.time()),
        }
    )
    if settings.database_url:
        env["DGFIP_SANDBOX_DATABASE_URL"] = settings.database_url
    return env


@pytest.fixture
def gateway_port(environment: dict[str, str], tmp_path: Path) -> Iterator[int]:
    """A gateway process of its own (no FranceConnect, no admin app), serving the test's database."""
    port = free_port()
    log = tmp_path / "gateway.log"
    # Without the admin app the admin listener still serves /metrics: on a free port of its own too.
    env = {**environment, "DGFIP_SANDBOX_ADMIN_PORT": str(free_port())}
    with open(log, "ab") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "dgfip_sandbox.cli", "serve", "--no-fc", "--no-admin", "--port", str(port)],
            env=env,
            stdout=handle,
            stderr=handle,
        )
    try:

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"gateway exited: {log.read_text()[-2000:]}")
            return answers_http(port, tls=True)  # serving, not merely bound (serve binds first)

        wait_until(ready, timeout=60, what="gateway answering")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def cli(environment: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "dgfip_sandbox.cli", *args], env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def client_for(prepared: dict[str, Any], settings: Settings, name: str, port: int) -> httpx.Client:
    consumer = next(c for c in prepared["consumers"] if c["name"] == name)
    import ssl

    context = ssl.create_default_context(cafile=prepared["gateway"]["ca_cert"])
    context.load_cert_chain(consumer["cert"], consumer["key"])
    return httpx.Client(base_url=f"https://localhost:{port}", verify=context, timeout=30)


def token_status(client: httpx.Client, client_id: str, secret: str) -> tuple[int, dict[str, Any]]:
    response = client.post("/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    return response.status_code, response.json()


def test_rotated_secret_disabled_and_enabled_consumer_effective_on_the_very_next_call(
    prepared_sandbox, settings: Settings, environment: dict[str, str], gateway_port: int
) -> None:
    credentials = prepared_sandbox.credentials
    consumer = next(c for c in credentials["consumers"] if c["name"] == "mairie-demo")
    with client_for(credentials, settings, "mairie-demo", gateway_port) as client:
        # The gateway has the consumer in its cache.
        assert token_status(client, consumer["client_id"], consumer["client_secret"])[0] == 200

        rotated = json.loads(cli(environment, "consumers", "rotate-secret", "mairie-demo"))
        new_secret = rotated["client_secret"]
        assert new_secret != consumer["client_secret"]
        status, body = token_status(client, consumer["client_id"], consumer["client_secret"])
        assert (status, body.get("error")) == (401, "invalid_client"), body
        assert token_status(client, consumer["client_id"], new_secret)[0] == 200

        cli(environment, "consumers", "disable", "mairie-demo")
        status, body = token_status(client, consumer["client_id"], new_secret)
        assert status == 401
        assert body["erreur"]["code"] == 900901
        assert "désactivé" in body["erreur"]["message"]

        cli(environment, "consumers", "enable", "mairie-demo")
        assert token_status(client, consumer["client_id"], new_secret)[0] == 200
