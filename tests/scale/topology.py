"""The docker-compose topology, run natively: nginx (Debian package) with the very
deploy/nginx/nginx.conf the compose file mounts, several gateway processes (``dgfip-sandbox serve``),
the FranceConnect service, PostgreSQL and Redis. Used by tests/scale/ and benchmarks/scale_bench.py.

Addresses: the replicas listen on 127.0.0.1 and trust only 127.0.0.2 as a proxy; nginx connects to
them from 127.0.0.2 (``proxy_bind``, any 127/8 address is local on Linux). A client connecting to a
replica directly comes from 127.0.0.1, so its Client-Cert / X-Forwarded-For headers must be ignored.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NGINX_CONF = ROOT / "deploy" / "nginx" / "nginx.conf"
NJS_DIR = ROOT / "deploy" / "nginx"
NJS_MODULE = Path("/usr/lib/nginx/modules/ngx_http_js_module.so")
PROXY_ADDRESS = "127.0.0.2"
PLACEHOLDER = re.compile(r"\$\{(SANDBOX_NGINX_[A-Z_]+)\}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.05) -> None:
    """Poll ``predicate`` until true; bounded by ``timeout`` (a readiness check, not a sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout:g} s")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def answers_http(port: int, *, tls: bool, host: str = "127.0.0.1") -> bool:
    """Whether a server on ``port`` answers an HTTP request (any status): it serves, not merely listens.

    ``dgfip-sandbox serve`` binds its sockets before it builds its apps (so that a busy port is reported
    at once): from then on connections are accepted by the kernel but nobody reads them until the
    servers start, seconds later on a busy machine. An open port is therefore no sign of readiness: a
    TLS client connecting then waits for its handshake (nginx's upstream handshake timed out, the
    client's read too). ``GET /health`` needs neither a certificate nor the database.
    """
    context: ssl.SSLContext | None = None
    if tls:
        # Only "does it answer": the server's certificate is checked by the tests' own clients.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=2) as raw:
            sock = context.wrap_socket(raw) if context is not None else raw
            with sock:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                return sock.recv(16).startswith(b"HTTP/")
    except OSError:  # refused, reset, handshake failure or no answer within the timeout
        return False


def nginx_missing() -> str | None:
    """Why the nginx topology cannot run here, or None."""
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        return "nginx is not installed (Debian: apt-get install nginx-light libnginx-mod-http-js)"
    if not NJS_MODULE.exists():
        return f"nginx's njs module is missing ({NJS_MODULE}; Debian: apt-get install libnginx-mod-http-js)"
    return None


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def render_nginx_conf(values: dict[str, str], template: Path = NGINX_CONF) -> str:
    """Substitute the ``${SANDBOX_NGINX_*}`` placeholders as the nginx image's envsubst does."""
    text = template.read_text()
    missing = sorted({name for name in PLACEHOLDER.findall(text) if name not in values})
    if missing:
        raise KeyError(f"nginx.conf placeholders without a value: {missing}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


class RedisServer:
    """A private redis-server on a free port (so that a test may stop it without touching the machine's)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: port_open(self.port), timeout=10, what="redis-server listening")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@dataclass
class Process:
    name: str
    port: int
    popen: subprocess.Popen[bytes]
    log: Path
    admin_port: int | None = None  # a replica's admin listener (its /metrics; 127.0.0.1 only)
    tls: bool = True  # whether ``port`` speaks TLS (the gateway and nginx do; FranceConnect here does not)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode


@dataclass
class Topology:
    """A prepared sandbox (PostgreSQL database, PKI, credentials) and the processes serving it."""

    root: Path
    env: dict[str, str]
    credentials: dict[str, Any]
    replicas: list[Process] = field(default_factory=list)
    nginx: Process | None = None
    franceconnect: Process | None = None
    extra: list[Process] = field(default_factory=list)

    # Paths and TLS

    def path(self, relative: str) -> str:
        return str(self.root / relative)

    @property
    def ca(self) -> str:
        return self.path(self.credentials["gateway"]["ca_cert"])

    def consumer(self, name: str) -> dict[str, Any]:
        for consumer in self.credentials["consumers"]:
            if consumer["name"] == name:
                return {**consumer, "cert": self.path(consumer["cert"]), "key": self.path(consumer["key"])}
        raise KeyError(name)

    def ssl_context(self, consumer: str | None) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ca)
        if consumer:
            entry = self.consumer(consumer)
            context.load_cert_chain(entry["cert"], entry["key"])
        return context

    # Processes

    def _spawn(self, name: str, args: list[str], env: dict[str, str], port: int, *, tls: bool = True) -> Process:
        log = self.root / f"{name}.log"
        handle = open(log, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        popen = subprocess.Popen(
            [sys.executable, "-m", "dgfip_sandbox.cli", *args], cwd=self.root, env=env, stdout=handle, stderr=handle
        )
        handle.close()
        return Process(name=name, port=port, popen=popen, log=log, tls=tls)

    def start_replica(
        self, *, port: int | None = None, env: dict[str, str] | None = None, workers: int = 1, name: str | None = None
    ) -> Process:
        port = port or free_port()
        admin_port = free_port()  # each replica's own admin listener: its /metrics (never on the gateway port)
        process = self._spawn(
            name or f"gateway-{len(self.replicas) + 1}",
            ["serve", "--no-fc", "--no-admin", "--port", str(port), "--workers", str(workers)],
            {**self.env, "DGFIP_SANDBOX_ADMIN_PORT": str(admin_port), **(env or {})},
            port,
        )
        process.admin_port = admin_port
        self.replicas.append(process)
        return process

    def start_franceconnect(self) -> Process:
        port = free_port()
        self.franceconnect = self._spawn(
            "franceconnect",
            ["serve", "--no-gateway", "--fc"],
            {**self.env, "DGFIP_SANDBOX_FC_PORT": str(port)},
            port,
            tls=self.env.get("DGFIP_SANDBOX_FC_HTTPS", "").lower() in ("1", "true", "yes", "on"),
        )
        return self.franceconnect

    def wait_ready(self, processes: list[Process], timeout: float = 60) -> None:
        for process in processes:

            def ready(process: Process = process) -> bool:
                if not process.alive():
                    raise RuntimeError(
                        f"{process.name} exited ({process.popen.returncode}): {process.log.read_text()[-2000:]}"
                    )
                return answers_http(process.port, tls=process.tls)

            wait_until(ready, timeout=timeout, what=f"{process.name} answering on {process.port}")

    def start_nginx(self, replicas: list[Process], *, workers: int = 1, port: int | None = None) -> Process:
        runtime = self.root / "nginx"
        runtime.mkdir(exist_ok=True)
        port = port or free_port()
        upstreams = " ".join(f"server 127.0.0.1:{r.port} max_fails=1 fail_timeout=10s;" for r in replicas)
        conf = runtime / "nginx.conf"
        conf.write_text(
            render_nginx_conf(
                {
                    "SANDBOX_NGINX_USER": getpass.getuser(),
                    "SANDBOX_NGINX_WORKERS": str(workers),
                    "SANDBOX_NGINX_RUNTIME": str(runtime),
                    "SANDBOX_NGINX_LISTEN": f"127.0.0.1:{port}",
                    "SANDBOX_NGINX_CERTS": str(self.root / "certs"),
                    "SANDBOX_NGINX_NJS": str(NJS_DIR),
                    "SANDBOX_NGINX_UPSTREAMS": upstreams,
                    "SANDBOX_NGINX_PROXY_BIND": PROXY_ADDRESS,
                    "SANDBOX_NGINX_ACCESS_LOG": "off",
                }
            )
        )
        log = self.root / "nginx.log"
        handle = open(log, "ab")  # noqa: SIM115
        popen = subprocess.Popen(
            [nginx_binary(), "-p", str(runtime), "-c", str(conf), "-e", "stderr", "-g", "daemon off;"],
            stdout=handle,
            stderr=handle,
        )
        handle.close()
        self.nginx = Process(name="nginx", port=port, popen=popen, log=log)
        self.wait_ready([self.nginx], timeout=20)
        return self.nginx

    def close(self) -> None:
        for process in [*self.replicas, *self.extra, self.franceconnect, self.nginx]:
            if process is not None:
                process.stop(signal.SIGTERM, timeout=15)


def prepare(
    root: Path, database_url: str, *, seed_size: int = 300, extra_env: dict[str, str] | None = None
) -> Topology:
    """Migrate and seed the database, create the PKI and credentials (``dgfip-sandbox prepare``, in-process)."""
    from dgfip_sandbox.bootstrap import prepare_sandbox
    from dgfip_sandbox.clock import SystemClock
    from dgfip_sandbox.settings import Settings

    root.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        var_dir=root / "var", certs_dir=root / "certs", database_url=database_url, seed_size=seed_size, _env_file=None
    )
    credentials = prepare_sandbox(settings, now=SystemClock().now())
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DGFIP_SANDBOX_") and key != "PROMETHEUS_MULTIPROC_DIR"
    }
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "DGFIP_SANDBOX_VAR_DIR": str(root / "var"),
            "DGFIP_SANDBOX_CERTS_DIR": str(root / "certs"),
            "DGFIP_SANDBOX_DATABASE_URL": database_url,
            "DGFIP_SANDBOX_TRUSTED_PROXIES": f"{PROXY_ADDRESS}/32",
            "DGFIP_SANDBOX_HOST": "127.0.0.1",
            "DGFIP_SANDBOX_LOG_LEVEL": "WARNING",
            "DGFIP_SANDBOX_REDIS_PREFIX": f"dgfip-scale-{uuid.uuid4().hex[:12]}:",
            "DGFIP_SANDBOX_DATABASE_POOL_SIZE": "5",
            # Replicas behind one proxy issue and accept tokens of one issuer (docker-compose.yml sets their
            # common DGFIP_SANDBOX_PUBLIC_BASE_URL; here the proxy's port is picked after the replicas start).
            "DGFIP_SANDBOX_TOKEN_ISSUER": "https://localhost/token",
            **(extra_env or {}),
        }
    )
    # Credentials hold paths relative to the working directory of prepare (this process): make them root-relative.
    credentials = _relative_to(credentials, root)
    return Topology(root=root, env=env, credentials=credentials)


def _relative_to(credentials: dict[str, Any], root: Path) -> dict[str, Any]:
    def fix(value: str) -> str:
        path = Path(value)
        if not path.is_absolute():
            path = (Path.cwd() / path).resolve()
        try:
            return str(path.relative_to(root.resolve()))
        except ValueError:
            return str(path)

    credentials = {
        **credentials,
        "gateway": {**credentials["gateway"], "ca_cert": fix(credentials["gateway"]["ca_cert"])},
    }
    credentials["consumers"] = [{**c, "cert": fix(c["cert"]), "key": fix(c["key"])} for c in credentials["consumers"]]
    return credentials
