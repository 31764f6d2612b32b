"""Gateway benchmark: throughput and p50/p99 latency over real mTLS with keep-alive connections.

    python benchmarks/gateway_bench.py [--seconds 10] [--connections 16] [--rss-requests 100000]
        [--with-prism] [--with-franceconnect] [--profile PROFILE.txt]

Starts a throw-away sandbox (its own var/ and certs/ in a temporary folder, SQLite, in-process
quotas) with one worker pinned to core 0, drives it from this process pinned to core 1, and prints:
  (a) a bare JSON endpoint served by the same server process (GET /health: no check, no audit);
  (b) the full chain on situations/ir/assiettes (certificate, IP, token, scope, correlation id,
      quota, taxpayer read, DataPass filtering, audit + journal rows committed before the response);
  (c) the full chain on the LEP route (spi/…/lep/departement/75/annrev/…/bareme/…);
  the ratios (b)/(a) and (c)/(a), and the resident size (RSS) of the gateway worker after
  ``--rss-requests`` full-chain requests (it must stay flat: no unbounded cache or journal growth).
``--with-prism``: Stoplight Prism (``npx @stoplight/prism-cli mock``, installed from the npm registry
by npx) mocking DGFIP's published swagger, pinned to the same core, on route (b) over plain HTTP,
and the ratio (b)/Prism. ``--with-franceconnect``: (d) the same resource through its FranceConnect
route (a checktoken v2 per call, to the FranceConnect this process serves, in process), interleaved with
the others (a fresh FranceConnect token when the last could expire), and the ratios (d)/(b). ``--profile FILE``: runs only (b) (with ``--with-franceconnect``:
only (d)) with the server under ``py-spy record -f raw`` and prints where the CPU time goes (benchmarks/profile_shares.py). The benchmark consumer's quota is raised in
the throw-away database so that the quota check runs but never refuses. The machine may be shared:
read the ratios, measured within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
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


def start_server(workdir: Path, env: dict[str, str], core: int, profile: Path | None = None) -> subprocess.Popen:
    command = [sys.executable, "-m", "dgfip_sandbox.cli", "serve"]  # prepared by prepare(): no migration, no seeding
    if profile is not None:
        command = [
            shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy")),
            "record",
            "-r",
            "200",
            "-f",
            "raw",
            "-o",
            str(profile),
            "--",
        ] + command
    return subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: pin(core),
    )


def worker_pid(server: subprocess.Popen, port: int) -> int:
    """The process serving the gateway port (the server itself, or py-spy's child)."""
    pids = [server.pid]
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    return pids[-1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_for_port(port: int, timeout: float = 60) -> None:
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


def personas(workdir: Path, env: dict[str, str]) -> list[dict]:
    out = subprocess.run(
        [sys.executable, "-m", "dgfip_sandbox.cli", "personas", "--json"],
        cwd=workdir,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [p for p in json.loads(out) if p.get("api", "impot_particulier") == "impot_particulier"]


def persona_spi(workdir: Path, env: dict[str, str], name: str) -> str:
    return next(p["spi"] for p in personas(workdir, env) if p.get("case") == name)


def first_persona_spi(workdir: Path, env: dict[str, str]) -> str:
    found = personas(workdir, env)
    return next((p["spi"] for p in found if p.get("banner")), found[0]["spi"])


def start_prism(port: int, core: int) -> subprocess.Popen:
    swagger = Path("/work/shared/reference/swaggers/api-impot-particulier.json")
    if not swagger.exists():
        swagger = ROOT / "docs" / "swaggers" / "api-impot-particulier.json"
    npx = shutil.which("npx")
    if npx is None:
        raise SystemExit("--with-prism needs node and npx")
    return subprocess.Popen(
        [npx, "--yes", "@stoplight/prism-cli@5", "mock", "-h", "127.0.0.1", "-p", str(port), str(swagger)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: pin(core),
    )


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--year", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=4, help="alternating slices per scenario (a shared machine)")
    parser.add_argument("--rss-requests", type=int, default=100_000, help="0: skip the memory check")
    parser.add_argument("--with-prism", action="store_true")
    parser.add_argument("--with-franceconnect", action="store_true")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="py-spy raw profile of (b), or of (d) with --with-franceconnect, written there",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dgfip-bench-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        env = {
            **os.environ,
            "DGFIP_SANDBOX_PORT": str(port),
            "DGFIP_SANDBOX_FC_PORT": str(free_port()),
            "DGFIP_SANDBOX_ADMIN_PORT": str(free_port()),
            "DGFIP_SANDBOX_LOG_LEVEL": "WARNING",
        }
        credentials = prepare(workdir, env)
        profile = args.profile.resolve() if args.profile else None
        server = start_server(workdir, env, core=0, profile=profile)
        results = []
        try:
            wait_for_port(port)
            pin(1)
            ca = str(workdir / credentials["gateway"]["ca_cert"])
            consumer = credentials["consumers"][0]
            consumer = {**consumer, "cert": str(workdir / consumer["cert"]), "key": str(workdir / consumer["key"])}
            context = loadgen.client_context(ca, consumer["cert"], consumer["key"])
            token = token_for(port, consumer, ca)
            spi = first_persona_spi(workdir, env)
            lep_spi = persona_spi(workdir, env, "lep_eligible")
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
            full_path = f"/impotparticulier/1.0/spi/{spi}/situations/ir/assiettes/annrev/{year}"
            lep_path = f"/impotparticulier/1.0/spi/{lep_spi}/lep/departement/75/annrev/{year}/bareme/{year + 1}"
            fc_headers = None
            if args.with_franceconnect:
                from dgfip_sandbox.testing.sandbox import _service_providers, obtain_franceconnect_token

                fs = _service_providers(credentials["franceconnect"])["demo-fs"]
                issued: list[tuple[float, str]] = []

                def fc_headers() -> dict[str, str]:
                    # An FC access token lives 60 s: a fresh one for each slice that could outlive it.
                    if not issued or time.monotonic() - issued[-1][0] > 60 - args.seconds / args.rounds - 5:
                        token = obtain_franceconnect_token(
                            f"http://127.0.0.1:{env['DGFIP_SANDBOX_FC_PORT']}",
                            fs,
                            spi,
                            # the year asked is consented: the FranceConnect routes serve only consented years
                            ["identite_pivot", "dgfip_rfr", "dgfip_sitfam", "dgfip_nbpart", "dgfip_annee_n_moins_1"],
                        ).access_token
                        issued.append((time.monotonic(), token))
                    return {**headers, "X-FranceConnect-OAuth": issued[-1][1]}

            fc_path = f"/impotparticulier/1.0/situations/ir/assiettes/annrev/{year}"
            if profile is not None:
                label, path, route_headers, seconds = (
                    ("(d) FranceConnect route, same resource", fc_path, fc_headers(), min(args.seconds, 45.0))
                    if fc_headers
                    else ("(b) full chain situations/ir/assiettes", full_path, headers, args.seconds)
                )
                profiled = asyncio.run(
                    loadgen.run(label, path=path, headers=route_headers, **{**common, "seconds": seconds})
                )
                print(profiled.line())
                os.kill(worker_pid(server, port), signal.SIGTERM)  # py-spy writes its file when its child exits
                server.wait(timeout=60)
                sys.path.insert(0, str(Path(__file__).resolve().parent))
                import profile_shares

                print(profile_shares.report(profile))
                return
            scenarios: list[tuple[str, str, loadgen.Headers]] = [
                ("(a) bare JSON endpoint /health", "/health", {}),
                ("(b) full chain situations/ir/assiettes", full_path, headers),
                ("(c) full chain LEP route", lep_path, headers),
            ]
            if fc_headers:
                scenarios.append(("(d) FranceConnect route, same resource", fc_path, fc_headers))
            results = asyncio.run(
                loadgen.interleaved(
                    scenarios,
                    rounds=args.rounds,
                    cpu=lambda: loadgen.process_cpu_seconds(worker_pid(server, port)),
                    **common,
                )
            )
            bare, full, lep = results[:3]
            print(
                f"gateway benchmark: 1 worker on core 0, load generator on core 1, {args.connections} keep-alive "
                f"mTLS connections, {args.seconds:.0f} s per scenario in {args.rounds} alternating slices, SQLite, in-process quotas"
            )
            for result in results:
                print(result.line())
            print(f"ratio (b)/(a) throughput: {full.throughput / bare.throughput:.2f}")
            print(f"ratio (c)/(a) throughput: {lep.throughput / bare.throughput:.2f}")
            # The server's CPU per request: what one dedicated core's throughput ratio converges to,
            # whatever else runs on the machine.
            print(f"ratio (a)/(b) server CPU per request: {bare.cpu_per_request_us / full.cpu_per_request_us:.2f}")
            print(f"ratio (a)/(c) server CPU per request: {bare.cpu_per_request_us / lep.cpu_per_request_us:.2f}")
            if fc_headers:
                print(f"ratio (d)/(b) throughput: {results[3].throughput / full.throughput:.2f}")
                print(
                    f"ratio (b)/(d) server CPU per request: {full.cpu_per_request_us / results[3].cpu_per_request_us:.2f}"
                )
            if args.rss_requests:
                pid = worker_pid(server, port)
                before = rss_mib(pid)
                done = sum(r.requests for r in results)
                more = asyncio.run(
                    loadgen.run(
                        "(memory) full chain", path=full_path, headers=headers, requests=args.rss_requests, **common
                    )
                )
                after = rss_mib(pid)
                print(
                    f"gateway worker RSS: {before:.1f} MiB after the scenarios ({done} requests), {after:.1f} MiB after "
                    f"{more.requests} more full-chain requests ({dict(sorted(more.statuses.items()))})"
                )
        finally:
            stop(server)
        if args.with_prism:
            prism_port = free_port()
            prism = start_prism(prism_port, core=0)
            try:
                wait_for_port(prism_port, timeout=300)
                prism_path = f"/spi/{spi}/situations/ir/assiettes/annrev/{year}"
                mock = asyncio.run(
                    loadgen.run(
                        "(p) Prism mock, route (b), HTTP",
                        host="127.0.0.1",
                        port=prism_port,
                        context=None,
                        path=prism_path,
                        # Prism answers 406 to Accept: application/json: the swagger lists the vendor type only.
                        headers={**headers, "Accept": "application/prs.dgfip.part.situations.ir.assiettes.v1+json"},
                        connections=args.connections,
                        seconds=args.seconds,
                    )
                )
            finally:
                stop(prism)
            print(mock.line())
            print(f"ratio (b)/Prism throughput: {full.throughput / mock.throughput:.2f}")


if __name__ == "__main__":
    main()
