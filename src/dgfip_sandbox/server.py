"""HTTPS serving: TLS with optional client certificates, the ASGI TLS extension, several servers in one loop.

Three pieces uvicorn does not provide (uvicorn 0.54):

1. The client certificate never reaches the app (encode/uvicorn#745). :class:`TlsScopeH11Protocol`
   and :class:`TlsScopeHttpToolsProtocol` subclass uvicorn's HTTP/1.1 protocols and put the ASGI TLS
   extension in every request's scope::

       scope["extensions"]["tls"] = {
           "client_cert_chain": [<leaf PEM>] or [],
           "client_cert_name": <RFC 4514 subject> or None,
           "client_cert_error": None,
           "tls_version": 0x0304,            # ints, as the ASGI TLS extension defines them
           "cipher_suite": 0x1302,
           "server_cert": None,
       }

   computed once per connection from ``transport.get_extra_info("ssl_object")``. Plain-HTTP
   connections get no ``tls`` extension, as the ASGI spec says. Python's ``ssl`` only exposes the
   peer's leaf certificate (``getpeercert(binary_form=True)``), so the chain holds the leaf only.

2. A failed TLS handshake (expired client certificate, unknown CA, plain HTTP on the TLS port...)
   is silent: asyncio's ``sslproto`` reports it only when the loop runs in debug mode (``SSLError``
   is an ``OSError``, which ``_fatal_error`` logs at debug level only), and uvicorn never hears of
   the connection. The way chosen here: the listening socket is plain TCP and each connection starts
   in :class:`TlsHandshakeProtocol`, which runs the handshake itself with the public
   ``loop.start_tls(..., server_side=True)``. That coroutine raises the handshake error with its
   reason, which is logged as one line ``tls_handshake_failed peer=<ip:port> reason="..."`` on
   the ``dgfip_sandbox.tls`` logger; on success the TLS transport is handed to the uvicorn HTTP
   protocol, exactly as uvicorn's own ``ssl=`` path would. (Rejected alternatives: loop debug mode
   is costly and noisy; an ``SSLContext.sslobject_class`` subclass sees the error but not the peer;
   patching ``asyncio.sslproto`` is private API.)

3. :func:`serve` runs several uvicorn servers (gateway, FranceConnect, admin...) in one process and
   one event loop, with one SIGINT/SIGTERM handler for all of them (uvicorn's per-server signal
   capture would let only the last server hear the signal).

Revocation is deliberately *not* checked in the handshake (no ``VERIFY_CRL_CHECK_LEAF``): a
revoked certificate reaches the app, which answers with DGFiP's 401 envelope
(``pki.verify_client_certificate``). A missing certificate also reaches the app (``CERT_OPTIONAL``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import socket
import ssl
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import structlog
import uvicorn
from cryptography import x509
from uvicorn.protocols.http.h11_impl import H11Protocol

from dgfip_sandbox.pki import SandboxPki

# structlog: its events carry their fields as fields (the JSON lines have "name", "url"…, not a sentence).
logger = structlog.get_logger("dgfip_sandbox.server")
tls_logger = logging.getLogger("dgfip_sandbox.tls")

HANDSHAKE_TIMEOUT_SECONDS = 15.0

ASGIApp = Callable[..., Any]


# --------------------------------------------------------------------------------------------------
# TLS context


def server_ssl_context(pki: SandboxPki, *, client_auth: bool = True) -> ssl.SSLContext:
    """TLS server context: the sandbox server certificate, and the sandbox CA for client certificates.

    With ``client_auth`` (the gateway), ``CERT_OPTIONAL``: a connection without a client certificate
    completes (the app answers 401); a certificate that does not verify (expired, not yet valid,
    unknown CA) fails the handshake. Without it (FranceConnect over HTTPS), no certificate is asked.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile=pki.server_cert, keyfile=pki.server_key)
    if client_auth:
        context.load_verify_locations(cafile=pki.ca_cert)
        context.verify_mode = ssl.CERT_OPTIONAL
    else:
        context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    return context


# --------------------------------------------------------------------------------------------------
# ASGI TLS extension


_TLS_VERSIONS = {"SSLv3": 0x0300, "TLSv1": 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303, "TLSv1.3": 0x0304}


@functools.lru_cache(maxsize=32)
def _cipher_ids(context: ssl.SSLContext) -> dict[str, int]:
    # OpenSSL ids are 0x0300XXXX; the low 16 bits are the IANA cipher suite number.
    return {c["name"]: c["id"] & 0xFFFF for c in context.get_ciphers()}


def tls_extension(transport: asyncio.BaseTransport) -> dict[str, Any] | None:
    """The ASGI TLS extension for a connection, or None when it is not TLS."""
    ssl_object: ssl.SSLObject | None = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    chain: list[str] = []
    name = None
    der = ssl_object.getpeercert(binary_form=True)
    if der:
        cert = x509.load_der_x509_certificate(der)
        chain.append(ssl.DER_cert_to_PEM_cert(der))
        name = cert.subject.rfc4514_string()
    cipher = ssl_object.cipher()
    return {
        "client_cert_chain": chain,
        "client_cert_name": name,
        "client_cert_error": None,
        "tls_version": _TLS_VERSIONS.get(ssl_object.version() or ""),
        "cipher_suite": _cipher_ids(ssl_object.context).get(cipher[0]) if cipher else None,
        "server_cert": None,
    }


class _TlsScopeApp:
    """Wraps the ASGI app for one connection and adds that connection's TLS extension to each scope."""

    __slots__ = ("app", "tls")

    def __init__(self, app: ASGIApp, tls: dict[str, Any]) -> None:
        self.app = app
        self.tls = tls

    async def __call__(
        self, scope: MutableMapping[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        if scope["type"] in ("http", "websocket"):
            extensions = dict(scope.get("extensions") or {})
            # A copy per request: the app may not alter what the next request on this connection sees.
            extensions["tls"] = {**self.tls, "client_cert_chain": list(self.tls["client_cert_chain"])}
            scope["extensions"] = extensions
        await self.app(scope, receive, send)


class _TlsScopeMixin:
    """Computes the TLS extension once in ``connection_made`` and swaps ``self.app`` for a wrapper.

    uvicorn's h11 and httptools protocols both start each request cycle with ``self.app``, so
    wrapping it per connection is enough and touches none of their parsing code.
    """

    app: ASGIApp

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]  # the protocol class this mixin precedes
        tls = tls_extension(transport)
        if tls is not None:
            self.app = _TlsScopeApp(self.app, tls)


class TlsScopeH11Protocol(_TlsScopeMixin, H11Protocol):
    pass


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools is a declared dependency
    TlsScopeHttpToolsProtocol: type[asyncio.Protocol] | None = None
else:

    class TlsScopeHttpToolsProtocol(_TlsScopeMixin, HttpToolsProtocol):  # type: ignore[no-redef]  # the None fallback above
        pass


HttpImpl = Literal["auto", "h11", "httptools"]


def http_protocol_class(http: HttpImpl = "auto") -> type[asyncio.Protocol]:
    if http == "h11" or (http == "auto" and TlsScopeHttpToolsProtocol is None):
        return TlsScopeH11Protocol
    if TlsScopeHttpToolsProtocol is None:
        raise RuntimeError("httptools is not installed")
    return TlsScopeHttpToolsProtocol


# --------------------------------------------------------------------------------------------------
# TLS handshake with logged failures


def _handshake_failure_reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"{exc.verify_message} ({exc.reason})"
    if isinstance(exc, ssl.SSLError):
        return exc.reason or exc.__class__.__name__
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return f"no TLS handshake within {HANDSHAKE_TIMEOUT_SECONDS:g} s"
    if isinstance(exc, ConnectionError):
        return f"connection lost during the handshake ({exc.__class__.__name__})"
    return f"{exc.__class__.__name__}: {exc}"


class TlsHandshakeProtocol(asyncio.Protocol):
    """First protocol of every connection on a TLS port: handshake, log failures, hand over to HTTP.

    Subclasses made by :func:`_tls_protocol_class` set ``ssl_context`` and ``http_protocol``.
    The instance stands in uvicorn's ``server_state.connections`` while the handshake runs, so a
    shutdown aborts pending handshakes instead of waiting for them.
    """

    ssl_context: ClassVar[ssl.SSLContext]
    http_protocol: ClassVar[type[asyncio.Protocol]]

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.loop = _loop or asyncio.get_event_loop()
        self.connections = server_state.connections
        self.http = self.http_protocol(config=config, server_state=server_state, app_state=app_state, _loop=_loop)  # type: ignore[call-arg]  # uvicorn's protocols take these keywords; its stubs say less
        self.transport: asyncio.Transport | None = None
        self.task: asyncio.Task[None] | None = None
        self.peer = "?"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # noqa: S101 - narrows the type for mypy
        self.transport = transport
        # Read nothing until start_tls has installed its SSL protocol (it resumes reading itself).
        transport.pause_reading()
        peer = transport.get_extra_info("peername")
        if isinstance(peer, (tuple, list)) and len(peer) >= 2:
            self.peer = f"[{peer[0]}]:{peer[1]}" if ":" in str(peer[0]) else f"{peer[0]}:{peer[1]}"
        self.connections.add(self)
        self.task = self.loop.create_task(self._handshake())

    async def _handshake(self) -> None:
        assert self.transport is not None  # noqa: S101 - set by connection_made, narrows the type
        # start_tls delivers decrypted bytes as soon as the handshake completes, before this task
        # resumes: a TLS 1.3 client's first request often rides with its Finished message. Those
        # bytes go to a buffer, replayed to the HTTP protocol once it has its transport.
        early = _EarlyData()
        try:
            tls_transport = await self.loop.start_tls(
                self.transport,
                early,
                self.ssl_context,
                server_side=True,
                ssl_handshake_timeout=HANDSHAKE_TIMEOUT_SECONDS,
            )
        except asyncio.CancelledError:
            self.transport.abort()
            raise
        except Exception as exc:  # noqa: BLE001 - every failure is logged, none may escape
            reason = _handshake_failure_reason(exc)
            # A peer that connects and leaves (a TCP health check, a port probe) is not worth a warning.
            level = logging.INFO if isinstance(exc, ConnectionError) else logging.WARNING
            tls_logger.log(
                level,
                'tls_handshake_failed peer=%s reason="%s"',
                self.peer,
                reason,
                extra={"peer": self.peer, "reason": reason},
            )
            self.transport.abort()
            return
        finally:
            self.connections.discard(self)
        if tls_transport is None:  # the connection closed during the handshake
            self.transport.abort()
            return
        tls_transport.set_protocol(self.http)
        self.http.connection_made(tls_transport)
        early.replay(self.http)

    def connection_lost(self, exc: Exception | None) -> None:
        # Only reached if the peer left before start_tls took the transport over.
        self.connections.discard(self)
        if self.task is not None and not self.task.done():
            self.task.cancel()

    def shutdown(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
        elif self.transport is not None:
            self.transport.abort()


class _EarlyData(asyncio.Protocol):
    """Holds what arrives between the end of the TLS handshake and the handover to HTTP."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.eof = False
        self.lost = False
        self.lost_exc: Exception | None = None

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)

    def eof_received(self) -> bool | None:
        self.eof = True
        return None  # as uvicorn's protocols: the TLS layer closes the connection

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.lost_exc = exc

    def replay(self, protocol: asyncio.Protocol) -> None:
        if self.chunks:
            protocol.data_received(b"".join(self.chunks))
            self.chunks.clear()
        if self.eof:
            protocol.eof_received()
        if self.lost:
            protocol.connection_lost(self.lost_exc)


def _tls_protocol_class(context: ssl.SSLContext, http: type[asyncio.Protocol]) -> type[TlsHandshakeProtocol]:
    return type(
        "TlsHandshakeProtocolBound",
        (TlsHandshakeProtocol,),
        {"ssl_context": context, "http_protocol": http},
    )


# --------------------------------------------------------------------------------------------------
# Several servers, one loop


@dataclass
class ServerSpec:
    """One listening server. ``port=0`` picks a free port (read it from :attr:`ServerGroup.ports`)."""

    name: str
    app: ASGIApp
    host: str = "127.0.0.1"
    port: int = 0
    ssl_context: ssl.SSLContext | None = None
    http: HttpImpl = "auto"
    lifespan: Literal["auto", "on", "off"] = "auto"
    # The sandbox's own access line (dgfip_sandbox.access_log: no query string, no SPI); uvicorn's stays off.
    access_log: bool = True
    # The gateway resolves client addresses itself (trusted proxies, RFC 9440): uvicorn's
    # X-Forwarded-For rewriting stays off unless a server asks for it.
    proxy_headers: bool = False
    timeout_graceful_shutdown: float = 10.0


ReadyCallback = Callable[[dict[str, str]], None]  # server name → URL, once every server listens


class ServerStartupError(RuntimeError):
    pass


class PortUnavailable(ServerStartupError):
    """A server's address cannot be bound (in use, not permitted, not on this host)."""

    def __init__(self, name: str, host: str, port: int, error: OSError) -> None:
        super().__init__(f"server {name!r} cannot listen on {host}:{port}: {error}")
        self.name, self.host, self.port, self.error = name, host, port, error

    @property
    def in_use(self) -> bool:
        import errno

        return self.error.errno == errno.EADDRINUSE


def bind_sockets(addresses: list[tuple[str, str, int]]) -> dict[str, socket.socket]:
    """Bind every ``(name, host, port)`` at once; on the first failure close the others and raise
    :class:`PortUnavailable`. Callers bind before announcing anything (the banner comes after)."""
    sockets: dict[str, socket.socket] = {}
    for name, host, port in addresses:
        try:
            sockets[name] = _bind(host, port)
        except OSError as exc:
            for sock in sockets.values():
                sock.close()
            raise PortUnavailable(name, host, port, exc) from exc
    return sockets


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to :class:`ServerGroup` and tells when it listens."""

    def __init__(self, config: uvicorn.Config, name: str) -> None:
        super().__init__(config)
        self.name = name
        self.ready = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self.ready.set()


class ServerGroup:
    """Binds every server's socket first, then runs them together until asked to stop.

    Binding before serving is what multi-process workers need (forked workers inherit the
    listening sockets, as uvicorn's ``Multiprocess`` does); ``serve(..., workers=N)`` can be built
    on it without changing how servers are described.
    """

    def __init__(self, specs: list[ServerSpec], *, on_ready: ReadyCallback | None = None) -> None:
        names = [spec.name for spec in specs]
        if len(set(names)) != len(names):
            raise ValueError(f"server names must be unique: {names}")
        self.specs = list(specs)
        self.sockets: dict[str, socket.socket] = {}
        self.servers: dict[str, _Server] = {}
        self._startup_done = asyncio.Event()
        self._signals_installed: list[int] = []
        self._exit_requested = False
        self.on_ready = on_ready

    # Binding

    def bind(self) -> None:
        """Bind the sockets not bound yet (a caller may have bound some with :func:`bind_sockets`)."""
        missing = [(spec.name, spec.host, spec.port) for spec in self.specs if spec.name not in self.sockets]
        try:
            self.sockets.update(bind_sockets(missing))
        except PortUnavailable:
            self.close_sockets()
            raise

    def close_sockets(self) -> None:
        for sock in self.sockets.values():
            sock.close()
        self.sockets.clear()

    @property
    def ports(self) -> dict[str, int]:
        return {name: sock.getsockname()[1] for name, sock in self.sockets.items()}

    @property
    def urls(self) -> dict[str, str]:
        return {name: self.url(name) for name in self.sockets}

    def url(self, name: str) -> str:
        spec = next(s for s in self.specs if s.name == name)
        host, port = self.sockets[name].getsockname()[:2]
        host = f"[{host}]" if ":" in host else host
        return f"{'https' if spec.ssl_context else 'http'}://{host}:{port}"

    # Running

    async def run(self, *, handle_signals: bool = True) -> None:
        """Serve until :meth:`request_exit` (or SIGINT/SIGTERM when ``handle_signals``), then shut down gracefully."""
        loop = asyncio.get_running_loop()
        startup: asyncio.Task[None] | None = None
        try:
            self.bind()
            for spec in self.specs:
                self.servers[spec.name] = _Server(_config(spec), spec.name)
            if handle_signals:
                self._install_signal_handlers(loop)
            pending = {loop.create_task(self._run_one(spec.name), name=f"server-{spec.name}") for spec in self.specs}
            startup = loop.create_task(self._all_ready())
            failure: BaseException | None = None
            while pending:
                try:
                    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                except asyncio.CancelledError:
                    # Cancelled from outside: stop the servers at once, without waiting for requests.
                    self.request_exit(force=True)
                    await asyncio.wait(pending)
                    raise
                for task in done:
                    if not self._exit_requested:
                        # One server stopping (failure or max requests) stops the others.
                        self.request_exit()
                    if task.exception() is not None and failure is None:
                        failure = task.exception()
            if failure is not None:
                raise failure
        finally:
            if startup is not None:
                startup.cancel()
            self._startup_done.set()
            self._remove_signal_handlers(loop)
            self.close_sockets()  # uvicorn closes them at shutdown, but not after a failed startup

    async def wait_started(self) -> None:
        """Return once every server listens (or once the group stopped, e.g. on a startup failure)."""
        await self._startup_done.wait()

    def request_exit(self, *, force: bool = False) -> None:
        self._exit_requested = True
        for server in self.servers.values():
            server.should_exit = True
            if force:
                server.force_exit = True

    async def _run_one(self, name: str) -> None:
        server = self.servers[name]
        try:
            await server.serve(sockets=[self.sockets[name]])
        except SystemExit as exc:  # uvicorn exits the process when the app's lifespan startup fails
            raise ServerStartupError(f"server {name!r} failed to start (exit code {exc.code})") from None
        if not server.started:
            raise ServerStartupError(f"server {name!r} failed to start")

    async def _all_ready(self) -> None:
        await asyncio.gather(*(server.ready.wait() for server in self.servers.values()))
        for name in self.servers:
            logger.info("server_started", name=name, url=self.url(name))
        if self.on_ready is not None:
            self.on_ready(self.urls)
        self._startup_done.set()

    def _install_signal_handlers(self, loop: asyncio.AbstractEventLoop) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self._on_signal, sig)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
                continue
            self._signals_installed.append(sig)

    def _remove_signal_handlers(self, loop: asyncio.AbstractEventLoop) -> None:
        for sig in self._signals_installed:
            loop.remove_signal_handler(sig)
        self._signals_installed.clear()

    def _on_signal(self, sig: int) -> None:
        force = self._exit_requested and sig == signal.SIGINT
        logger.info("shutdown_requested", signal=signal.Signals(sig).name, force=force)
        self.request_exit(force=force)


async def serve(
    servers: list[ServerSpec], *, workers: int = 1, handle_signals: bool = True, on_ready: ReadyCallback | None = None
) -> None:
    """Run every server in this process's event loop until SIGINT/SIGTERM; graceful shutdown.

    Several worker processes cannot start from inside a running event loop (forking a running loop
    is unsafe): use :func:`run` (synchronous), which forks them before any loop exists.
    """
    if workers != 1:
        raise ValueError("serve() runs one process; use server.run(servers, workers=N) for several")
    await ServerGroup(servers, on_ready=on_ready).run(handle_signals=handle_signals)


def run(
    servers: list[ServerSpec],
    *,
    workers: int = 1,
    on_ready: ReadyCallback | None = None,
    sockets: dict[str, socket.socket] | None = None,
) -> int:
    """Serve until SIGINT/SIGTERM, in this process (``workers=1``) or in ``workers`` forked processes.

    With several workers the parent binds every listening socket once, then forks the workers; each
    inherits the sockets (the kernel spreads connections over the processes accepting on them, as
    uvicorn's ``Multiprocess`` does) and runs the whole :class:`ServerGroup` — TLS handshake protocol,
    ASGI TLS extension, lifespan — in its own event loop. The parent only supervises: it forwards
    SIGINT/SIGTERM to the workers (each finishes its in-flight requests and runs its lifespan
    shutdown, which drains the audit queue), and replaces a worker that dies on its own. Returns
    the exit code (0 after a requested stop). ``sockets``: listening sockets already bound by name
    (:func:`bind_sockets`), used instead of binding again.

    ``on_ready(urls)`` is called once every server listens (with several workers: once the parent has
    bound every socket and started the workers; connections wait in the listen backlog meanwhile).
    """
    if workers < 1:
        raise ValueError("workers must be >= 1")
    if workers == 1:
        group = ServerGroup(servers, on_ready=on_ready)
        group.sockets.update(sockets or {})
        asyncio.run(group.run())
        return 0
    supervisor = WorkerSupervisor(servers, workers, on_ready=on_ready)
    supervisor.group.sockets.update(sockets or {})
    return supervisor.run()


class WorkerSupervisor:
    """The parent of ``workers`` forked server processes sharing pre-bound sockets."""

    RESTART_LIMIT = 10

    def __init__(self, servers: list[ServerSpec], workers: int, *, on_ready: ReadyCallback | None = None) -> None:
        import multiprocessing

        self.group = ServerGroup(servers)
        self.on_ready = on_ready
        self.workers = workers
        self._context = multiprocessing.get_context("fork")
        self.processes: list[Any] = []
        self._stopping = False
        self._restarts = 0
        self._failed = False

    def _spawn(self) -> Any:
        process = self._context.Process(target=_worker_main, args=(self.group.specs, self.group.sockets), daemon=False)
        process.start()
        logger.info("worker_started", pid=process.pid)
        return process

    def _on_signal(self, signum: int, _frame: Any) -> None:
        # Always SIGTERM: a Ctrl-C also reaches the workers directly (same process group), and a
        # second SIGINT would make them skip the graceful shutdown.
        logger.info("shutdown_requested", signal=signal.Signals(signum).name, workers=self.workers)
        self._stopping = True
        for process in self.processes:
            if process.is_alive() and process.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)

    def run(self) -> int:
        from multiprocessing.connection import wait

        self.group.bind()
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.processes = [self._spawn() for _ in range(self.workers)]
            for name in self.group.sockets:
                logger.info("server_listening", name=name, url=self.group.url(name), workers=self.workers)
            if self.on_ready is not None:
                self.on_ready(self.group.urls)
            while True:
                if self._stopping:
                    if not any(p.is_alive() for p in self.processes):
                        break
                else:
                    for index, process in enumerate(self.processes):
                        if process.is_alive():
                            continue
                        logger.warning("worker_died", pid=process.pid, exitcode=process.exitcode)
                        self._restarts += 1
                        if self._restarts > self.RESTART_LIMIT:
                            logger.error("worker_restart_limit", limit=self.RESTART_LIMIT, action="stopping")
                            self._on_signal(signal.SIGTERM, None)
                            self._failed = True
                            break
                        self.processes[index] = self._spawn()
                # Wake up when a worker exits, or every second.
                wait([p.sentinel for p in self.processes if p.is_alive()], timeout=1.0)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            grace = max((spec.timeout_graceful_shutdown for spec in self.group.specs), default=10.0) + 5
            for process in self.processes:
                process.join(timeout=grace)
                if process.is_alive():
                    process.kill()
                    process.join()
            self.group.close_sockets()
        return 1 if self._failed else 0


def _worker_main(specs: list[ServerSpec], sockets: dict[str, socket.socket]) -> None:
    """Body of a forked worker: the whole server group on the inherited sockets."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    group = ServerGroup(specs)
    group.sockets = dict(sockets)
    try:
        asyncio.run(group.run(handle_signals=True))
    except ServerStartupError as exc:
        logger.error("worker_failed", error=str(exc))
        raise SystemExit(3) from None


def _bind(host: str, port: int) -> socket.socket:
    # proto must be IPPROTO_TCP (not 0, as socket.create_server leaves it): asyncio sets TCP_NODELAY
    # on accepted sockets only then, and without it every TLS response waits ~40 ms (Nagle against
    # delayed ACKs, since headers and body leave as separate TLS records).
    family, type_, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, type_, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _config(spec: ServerSpec) -> uvicorn.Config:
    http = http_protocol_class(spec.http)
    if spec.ssl_context is not None:
        http = _tls_protocol_class(spec.ssl_context, http)
    app = spec.app
    if spec.access_log:
        from dgfip_sandbox.access_log import AccessLogMiddleware

        app = AccessLogMiddleware(app, server=spec.name)
    return uvicorn.Config(
        app=app,
        host=spec.host,
        port=spec.port,
        http=http,
        ws="none",
        lifespan=spec.lifespan,
        # The sandbox configures logging itself (structlog / stdlib); uvicorn must not dictConfig over it.
        log_config=None,
        # uvicorn's access line writes the full query string (admin token, id_token_hint…): never on.
        access_log=False,
        proxy_headers=spec.proxy_headers,
        server_header=False,
        # uvicorn annotates an int but uses it as an asyncio timeout: a float works.
        timeout_graceful_shutdown=spec.timeout_graceful_shutdown,  # type: ignore[arg-type]
    )
