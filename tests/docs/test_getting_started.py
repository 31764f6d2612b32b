"""The getting-started guides run as tests: their ``sh`` blocks, typed as a reader types them.

Each guide's ```sh blocks are joined into one bash script (they share the reader's shell: ``CA``, ``TOKEN``,
``SPI``…) and run in a temp folder beside ``dgfip-sandbox up --ready-file``, as the guide's §1 starts it. The
only change: the sandbox listens on free ports, so ``localhost:8443`` in the blocks becomes the gateway's port.
The clock is the fixtures' date (not today's), so the year the guides ask for is taxed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLOCK_START
from tests.scale.topology import free_port, wait_until

DOCS = Path(__file__).resolve().parents[2] / "docs"
GUIDES = ("getting-started.md", "demarrage.md")
FENCE = re.compile(r"^```sh\n(.*?)^```$", re.MULTILINE | re.DOTALL)
MARKER = "=== bloc suivant ==="


def shell_blocks(name: str) -> list[str]:
    """The runnable blocks of a guide, in order."""
    return FENCE.findall((DOCS / name).read_text())


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str], int]]:
    """``dgfip-sandbox up`` in a fresh folder, on free ports; (folder, environment, gateway port)."""
    folder = tmp_path_factory.mktemp("guide")
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "DGFIP_SANDBOX_SEED_SIZE": "20",
        "DGFIP_SANDBOX_ADMIN_PORT": str(free_port()),
        "DGFIP_SANDBOX_DEMO_FS_PORT": str(free_port()),
        "DGFIP_SANDBOX_PUBLIC_BASE_URL": f"https://localhost:{port}",
        "DGFIP_SANDBOX_CLOCK_OFFSET_SECONDS": str((CLOCK_START - datetime.now(UTC)).total_seconds()),
    }
    for variable in ("DGFIP_SANDBOX_DATABASE_URL", "DGFIP_SANDBOX_VAR_DIR", "DGFIP_SANDBOX_CERTS_DIR"):
        env.pop(variable, None)  # the guide's defaults: var/ and certs/ in the current folder
    ready = folder / "ready.json"
    command = ["dgfip-sandbox", "up", "--port", str(port), "--fc-port", str(free_port()), "--ready-file", str(ready)]
    log = folder / "up.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, cwd=folder, stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: ready.exists() or process.poll() is not None, timeout=120, what="the ready file")
            assert ready.exists(), log.read_text()
            yield folder, env, port
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def run_guide(name: str, sandbox: tuple[Path, dict[str, str], int]) -> list[str]:
    """Run a guide's blocks in one shell; the output of each block."""
    folder, env, port = sandbox
    script = f"\necho '{MARKER}'\n".join(shell_blocks(name)).replace("localhost:8443", f"localhost:{port}")
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], env=env, cwd=folder, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.split(MARKER + "\n")


def answers(output: str) -> list[tuple[int, Any]]:
    """The (status, JSON body) pairs a block printed with ``curl -w '\\nHTTP %{http_code}\\n'``."""
    found = re.findall(r"^(\{.*?\})\nHTTP (\d{3})$", output, re.MULTILINE | re.DOTALL)
    return [(int(status), json.loads(body)) for body, status in found]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed (apt-get install curl)")
@pytest.mark.parametrize("name", GUIDES)
def test_the_guide_commands_answer_as_the_guide_says(name: str, sandbox: tuple[Path, dict[str, str], int]) -> None:
    call, refusals = run_guide(name, sandbox)
    [(status, body)] = answers(call)
    assert status == 200, body
    assert {"rfr", "nbPart", "sitFam", "pac"} <= body.keys(), body
    [(status, missing_correlation), (status_no_cert, no_cert)] = answers(refusals)
    assert (status, missing_correlation["erreur"]["code"]) == (400, 910000)
    assert (status_no_cert, no_cert["erreur"]["code"]) == (401, 900901)
    assert "aucun certificat client" in no_cert["erreur"]["message"]


@pytest.mark.parametrize("name", GUIDES)
def test_the_guides_need_only_what_a_fresh_debian_has(name: str) -> None:
    blocks = shell_blocks(name)
    assert len(blocks) == 2, "the call block and the refusals block"
    for block in blocks:
        for tool in ("uuidgen", "jq "):
            assert tool not in block, f"{name}: {tool.strip()} is not on a fresh Debian"
