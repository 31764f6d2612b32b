"""The admin app's two locks: the TCP peer must be a loopback address (``LoopbackOnly``, else 403 whatever
the path), and every request carries the admin bearer token (``require_admin``, else 401); the portal's
pages may carry it in the ``COOKIE`` the login form (``POST /portal/login``) sets, for reading only."""

from __future__ import annotations

import ipaddress

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from dgfip_sandbox.admin.credential import token_matches
from dgfip_sandbox.admin.errors import AdminForbidden, AdminUnauthorized
from dgfip_sandbox.admin.service import ConsumerAdmin
from dgfip_sandbox.admin.state import admin_state
from dgfip_sandbox.clock import Clock
from dgfip_sandbox.envelope import send_error
from dgfip_sandbox.gateway.trusted_proxies import parse_address

COOKIE = "dgfip_sandbox_admin"


def is_loopback(address: str | None) -> bool:
    ip = parse_address(address)
    return ip is not None and ip.is_loopback


def in_networks(address: str | None, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    ip = parse_address(address)
    return ip is not None and any(ip in network for network in networks)


class LoopbackOnly:
    """Refuses (403, in the envelope) any request whose TCP peer is neither a loopback address nor in
    ``allowed`` (``admin_allowed_ips``: in a container, the bridge address host clients arrive from)."""

    def __init__(self, app: ASGIApp, clock: Clock, allowed: tuple[str, ...] = ()) -> None:
        self.app = app
        self.clock = clock
        self.allowed = tuple(ipaddress.ip_network(cidr, strict=False) for cidr in allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            peer = (scope.get("client") or (None,))[0]
            if not is_loopback(peer) and not in_networks(peer, self.allowed):
                error = AdminForbidden(
                    f"l'administration n'est ouverte qu'à la machine locale (adresse {peer or 'inconnue'})"
                )
                await send_error(send, error, self.clock.now())
                return
        await self.app(scope, receive, send)


def require_admin(request: Request) -> ConsumerAdmin:
    state = admin_state(request)
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    presented = value.strip() if scheme.lower() == "bearer" else ""
    if not presented and request.method in ("GET", "HEAD"):
        presented = request.cookies.get(COOKIE, "")
    if not presented:
        raise AdminUnauthorized(
            "jeton d'administration absent (en-tête Authorization: Bearer <jeton>, voir var/credentials.json)"
        )
    if not token_matches(presented, state.token):
        raise AdminUnauthorized("jeton d'administration incorrect")
    return state.service()


def require_portal_session(request: Request) -> ConsumerAdmin:
    """The admin token as ``require_admin`` takes it, or, for the portal's own JSON POSTs (the workbench's
    runs), the portal's cookie when the browser says the request comes from the portal's page
    (``Sec-Fetch-Site: same-origin``) and its body is JSON (which no cross-site form can send)."""
    if request.headers.get("authorization"):
        return require_admin(request)
    cookie = request.cookies.get(COOKIE, "")
    same_origin = request.headers.get("sec-fetch-site") == "same-origin"
    json_body = request.headers.get("content-type", "").startswith("application/json")
    if not cookie or not same_origin or not json_body:
        raise AdminUnauthorized(
            "jeton d'administration absent (en-tête Authorization: Bearer <jeton>, ou la session du portail)"
        )
    if not token_matches(cookie, admin_state(request).token):
        raise AdminUnauthorized("jeton d'administration incorrect")
    return admin_state(request).service()
