"""Check 2: the caller's IP address is in the consumer's allowlist (CIDRs, IPv4 and IPv6).

``X-Forwarded-For`` is honoured only when the TCP peer is a trusted proxy: the caller is then the
rightmost hop that is not itself a trusted proxy.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import Request

from dgfip_sandbox.errors import IpNotAllowed
from dgfip_sandbox.gateway.state import GatewayState
from dgfip_sandbox.gateway.trusted_proxies import TrustedProxies, parse_address, peer_address
from dgfip_sandbox.store.consumers import ConsumerRecord


def caller_address(request: Request, trusted: TrustedProxies) -> str:
    peer = peer_address(request.scope) or ""
    if not trusted.contains(peer):
        return peer
    forwarded = request.headers.get("x-forwarded-for")
    if not forwarded:
        return peer
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not trusted.contains(hop):
            return hop
    return hops[0] if hops else peer


def is_allowed(address: str, allowed: tuple[str, ...]) -> bool:
    ip = parse_address(address)
    if ip is None:
        return False
    for cidr in allowed:
        try:
            if ip in ipaddress.ip_network(cidr, strict=False):
                return True
        except ValueError:
            continue
    return False


def check_caller_ip(request: Request, state: GatewayState, consumer: ConsumerRecord) -> str:
    address = caller_address(request, state.trusted_proxies)
    if not is_allowed(address, consumer.allowed_ips):
        raise IpNotAllowed(
            f"l'adresse IP {address or 'inconnue'} n'est pas autorisée pour le partenaire « {consumer.name} » "
            f"(adresses déclarées : {', '.join(consumer.allowed_ips) or 'aucune'})"
        )
    return address
