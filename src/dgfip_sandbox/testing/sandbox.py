"""The running sandbox the pytest plugin hands to a test: URLs, credentials, clients and helpers.

:func:`start_sandbox` prepares a sandbox under ``root`` and serves it from a background thread
(one asyncio loop, :class:`dgfip_sandbox.server.ServerGroup`: every socket is bound on a free
loopback port before the apps are built, so the URLs they print are the real ones).
"""

from __future__ import annotations

import asyncio
import re
import secrets
import ssl
import threading
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
from starlette.types import Receive, Scope, Send

from dgfip_sandbox.clock import FrozenClock
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.snapshot import SqliteSnapshot
from dgfip_sandbox.testing.ficoba import Ficoba
from dgfip_sandbox.testing.journal import Journal

T = TypeVar("T")
START_TIMEOUT_SECONDS = 60.0
FC_PASSWORD = "123"  # noqa: S105 - the demo identity provider's published test password
FICOBA_PREFIX = "/fcb-masrestit/"
DEFAULT_DECLARANT = {"nom_naissance": "TESTEUR", "prenoms": "CAMILLE", "sexe": "F", "date_naissance": "1985-06-15"}


@dataclass(frozen=True)
class ConsumerCredentials:
    """A demo consumer (partner) of the gateway: what an integrator configures in its client."""

    name: str
    client_id: str
    client_secret: str
    cert: Path
    key: Path
    oauth_scopes: tuple[str, ...]
    datapass_scopes: tuple[str, ...]
    quota_per_minute: int
    id_teleservice: str | None
    siret: str | None = None
    ficoba_modalities: tuple[str, ...] = ()
    ficoba_motifs: tuple[str, ...] = ()

    @property
    def cert_pair(self) -> tuple[str, str]:
        return str(self.cert), str(self.key)


@dataclass(frozen=True)
class ServiceProviderCredentials:
    """A FranceConnect service provider (FS) registered in the sandbox."""

    name: str
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class FranceConnectTokens:
    access_token: str
    id_token: str
    scope: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - a token type, not a secret


class FranceConnectFlowError(AssertionError):
    """A step of the FranceConnect flow did not answer as expected (the message says which)."""


class _Sleeps(list[float]):
    """The gateway's sleeper: scenario latencies advance the frozen clock, and are recorded."""

    def __init__(self, clock: FrozenClock) -> None:
        super().__init__()
        self._clock = clock

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self._clock.advance(seconds)


@dataclass
class DgfipSandbox:
    settings: Settings
    clock: FrozenClock
    gateway_url: str
    franceconnect_url: str
    admin_url: str
    admin_token: str
    demo_fs_url: str | None
    ca_cert: Path
    consumers: dict[str, ConsumerCredentials]
    service_providers: dict[str, ServiceProviderCredentials]
    franceconnect_identities: list[dict[str, Any]]
    credentials: dict[str, Any]
    clock_start: datetime | None = None
    slept: list[float] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _group: Any = field(default=None, repr=False)
    _admin: Any = field(default=None, repr=False)
    _fc_admin: Any = field(default=None, repr=False)
    _data: Any = field(default=None, repr=False)
    _clients: list[httpx.Client] = field(default_factory=list, repr=False)
    _quota: Any = field(default=None, repr=False)
    _snapshot: SqliteSnapshot | None = field(default=None, repr=False)
    _snapshot_credentials: str = field(default="", repr=False)

    # ---------------------------------------------------------------------------------------------
    # Credentials and clients

    def consumer(self, name: str) -> ConsumerCredentials:
        try:
            return self.consumers[name]
        except KeyError:
            raise KeyError(f"no demo consumer {name!r}; known: {', '.join(sorted(self.consumers))}") from None

    def ssl_context(self, consumer: str | None = None) -> ssl.SSLContext:
        """Trusts the sandbox CA; presents ``consumer``'s client certificate when given.

        Pass it as ``verify=`` to httpx (``httpx.Client(verify=sandbox.ssl_context("mairie-demo"))``):
        httpx 0.28 deprecates ``cert=`` and drops it beside a CA path given as ``verify=``, and does not
        take a ``Path`` as ``verify`` at all; one SSLContext carries both the trust and the certificate."""
        context = ssl.create_default_context(cafile=str(self.ca_cert))
        if consumer is not None:
            context.load_cert_chain(*self.consumer(consumer).cert_pair)
        return context

    def client(self, consumer: str, *, scopes: list[str] | None = None, authenticated: bool = True) -> httpx.Client:
        """An httpx client for the gateway: mutual TLS with the consumer's certificate, its bearer token,
        ``ID_Teleservice``, and on each request that has none a fresh ``X-Correlation-ID`` and, on
        FICOBA's routes, a fresh ``X-Request-ID`` (FICOBA answers 500 CAT012 without it)."""
        credentials = self.consumer(consumer)
        headers = {}
        if authenticated:
            headers["Authorization"] = f"Bearer {self.token(consumer, scopes=scopes)}"
        if credentials.id_teleservice:
            headers["ID_Teleservice"] = credentials.id_teleservice
        client = httpx.Client(
            base_url=self.gateway_url,
            verify=self.ssl_context(consumer),
            headers=headers,
            event_hooks={"request": [_request_ids]},
            timeout=30.0,
        )
        self._clients.append(client)
        return client

    def token(self, consumer: str, *, scopes: list[str] | None = None) -> str:
        """A gateway access token (OAuth2 client credentials over mutual TLS)."""
        credentials = self.consumer(consumer)
        data = {"grant_type": "client_credentials"}
        if scopes is not None:
            data["scope"] = " ".join(scopes)
        with httpx.Client(base_url=self.gateway_url, verify=self.ssl_context(consumer), timeout=30.0) as client:
            response = client.post("/token", data=data, auth=(credentials.client_id, credentials.client_secret))
        if response.status_code != 200:
            raise AssertionError(f"POST /token for {consumer}: {response.status_code} {response.text}")
        return str(response.json()["access_token"])

    def franceconnect_token(
        self, persona: str, scopes: list[str], *, service_provider: str = "demo-fs"
    ) -> FranceConnectTokens:
        """A FranceConnect access token for a test identity (its login: a déclarant's SPI,
        ``sans_correspondance``, ``homonyme``…) and scopes, without a browser: drives authorize →
        identity provider login → consent → token with httpx, as a browser and the FS would."""
        sp = self.service_providers.get(service_provider)
        if sp is None:
            raise KeyError(
                f"no FranceConnect service provider {service_provider!r}; known: {sorted(self.service_providers)}"
            )
        return obtain_franceconnect_token(self.franceconnect_url, sp, persona, scopes, verify=self.ssl_context())

    # ---------------------------------------------------------------------------------------------
    # Your own FranceConnect service providers and test identities (the same operations as the CLI)

    def add_service_provider(
        self,
        name: str,
        *,
        redirect_uris: list[str],
        post_logout_redirect_uris: list[str] | None = None,
        scopes: list[str] | None = None,
        alg: str = "ES256",
        auth: str = "client_secret_post",
        jwks_uri: str | None = None,
        private: bool = False,
        title: str | None = None,
    ) -> ServiceProviderCredentials:
        """Register an FS (``franceconnect fs add``); ``franceconnect_token(…, service_provider=name)``
        then drives the flow as that FS."""
        from dgfip_sandbox.admin.franceconnect import DEFAULT_FS_SCOPES, NewServiceProvider

        spec = NewServiceProvider(
            name=name,
            redirect_uris=list(redirect_uris),
            post_logout_redirect_uris=list(post_logout_redirect_uris or []),
            title=title,
            alg=alg,
            auth=auth,
            jwks_uri=jwks_uri,
            scopes=list(scopes or DEFAULT_FS_SCOPES),
            private=private,
        )
        row = self._run(self._fc_admin.add_fs(spec))
        credentials = ServiceProviderCredentials(
            name=name,
            client_id=row["client_id"],
            client_secret=row["client_secret"],
            redirect_uris=tuple(row["redirect_uris"]),
            scopes=tuple(row["scopes"]),
        )
        self.service_providers[name] = credentials
        return credentials

    def remove_service_provider(self, name: str) -> None:
        self._run(self._fc_admin.remove_fs(name))
        self.service_providers.pop(name, None)

    def link_service_provider(self, consumer: str, service_provider: str) -> None:
        """``consumers link-fs``: the consumer's FranceConnect routes accept that FS's tokens."""
        self._run(self._fc_admin.link_fs(consumer, service_provider))

    def add_identity(self, login: str, **fields: Any) -> dict[str, Any]:
        """A test identity of the demo identity provider (``franceconnect idp add``; fields: ``spi``,
        ``given_name``, ``family_name``, ``birthdate``, ``gender``, ``birthplace``, ``birthcountry``,
        ``email``…); its password is ``123``."""
        from dgfip_sandbox.admin.franceconnect import NewIdentity

        return self._run(self._fc_admin.add_identity(NewIdentity(login=login, **fields)))

    # ---------------------------------------------------------------------------------------------
    # Time, quotas, scenarios, journal, reset

    def advance_clock(self, seconds: float = 0, **kwargs: float) -> datetime:
        """Move the apps' shared clock forward (``seconds``, or ``minutes=``, ``hours=``, ``days=``)."""
        self.clock.advance(seconds, **kwargs)
        return self.clock.now()

    def set_clock(self, when: datetime) -> None:
        self.clock.set(when)

    def reset_quotas(self, consumer: str | None = None) -> None:
        """Forget the per-minute counters (of one consumer, or all)."""
        self._run(self._admin.reset_quota(consumer))

    def set_scenario(self, consumer: str, scenario: str | None) -> None:
        """A standing scenario for the consumer's next calls (docs/scenarios.md); None clears it."""
        self._run(self._admin.set_scenario(consumer, scenario))

    @property
    def journal(self) -> Journal:
        """The request journal: ``journal(consumer)`` newest first, ``journal.calls(...)``,
        ``journal.assert_called(route=..., times=...)`` (testing/journal.py)."""
        return Journal(self._run, lambda: self._admin)

    @property
    def ficoba(self) -> Ficoba:
        """FICOBA's searches with the request envelope filled in (testing/ficoba.py)."""
        return Ficoba(self)

    # ---------------------------------------------------------------------------------------------
    # Test data (docs/test-data.md): the same model as data files and the admin API

    def load_data(self, data: dict[str, Any] | str | Path, *, source: str = "pytest") -> dict[str, Any]:
        """Load test data (a data file's path, or its content as a dict): what was created."""
        from dgfip_sandbox.testdata.files import load_file, parse_data

        model = load_file(Path(data)) if isinstance(data, str | Path) else parse_data(data, source)
        name = Path(data).name if isinstance(data, str | Path) else source
        return self._run(self._data.add(model, source=name))

    def foyer(self, *declarants: dict[str, Any], **fields: Any) -> str:
        """Create a foyer fiscal (docs/test-data.md, ``foyers``); its first déclarant's SPI.

        ``sandbox.foyer(avis=[{"annee": 2025, "rfr": 25000}])`` gives one déclarant with a default
        état civil; pass déclarants as dicts (``{"nom_naissance": …, "prenoms": …, "sexe": "F",
        "date_naissance": "1980-04-02"}``) and any other foyer field by name."""
        people = list(declarants) or [dict(DEFAULT_DECLARANT)]
        return str(self.load_data({"foyers": [{"declarants": people, **fields}]})["foyers"][0]["key"])

    def compte(self, titulaire: str | dict[str, Any] | None = None, **fields: Any) -> str:
        """Create a FICOBA account (``comptes``); its IBAN. ``titulaire``: an SPI (a déclarant, or
        FICOBA's person of that SPI) or a person / legal entity as a dict; more rights in ``droits``."""
        droits = list(fields.pop("droits", []))
        if titulaire is not None:
            person = {"spi": titulaire} if isinstance(titulaire, str) else titulaire
            droits.insert(0, {"droit": "titulaire", "personne": person})
        return str(self.load_data({"comptes": [{"droits": droits, **fields}]})["comptes"][0]["key"])

    def identite(self, spi: str | None = None, **fields: Any) -> str:
        """Create a FranceConnect identity (``identites``), linked to the déclarant of ``spi`` when
        given; its login (the SPI unless ``login=``), for ``franceconnect_token(login, …)``."""
        return str(self.load_data({"identites": [{"spi": spi, **fields}]})["identites"][0]["key"])

    def remove_data(self, *keys: str) -> list[str]:
        """Remove test data by key (SPI of a foyer's first déclarant, IBAN, login)."""
        return self._run(self._data.remove(list(keys)))

    def data(self) -> list[dict[str, Any]]:
        """The test data loaded, oldest first (kind, key, source)."""
        return self._run(self._data.list())

    def reset(self, *, keep_data: bool = True) -> dict[str, Any]:
        """Back to the start, clock included (to ``clock_start``), quotas and journal emptied.

        ``keep_data=True`` (the default): demo consumers as shipped, added ones removed, journal
        emptied; the test data loaded so far stays (``remove_data()``). ``keep_data=False``: the whole
        database as it was when :meth:`snapshot` was taken (by the plugin: the seed plus the
        ``dgfip_sandbox_data`` files), restored in place in milliseconds; the test's data is gone."""
        result: dict[str, Any]
        if keep_data or self._snapshot is None:
            result = self._run(self._admin.reset())
        else:
            self._snapshot.restore()
            self.settings.credentials_path.write_text(self._snapshot_credentials)
            self._run(self._quota.reset())
            result = {"restored": "snapshot"}
        if self.clock_start is not None:
            self.clock.set(self.clock_start)
        self.slept.clear()
        return result

    def snapshot(self) -> None:
        """Remember the current database (and credentials file) for ``reset(keep_data=False)``."""
        if self.settings.database_url:
            raise RuntimeError("reset(keep_data=False) snapshots SQLite only; the plugin's sandbox uses SQLite")
        if self._snapshot is None:
            self._snapshot = SqliteSnapshot(self.settings.var_dir / "sandbox.db")
        self._snapshot.take()
        self._snapshot_credentials = self.settings.credentials_path.read_text()

    # ---------------------------------------------------------------------------------------------
    # Lifecycle

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            raise RuntimeError("the sandbox is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=60)

    def stop(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()
        if self._loop is not None and self._group is not None:
            self._loop.call_soon_threadsafe(self._group.request_exit)
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._loop = None
        if self._snapshot is not None:
            self._snapshot.close()


def obtain_franceconnect_token(
    franceconnect_url: str, sp: ServiceProviderCredentials, persona: str, scopes: list[str], *, verify: Any = True
) -> FranceConnectTokens:
    """Drive FranceConnect's authorize → identity provider login → consent → token with httpx, as a
    browser and the FS would, for a test identity and scopes (also used by the benchmarks)."""
    redirect_uri = sp.redirect_uris[0]
    wanted = ["openid", *[s for s in scopes if s != "openid"]]
    state = secrets.token_urlsafe(16)
    with httpx.Client(base_url=franceconnect_url, verify=verify, timeout=30.0) as browser:
        authorize = browser.get(
            "/api/v2/authorize",
            params={
                "response_type": "code",
                "client_id": sp.client_id,
                "redirect_uri": redirect_uri,
                "scope": " ".join(wanted),
                "state": state,
                "nonce": secrets.token_urlsafe(32),
                "acr_values": "eidas1",
            },
        )
        interaction = _location(authorize, "authorize")
        uid = urlsplit(interaction).path.rstrip("/").rsplit("/", 1)[-1]
        # FranceConnect's page: the identity-provider tiles; then the provider's own login page.
        choice = browser.get(interaction)
        provider = _PROVIDER.search(choice.text)
        if provider is None:
            raise FranceConnectFlowError(f"FranceConnect identity-provider choice: {choice.text[:300]}")
        chosen = browser.post(
            f"/api/v2/interaction/{uid}/redirect-to-idp",
            data={"providerUid": provider.group(1), "csrfToken": _csrf(choice, "identity-provider choice")},
        )
        page = browser.get(_location(chosen, "identity-provider choice"))
        login = browser.post(
            f"/api/v2/interaction/{uid}/login",
            data={"login": persona, "password": FC_PASSWORD, "csrfToken": _csrf(page, "identity provider page")},
        )
        if login.status_code == 401:
            raise FranceConnectFlowError(f"FranceConnect knows no identity {persona!r} (password {FC_PASSWORD})")
        verified = browser.get(_location(login, "login"))
        consent_page = browser.get(_location(verified, "verify"))
        consent = browser.post(
            "/api/v2/login",
            data={"interactionId": uid, "csrfToken": _csrf(consent_page, "consent page"), "accept": "1"},
        )
        callback = urlsplit(_location(consent, "consent"))
        query = parse_qs(callback.query)
        if "code" not in query:
            raise FranceConnectFlowError(f"FranceConnect redirected without a code: {callback.query}")
        if query.get("state") != [state]:
            raise FranceConnectFlowError("FranceConnect returned another state")
        if query.get("iss") != [franceconnect_url.rstrip("/") + "/api/v2"]:
            raise FranceConnectFlowError(f"FranceConnect answered with another issuer: {query.get('iss')}")
        token = browser.post(
            "/api/v2/token",
            data={
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "redirect_uri": redirect_uri,
                "client_id": sp.client_id,
                "client_secret": sp.client_secret,
            },
        )
    if token.status_code != 200:
        raise FranceConnectFlowError(f"POST /api/v2/token: {token.status_code} {token.text}")
    body = token.json()
    return FranceConnectTokens(
        access_token=body["access_token"],
        id_token=body["id_token"],
        scope=body.get("scope", ""),
        expires_in=int(body.get("expires_in", 0)),
        token_type=body.get("token_type", "Bearer"),
    )


def _request_ids(request: httpx.Request) -> None:
    """The identifiers each API requires of its callers, when the caller's code did not set them."""
    if "x-correlation-id" not in request.headers:
        request.headers["X-Correlation-ID"] = str(uuid.uuid4())
    if request.url.path.startswith(FICOBA_PREFIX) and "x-request-id" not in request.headers:
        request.headers["X-Request-ID"] = str(uuid.uuid4())


def _location(response: httpx.Response, step: str) -> str:
    if response.status_code not in (302, 303) or "location" not in response.headers:
        raise FranceConnectFlowError(
            f"FranceConnect {step}: expected a redirect, got {response.status_code}: {response.text[:300]}"
        )
    return response.headers["location"]


_CSRF = re.compile(r'name="csrfToken" value="([^"]+)"')
_PROVIDER = re.compile(r'name="providerUid" value="([^"]+)"')


def _csrf(page: httpx.Response, step: str) -> str:
    match = _CSRF.search(page.text)
    if page.status_code != 200 or match is None:
        raise FranceConnectFlowError(f"FranceConnect {step}: {page.status_code}, no form: {page.text[:300]}")
    return match.group(1)


async def _not_built(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("the sandbox's app is built once its port is known")


def start_sandbox(
    root: Path,
    *,
    seed_size: int = 200,
    clock_start: datetime,
    with_demo_fs: bool = False,
    cache_dir: Path | None = None,
    use_cache: bool = True,
) -> DgfipSandbox:
    """Prepare a sandbox under ``root`` and serve it until :meth:`DgfipSandbox.stop`.

    The prepared files come from the per-machine template cache (testing/template.py; ``cache_dir``,
    default :func:`~dgfip_sandbox.testing.template.cache_root`) unless ``use_cache`` is false or
    ``with_demo_fs`` (the demo FS's port is registered in the database).

    ``with_demo_fs`` also serves the demo service provider (``demo_fs_url``), on its own free port:
    FranceConnect registers its redirect URIs for that port, and it reaches FranceConnect and the
    gateway at theirs (through var/credentials.json, as ``dgfip-sandbox demo-fs`` does)."""
    from dgfip_sandbox import pki, server
    from dgfip_sandbox.bootstrap import prepare_sandbox
    from dgfip_sandbox.testing.template import prepare_from_template

    clock = FrozenClock(clock_start)
    # The apps are built once the ports are known (below); until then each server holds a placeholder.
    specs = [
        server.ServerSpec(name="gateway", app=_not_built, access_log=False),
        server.ServerSpec(name="franceconnect", app=_not_built, access_log=False),
        server.ServerSpec(name="admin", app=_not_built, access_log=False),
    ]
    if with_demo_fs:
        specs.append(server.ServerSpec(name="demo-fs", app=_not_built, access_log=False))
    group = server.ServerGroup(specs)
    group.bind()  # free ports, held from now on: the settings below name the real ones
    ports = group.ports
    settings = Settings(
        var_dir=root / "var",
        certs_dir=root / "certs",
        seed_size=seed_size,
        port=ports["gateway"],
        fc_port=ports["franceconnect"],
        admin_port=ports["admin"],
        public_base_url=f"https://localhost:{ports['gateway']}",
        log_level="WARNING",
        _env_file=None,
    )
    if with_demo_fs:
        settings = settings.model_copy(update={"demo_fs_port": ports["demo-fs"]})
    try:
        if use_cache and not with_demo_fs:
            credentials = prepare_from_template(settings, now=clock_start, cache_dir=cache_dir)
        else:
            credentials = prepare_sandbox(settings, now=clock_start)
    except BaseException:
        group.close_sockets()
        raise
    sandbox_pki = pki.ensure_pki(settings.certs_dir, [], now=clock_start)
    specs[0].ssl_context = server.server_ssl_context(sandbox_pki)

    ready = threading.Event()
    failure: list[BaseException] = []
    box = DgfipSandbox(
        settings=settings,
        clock=clock,
        gateway_url=f"https://localhost:{ports['gateway']}",
        franceconnect_url=settings.franceconnect_base_url,
        admin_url=f"http://127.0.0.1:{ports['admin']}",
        admin_token=credentials["admin"]["token"],
        demo_fs_url=f"http://localhost:{ports['demo-fs']}" if with_demo_fs else None,
        ca_cert=Path(credentials["gateway"]["ca_cert"]).resolve(),
        consumers={c["name"]: _consumer(c) for c in credentials["consumers"]},
        service_providers=_service_providers(credentials.get("franceconnect", {})),
        franceconnect_identities=list(credentials.get("franceconnect", {}).get("identities", [])),
        credentials=credentials,
        clock_start=clock_start,
    )
    sleeps = _Sleeps(clock)
    box.slept = sleeps

    async def main() -> None:
        from dgfip_sandbox.admin.franceconnect import FranceConnectAdmin
        from dgfip_sandbox.admin.service import ConsumerAdmin
        from dgfip_sandbox.assembly import (
            build_admin_app,
            build_demo_fs_app,
            build_franceconnect_app,
            build_gateway_app,
            scenario_errors,
        )
        from dgfip_sandbox.gateway.quota import MemoryQuotaStore
        from dgfip_sandbox.store.database import create_engine, create_sessionmaker
        from dgfip_sandbox.testdata.service import TestDataService

        quota = MemoryQuotaStore()
        box._quota = quota
        gateway = build_gateway_app(settings, clock=clock, quota_store=quota, sleeper=sleeps)
        specs[0].app = gateway
        specs[1].app = build_franceconnect_app(settings, clock=clock)
        specs[2].app = build_admin_app(
            settings, clock=clock, quota_store=quota, gateway_openapi=gateway.openapi(), metrics=gateway.state.metrics
        )
        if with_demo_fs:
            specs[3].app = build_demo_fs_app(settings, clock=clock)
        engine = create_engine(settings.sqlalchemy_url, pool_size=2)
        box._fc_admin = FranceConnectAdmin(settings, create_sessionmaker(engine), clock=clock, actor="pytest")
        box._admin = ConsumerAdmin(
            settings,
            create_sessionmaker(engine),
            clock=clock,
            scenario_errors=scenario_errors(),
            quota=quota,
            actor="pytest",
        )
        box._data = TestDataService(create_sessionmaker(engine), clock=clock, actor="pytest")
        box._loop = asyncio.get_running_loop()
        box._group = group

        async def signal_ready() -> None:
            await group.wait_started()
            ready.set()

        watcher = asyncio.create_task(signal_ready())
        try:
            await group.run(handle_signals=False)
        finally:
            watcher.cancel()
            await engine.dispose()

    def thread_main() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            failure.append(exc)
        finally:
            ready.set()

    thread = threading.Thread(target=thread_main, name="dgfip-sandbox", daemon=True)
    box._thread = thread
    thread.start()
    if not ready.wait(START_TIMEOUT_SECONDS) or failure or not all(s.started for s in group.servers.values()):
        box.stop()
        raise RuntimeError(f"the sandbox did not start: {failure[0] if failure else 'timeout'}")
    return box


def _consumer(data: dict[str, Any]) -> ConsumerCredentials:
    return ConsumerCredentials(
        name=data["name"],
        client_id=data["client_id"],
        client_secret=data["client_secret"],
        cert=Path(data["cert"]).resolve(),
        key=Path(data["key"]).resolve(),
        oauth_scopes=tuple(data.get("oauth_scopes", ())),
        datapass_scopes=tuple(data.get("datapass_scopes", ())),
        quota_per_minute=int(data.get("quota_per_minute", 200)),
        id_teleservice=data.get("id_teleservice"),
        siret=data.get("siret"),
        ficoba_modalities=tuple(data.get("ficoba_modalities", ())),
        ficoba_motifs=tuple(data.get("ficoba_motifs", ())),
    )


def _service_providers(section: dict[str, Any]) -> dict[str, ServiceProviderCredentials]:
    found = {}
    for sp in section.get("service_providers", []):
        found[sp["name"]] = ServiceProviderCredentials(
            name=sp["name"],
            client_id=sp["client_id"],
            client_secret=sp.get("client_secret") or "",
            redirect_uris=tuple(sp.get("redirect_uris", ())),
            scopes=tuple(sp.get("scopes", ())),
        )
    return found
