"""docker-compose.yml run natively, as the containers would see it (no Docker engine on these machines).

What the image holds is built the way the Dockerfile does — the wheel of this checkout in a fresh venv
(tests/wheel.py), nothing of the checkout at run time — and every Python service's exact command line and
environment, read from docker-compose.yml, runs as a non-root user (``nobody``, the compose file's
``user:``) from an empty folder standing for ``/app``, against this machine's PostgreSQL and Redis and
Debian's nginx with deploy/nginx/nginx.conf. Then each service's healthcheck command runs, and the
banner's call goes through nginx.

What differs from a container, and why: fixed ports become free ports (tests never bind 8443–8446),
``0.0.0.0`` becomes ``127.0.0.1``, container addresses (the proxy's, the bridge's gateway) become the
loopback ones tests/scale/topology.py uses, and the PostgreSQL and Redis URLs are this machine's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import stat
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from dgfip_sandbox.cli import banner_year
from tests.scale.topology import PROXY_ADDRESS, Process, Topology, answers_http, free_port, wait_until
from tests.services import create_postgres_database, drop_postgres_database, postgres_url_or_skip, unique_database_name
from tests.wheel import ROOT, venv_with_wheel

pytestmark = pytest.mark.services

COMPOSE = ROOT / "docker-compose.yml"
RUN_AS = ("nobody", "nogroup")
PYTHON_SERVICES = ("gateway-1", "gateway-2", "franceconnect", "demo-fs")
# The fixed ports of the compose file, and which service each one is inside its own container.
CONTAINER_PORTS = {8443: "gateway", 8444: "franceconnect", 8445: "admin", 8446: "demo-fs"}
_VARIABLE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


def compose_services(uid: int, gid: int) -> dict[str, Any]:
    """docker-compose.yml's services, ``${VAR:-default}`` interpolated as compose does (SANDBOX_UID/GID given)."""
    import yaml

    given = {"SANDBOX_UID": str(uid), "SANDBOX_GID": str(gid)}
    text = _VARIABLE.sub(lambda m: given.get(m.group(1), m.group(2) or ""), COMPOSE.read_text()).replace("$$", "$")
    return yaml.safe_load(text)["services"]


class NativeCompose:
    """The compose services as processes of this machine, in ``run`` (the container's /app)."""

    def __init__(self, run: Path, bin_dir: Path, database_url: str, redis_url: str, uid: int, gid: int) -> None:
        self.run, self.bin_dir = run, bin_dir
        self.services = compose_services(uid, gid)
        self.database_url, self.redis_url = database_url, redis_url
        self.ports = {name: free_port() for name in ("gateway-1", "gateway-2", "franceconnect", "demo-fs", "nginx")}
        # Every gateway has an admin listener (the admin app, or /metrics alone with --no-admin) on the
        # container's 8445: one free port each here.
        self.admin_ports = {name: free_port() for name in ("gateway-1", "gateway-2")}
        self.admin_port = self.admin_ports["gateway-1"]
        self.processes: list[Process] = []
        self.prefix = f"dgfip-compose-{uuid.uuid4().hex[:12]}:"

    # Translation of one service's view of the world

    def _container_port(self, service: str, port: int) -> int:
        if CONTAINER_PORTS[port] == "admin":
            return self.admin_ports.get(service, self.admin_port)
        if service.startswith("gateway") or service == "nginx":
            return self.ports[service] if port == 8443 else self.ports["nginx"]
        return self.ports.get(CONTAINER_PORTS[port], port)

    def translate(self, service: str, value: str) -> str:
        value = value.replace("/app/", f"{self.run}/").replace("0.0.0.0", "127.0.0.1")
        # A fixed port as an argument ("--port", "8443") or inside an address (":8443", "/8443").
        return re.sub(
            r"(?:(?<=[:/])|^)(8443|8444|8445|8446)\b",
            lambda m: str(self._container_port(service, int(m.group(1)))),
            value,
        )

    def environment(self, service: str) -> dict[str, str]:
        declared = {k: str(v) for k, v in (self.services[service].get("environment") or {}).items()}
        env = {k: v for k, v in os.environ.items() if not k.startswith("DGFIP_SANDBOX_")}
        env.pop("PYTHONPATH", None)  # nothing of the checkout
        env["PATH"] = f"{self.bin_dir}:{env.get('PATH', '')}"
        env["HOME"] = str(self.run)
        for key, value in declared.items():
            env[key] = self.translate(service, value)
        # Host-visible URLs: the gateway is nginx, FranceConnect its own port (both as published).
        env["DGFIP_SANDBOX_PUBLIC_BASE_URL"] = f"https://localhost:{self.ports['nginx']}"
        env["DGFIP_SANDBOX_FC_BASE_URL"] = f"http://127.0.0.1:{self.ports['franceconnect']}"
        env["DGFIP_SANDBOX_DEMO_FS_PORT"] = str(self.ports["demo-fs"])
        env["DGFIP_SANDBOX_ADMIN_PORT"] = str(self.admin_ports.get(service, self.admin_port))
        env["DGFIP_SANDBOX_DATABASE_URL"] = self.database_url
        env["DGFIP_SANDBOX_REDIS_URL"] = self.redis_url
        env["DGFIP_SANDBOX_REDIS_PREFIX"] = self.prefix
        env["DGFIP_SANDBOX_TRUSTED_PROXIES"] = f"{PROXY_ADDRESS}/32"
        for key in ("DGFIP_SANDBOX_DEMO_EXTRA_ALLOWED_IPS", "DGFIP_SANDBOX_ADMIN_ALLOWED_IPS"):
            if key in env:
                env[key] = "127.0.0.1/32"
        return env

    def command(self, service: str) -> list[str]:
        spec = self.services[service]
        entrypoint = spec.get("entrypoint") or [str(self.bin_dir / "dgfip-sandbox")]
        return [self.translate(service, str(part)) for part in [*entrypoint, *(spec.get("command") or [])]]

    def as_user(self, service: str, args: list[str]) -> list[str]:
        if self.services[service].get("user") == "0:0":
            return args
        return ["setpriv", f"--reuid={RUN_AS[0]}", f"--regid={RUN_AS[1]}", "--clear-groups", *args]

    # Running

    def run_once(self, service: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.as_user(service, self.command(service)),
            cwd=self.run,
            env=self.environment(service),
            capture_output=True,
            text=True,
            timeout=300,
        )

    def start(self, service: str) -> Process:
        log = self.run.parent / f"{service}.log"
        with open(log, "ab") as handle:
            popen = subprocess.Popen(
                self.as_user(service, self.command(service)),
                cwd=self.run,
                env=self.environment(service),
                stdout=handle,
                stderr=handle,
            )
        process = Process(
            name=service, port=self.ports[service], popen=popen, log=log, tls=service.startswith("gateway")
        )
        self.processes.append(process)
        return process

    def healthcheck(self, service: str) -> subprocess.CompletedProcess[str]:
        test = self.services[service]["healthcheck"]["test"]
        assert test[0] == "CMD", test
        args = [self.translate(service, part) for part in test[1:]]
        if args[0] == "dgfip-sandbox":
            args[0] = str(self.bin_dir / "dgfip-sandbox")
        runner = args if service == "nginx" else self.as_user(service, args)
        return subprocess.run(runner, cwd=self.run, env=self.environment(service), capture_output=True, text=True)

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop(timeout=15)


@pytest.fixture
def compose_database() -> Iterator[str]:
    server = postgres_url_or_skip()
    name = unique_database_name("dgfip_compose")
    url = create_postgres_database(server, name)
    try:
        yield url
    finally:
        drop_postgres_database(server, name)


def _world_readable_dir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="module")
def image_bin() -> Iterator[Path]:
    """The image's /opt/venv: the wheel and its dependencies in a fresh venv, readable by any user."""
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is needed to run the services as a non-root user")
    if os.geteuid() != 0:
        pytest.skip("runs the 'volumes' service as root and the others as nobody: needs root")
    base = _world_readable_dir("dgfip-image-")
    try:
        yield venv_with_wheel(base / "venv")
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("folders_created_by", ["root", "user"])
def test_compose_services_from_the_wheel_as_a_non_root_user(
    folders_created_by: str, image_bin: Path, compose_database: str, machine_redis_url: str, nginx_or_skip: None
) -> None:
    import pwd

    user = pwd.getpwnam(RUN_AS[0])
    base = _world_readable_dir("dgfip-compose-")
    try:
        bin_dir = image_bin
        run = base / "app"
        run.mkdir(mode=0o755)
        # root: `sudo mkdir var certs` (0755, the user cannot write), which is also what Docker does for a
        # missing bind-mount folder; user: `mkdir var certs` by the user the services run as.
        for name in ("var", "certs"):
            (run / name).mkdir(mode=0o755)
            if folders_created_by == "user":
                os.chown(run / name, user.pw_uid, user.pw_gid)
        compose = NativeCompose(run, bin_dir, compose_database, machine_redis_url, user.pw_uid, user.pw_gid)
        try:
            _run_the_stack(compose, user.pw_uid)
        finally:
            compose.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _run_the_stack(compose: NativeCompose, uid: int) -> None:
    run = compose.run
    # 1. volumes (root, one-shot): var/ and certs/ become the user's, private.
    done = compose.run_once("volumes")
    assert done.returncode == 0, done.stderr
    for name in ("var", "certs"):
        info = (run / name).stat()
        assert info.st_uid == uid and stat.S_IMODE(info.st_mode) == 0o700

    # 2. init (one-shot, as the user): migrate, PKI, seed, consumers, credentials.json; its logs are JSON lines.
    done = compose.run_once("init")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bac à sable préparé" in done.stdout
    assert "Traceback" not in done.stderr
    # Logs are JSON lines (DGFIP_SANDBOX_LOG_FORMAT=json); progress is plain lines ("foyers fiscaux : n/N").
    assert all(json.loads(line) for line in done.stderr.splitlines() if line.startswith("{"))
    credentials = json.loads((run / "var" / "credentials.json").read_text())
    assert (run / "var" / "credentials.json").stat().st_uid == uid

    # 3. the long-running services, with their healthchecks.
    gateways = [compose.start("gateway-1"), compose.start("gateway-2")]
    franceconnect = compose.start("franceconnect")
    topology = Topology(root=run, env={}, credentials=credentials)
    for process in [*gateways, franceconnect]:
        _wait_listening(process)
    nginx = topology.start_nginx(gateways, port=compose.ports["nginx"])
    compose.processes.append(nginx)
    demo_fs = compose.start("demo-fs")
    _wait_listening(demo_fs)
    wait_until(lambda: answers_http(compose.admin_port, tls=False), timeout=30, what="admin API answering")
    for service in ("gateway-1", "gateway-2", "franceconnect", "demo-fs", "nginx"):
        check = compose.healthcheck(service)
        assert check.returncode == 0, (service, check.stdout, check.stderr)
    for process in [*gateways, franceconnect, demo_fs]:
        assert _process_uid(process.popen.pid) == uid, process.name

    # 4. the banner's call, through nginx; the admin portal from the host.
    consumer = next(c for c in credentials["consumers"] if c["name"] == "mairie-demo")
    context = ssl.create_default_context(cafile=str(run / credentials["gateway"]["ca_cert"]))
    context.load_cert_chain(str(run / consumer["cert"]), str(run / consumer["key"]))
    base_url = f"https://localhost:{nginx.port}"
    assert credentials["gateway"]["base_url"] == base_url
    with httpx.Client(verify=context, base_url=base_url, timeout=30) as client:
        token = client.post(
            "/token",
            data={"grant_type": "client_credentials"},
            auth=(consumer["client_id"], consumer["client_secret"]),
        )
        assert token.status_code == 200, token.text
        answer = client.get(
            f"/impotparticulier/1.0/spi/1000000001084/situations/ir/assiettes/annrev/{banner_year(datetime.now(UTC))}",
            headers={
                "Authorization": f"Bearer {token.json()['access_token']}",
                "X-Correlation-ID": str(uuid.uuid4()),
                "ID_Teleservice": consumer["id_teleservice"],
            },
        )
        assert answer.status_code == 200, answer.text
    portal = httpx.get(f"http://127.0.0.1:{compose.admin_port}/portal", timeout=10)
    assert portal.status_code in (200, 401)


def _wait_listening(process: Process) -> None:
    try:
        wait_until(lambda: _listening(process), timeout=90, what=f"{process.name} answering on {process.port}")
    except TimeoutError as exc:
        raise TimeoutError(f"{exc}; its log: {process.log.read_text(errors='replace')[-3000:]}") from None


def _listening(process: Process) -> bool:
    if not process.alive():
        raise RuntimeError(f"{process.name} exited ({process.popen.returncode}): {process.log.read_text()[-2000:]}")
    return answers_http(process.port, tls=process.tls)  # serving, not merely bound (serve binds first)


def _process_uid(pid: int) -> int:
    """The real uid of ``pid`` or, through setpriv's exec, of the process it became."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line for {pid}")
