"""The composition root: every ASGI app of the sandbox, built from one ``Settings``.

The CLI, the pytest plugin, the tests and the benchmarks build their apps here and nowhere else. This
module is the only one that knows both the gateway and the APIs it serves: the gateway receives the
API routers (it imports no API), and each API package exports what the gateway mounts.

    assembly ──► gateway, apis.*, franceconnect, admin, demo_fs ──► store, settings, clock, …
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from dgfip_sandbox.clock import Clock, clock_from_settings
from dgfip_sandbox.settings import Settings

if TYPE_CHECKING:
    import ssl

    import httpx
    from fastapi import FastAPI

    from dgfip_sandbox.gateway.metrics import GatewayMetrics
    from dgfip_sandbox.gateway.mounted_api import MountedApi
    from dgfip_sandbox.gateway.quota import QuotaStore
    from dgfip_sandbox.gateway.scenario_errors import ScenarioErrors
    from dgfip_sandbox.server import ServerSpec


def mounted_apis() -> list[MountedApi]:
    """The business APIs mounted behind the gateway's pipeline: routers (with their full prefix), scopes,
    injectable errors."""
    from dgfip_sandbox.apis.ficoba.mount import API as FICOBA
    from dgfip_sandbox.apis.impot_particulier.mount import API as IMPOT_PARTICULIER

    return [IMPOT_PARTICULIER, FICOBA]


def scenario_errors() -> ScenarioErrors:
    """What ``X-Sandbox-Scenario`` may inject on this sandbox's APIs (the admin checks standing scenarios)."""
    from dgfip_sandbox.gateway.scenario_errors import ScenarioErrors

    return ScenarioErrors.of(mounted_apis())


def build_gateway_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    quota_store: QuotaStore | None = None,
    sleeper: Callable[[float], Awaitable[None]] | None = None,
    fc_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The APIM gateway with API Impôt particulier and API FICOBA behind its pipeline.

    ``fc_transport``: an httpx transport for the checktoken client (tests reach FranceConnect in-process)."""
    from dgfip_sandbox.gateway.app import create_gateway_app

    return create_gateway_app(
        settings,
        apis=mounted_apis(),
        clock=clock,
        quota_store=quota_store or build_quota_store(settings),
        sleeper=sleeper,
        fc_transport=fc_transport,
    )


def build_openapi_documents(settings: Settings) -> dict[str, dict[str, Any]]:
    """The gateway's OpenAPI documents, URL → document (gateway/openapi.py), without serving anything."""
    documents: dict[str, dict[str, Any]] = build_gateway_app(settings).state.openapi_documents()
    return documents


def shipped_files() -> dict[str, str]:
    """URL of a served document → the name of its file in dgfip_sandbox/contract/."""
    from dgfip_sandbox.contract import COMBINED_FILE
    from dgfip_sandbox.gateway.openapi import COMBINED_URL

    contracts = [api.contract for api in mounted_apis() if api.contract is not None]
    return {COMBINED_URL: COMBINED_FILE, **{c.url: c.file_name for c in contracts}}


def build_franceconnect_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    """The FranceConnect-like provider (authorize, token, userinfo, checktoken…)."""
    from dgfip_sandbox.franceconnect.app import create_franceconnect_app

    return create_franceconnect_app(settings, clock=clock)


def build_admin_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    quota_store: QuotaStore | None = None,
    gateway_openapi: dict[str, Any] | None = None,
    metrics: GatewayMetrics | None = None,
) -> FastAPI:
    """The admin API and developer portal; the portal lists the gateway's routes from its OpenAPI document;
    ``/metrics`` renders the gateway's ``metrics`` (the same process's gateway app's ``state.metrics``)."""
    from dgfip_sandbox.admin.app import create_admin_app

    if gateway_openapi is None:
        gateway_openapi = build_gateway_app(settings, clock=clock).openapi()
    return create_admin_app(
        settings,
        clock=clock,
        quota_store=quota_store,
        gateway_openapi=gateway_openapi,
        scenario_errors=scenario_errors(),
        metrics=metrics,
    )


def build_demo_fs_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    fc_transport: httpx.AsyncBaseTransport | None = None,
    gateway_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The demo service provider (a "S’identifier avec FranceConnect" page and the DGFiP data it fetches)."""
    from dgfip_sandbox.demo_fs.app import create_demo_fs_app

    return create_demo_fs_app(settings, clock=clock, fc_transport=fc_transport, gateway_transport=gateway_transport)


def build_quota_store(settings: Settings) -> QuotaStore:
    """Redis when ``DGFIP_SANDBOX_REDIS_URL`` is set, else the in-process store."""
    from dgfip_sandbox.gateway.quota import MemoryQuotaStore

    if settings.redis_url:
        from dgfip_sandbox.gateway.quota_redis import RedisQuotaStore

        return RedisQuotaStore.from_url(
            settings.redis_url, fail_open=settings.redis_fail_open, prefix=settings.redis_prefix
        )
    return MemoryQuotaStore()


def in_process_checktoken(fc_app: FastAPI | None) -> httpx.AsyncBaseTransport | None:
    """When this process also serves FranceConnect, the gateway's checktoken calls reach it in
    process: the same POST /api/v2/checktoken and the same JWE answer, without a loopback socket or
    FranceConnect's ASGI stack (``franceconnect/in_process.py``). None (a real HTTP call to
    ``franceconnect_base_url``) when FranceConnect is served elsewhere."""
    if fc_app is None:
        return None
    from dgfip_sandbox.franceconnect.in_process import InProcessChecktoken

    return InProcessChecktoken(fc_app)


def server_addresses(
    settings: Settings,
    *,
    with_gateway: bool = True,
    with_fc: bool = True,
    with_demo_fs: bool = False,
    with_admin: bool = True,
) -> list[tuple[str, str, int]]:
    """``(name, host, port)`` of each server :func:`build_server_specs` builds for the same flags, in its
    order: what the CLI binds before it prints anything."""
    addresses = []
    if with_gateway:
        addresses.append(("gateway", settings.host, settings.port))
    if with_fc:
        addresses.append(("franceconnect", settings.fc_host, settings.fc_port))
    if with_gateway:
        # The admin listener (the admin app, or /metrics alone with --no-admin). 127.0.0.1 unless told (a
        # container): it refuses peers neither loopback nor allowed.
        addresses.append(("admin", settings.admin_host, settings.admin_port))
    if with_demo_fs:
        addresses.append(("demo-fs", settings.demo_fs_host, settings.demo_fs_port))
    return addresses


def build_server_specs(
    settings: Settings,
    *,
    clock: Clock | None = None,
    quota_store: QuotaStore | None = None,
    sleeper: Callable[[float], Awaitable[None]] | None = None,
    with_gateway: bool = True,
    with_fc: bool = True,
    with_demo_fs: bool = False,
    with_admin: bool = True,
    access_log: bool = True,
) -> list[ServerSpec]:
    """The servers one process runs: the gateway (mTLS), FranceConnect, the admin app, the demo FS."""
    from dgfip_sandbox import pki, server

    clock = clock or clock_from_settings(settings)
    grace = settings.graceful_shutdown_seconds
    sandbox_pki = pki.ensure_pki(settings.certs_dir, [], now=clock.now())
    # One quota store for the gateway and the admin app: the portal shows the calls counted now.
    quota = quota_store or build_quota_store(settings)
    fc_app = build_franceconnect_app(settings, clock=clock) if with_fc else None
    gateway_app = (
        build_gateway_app(
            settings, clock=clock, quota_store=quota, sleeper=sleeper, fc_transport=in_process_checktoken(fc_app)
        )
        if with_gateway
        else None
    )
    gateway_metrics = gateway_app.state.metrics if gateway_app is not None else None

    def admin_listener() -> Any:
        # The admin app, or for a replica without it (--no-admin) /metrics alone: the gateway's metrics
        # are served there, never on the public gateway port.
        if with_admin:
            assert gateway_app is not None  # noqa: S101 - the admin listener exists only beside a gateway
            return build_admin_app(
                settings,
                clock=clock,
                quota_store=quota,
                gateway_openapi=gateway_app.openapi(),
                metrics=gateway_metrics,
            )
        from dgfip_sandbox.admin.metrics import metrics_app

        return metrics_app(gateway_metrics, clock=clock)

    builders: dict[str, Callable[[], tuple[Any, ssl.SSLContext | None]]] = {
        "gateway": lambda: (gateway_app, server.server_ssl_context(sandbox_pki)),
        "franceconnect": lambda: (
            fc_app,
            server.server_ssl_context(sandbox_pki, client_auth=False) if settings.fc_https else None,
        ),
        "admin": lambda: (admin_listener(), None),
        "demo-fs": lambda: (build_demo_fs_app(settings, clock=clock), None),
    }
    specs = []
    addresses = server_addresses(
        settings, with_gateway=with_gateway, with_fc=with_fc, with_demo_fs=with_demo_fs, with_admin=with_admin
    )
    for name, host, port in addresses:
        app, ssl_context = builders[name]()
        specs.append(
            server.ServerSpec(
                name=name,
                app=app,
                host=host,
                port=port,
                ssl_context=ssl_context,
                timeout_graceful_shutdown=grace,
                access_log=access_log,
            )
        )
    return specs
