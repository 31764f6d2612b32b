"""Gateway benchmark: throughput and p50/p99 latency over real mTLS with keep-alive connections.

    python benchmarks/gateway_bench.py [--seconds 10] [--connections 16]

Starts a throw-away sandbox (its own var/ and certs/ in a temporary folder) with one worker pinned
to core 0, drives it from this process pinned to core 1, and prints:
  (a) a bare JSON endpoint served by the same server process (GET /health: no check, no audit);
  (b) the full chain on situations/ir/assiettes (certificate, IP, token, scope, correlation id,
      quota, query, DataPass filtering, audit record committed before the response);
  (c) the same resource through its FranceConnect route (X-FranceConnect-OAuth: a checktoken v2 per
      call, to the FranceConnect this process serves, through the in-process transport; the user
      consented to the year asked), and (b)/(a), (c)/(b).
The benchmark consumer's quota is raised in the throw-away database so that the quota check runs but
never refuses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadgen  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pin(core: int) -> None:
    if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() > core:
        os.sched_setaffinity(0, {core})


def prepare(workdir: Path, env: dict[str, str]) -> dict:
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from dgfip_sandbox.bootstrap import prepare_sandbox; from dgfip_sandbox.settings import Settings;"
            "from dgfip_sandbox.clock import SystemClock; prepare_sandbox(Settings(), now=SystemClock().now())",
        ],
        cwd=workdir,
        env=env,
        check=True,
    )
    import sqlite3

    with sqlite3.connect(workdir / "var" / "sandbox.db") as db:
        db.execute("UPDATE consumers SET quota_per_minute = 100000000")
    return json.loads((workdir / "var" / "credentials.json").read_text())


def start_server(workdir: Path, env: dict[str, str], core: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dgfip_sandbox.cli", "up"],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: pin(core),
    )


def wait_for_port(port: int, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not listen on {port}")


def token_for(port: int, consumer: dict, ca: str) -> str:
    import httpx

    with httpx.Client(verify=loadgen.client_context(ca, consumer["cert"], consumer["key"])) as client:
        response = client.post(
            f"https://localhost:{port}/token",
            data={"grant_type": "client_credentials"},
            auth=(consumer["client_id"], consumer["client_secret"]),
        )
        if response.status_code != 200:
            raise SystemExit(f"token request refused: {response.status_code} {response.text}")
        return response.json()["access_token"]


def first_persona_spi(workdir: Path, env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "dgfip_sandbox.cli", "personas", "--json"],
        cwd=workdir,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    personas = [p for p in json.loads(out) if p.get("api", "impot_particulier") == "impot_particulier"]
    return next((p["spi"] for p in personas if p.get("banner")), personas[0]["spi"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--year", type=int, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dgfip-bench-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        env = {
            **os.environ,
            "DGFIP_SANDBOX_PORT": str(port),
            "DGFIP_SANDBOX_FC_PORT": str(free_port()),
            "DGFIP_SANDBOX_LOG_LEVEL": "WARNING",
        }
        credentials = prepare(workdir, env)
        server = start_server(workdir, env, core=0)
        try:
            wait_for_port(port)
            pin(1)
            ca = str(workdir / credentials["gateway"]["ca_cert"])
            consumer = credentials["consumers"][0]
            consumer = {**consumer, "cert": str(workdir / consumer["cert"]), "key": str(workdir / consumer["key"])}
            context = loadgen.client_context(ca, consumer["cert"], consumer["key"])
            token = token_for(port, consumer, ca)
            spi = first_persona_spi(workdir, env)
            from dgfip_sandbox.cli import banner_year
            from dgfip_sandbox.clock import SystemClock

            year = args.year or banner_year(SystemClock().now())
            headers = {
                "Authorization": f"Bearer {token}",
                "X-Correlation-ID": str(uuid.uuid4()),
                "ID_Teleservice": consumer["id_teleservice"],
                "Accept": "application/json",
            }
            common = dict(
                host="127.0.0.1", port=port, context=context, connections=args.connections, seconds=args.seconds
            )
            bare = asyncio.run(loadgen.run("(a) bare JSON endpoint /health", path="/health", headers={}, **common))
            full = asyncio.run(
                loadgen.run(
                    "(b) full chain situations/ir/assiettes",
                    path=f"/impotparticulier/1.0/spi/{spi}/situations/ir/assiettes/annrev/{year}",
                    headers=headers,
                    **common,
                )
            )
            from dgfip_sandbox.testing.sandbox import _service_providers, obtain_franceconnect_token

            fs = _service_providers(credentials["franceconnect"])["demo-fs"]
            fc_token = obtain_franceconnect_token(
                f"http://127.0.0.1:{env['DGFIP_SANDBOX_FC_PORT']}",
                fs,
                spi,
                ["identite_pivot", "dgfip_rfr", "dgfip_sitfam", "dgfip_nbpart", "dgfip_annee_n_moins_1"],
            ).access_token
            fc_seconds = min(args.seconds, 45.0)  # a FranceConnect access token lives 60 s
            fc = asyncio.run(
                loadgen.run(
                    "(c) FranceConnect route, same resource",
                    path=f"/impotparticulier/1.0/situations/ir/assiettes/annrev/{year}",
                    headers={**headers, "X-FranceConnect-OAuth": fc_token},
                    **{**common, "seconds": fc_seconds},
                )
            )
            print(
                f"gateway benchmark: 1 worker on core 0, load generator on core 1, {args.connections} keep-alive "
                f"mTLS connections, {args.seconds:.0f} s per scenario"
            )
            print(bare.line())
            print(full.line())
            print(fc.line())
            print(f"ratio (b)/(a) throughput: {full.throughput / bare.throughput:.2f}")
            print(f"ratio (c)/(b) throughput: {fc.throughput / full.throughput:.2f}")
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
