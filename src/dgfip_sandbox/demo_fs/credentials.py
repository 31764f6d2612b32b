"""Where the demo FS finds the rest of the sandbox: var/credentials.json, as ``dgfip-sandbox up``
wrote it — the gateway's URL and CA, the demo consumer's certificate and client credentials,
FranceConnect's issuer, and the demo FS's own redirect URIs registered at FranceConnect. Reading them
there (rather than from this process's settings) lets ``dgfip-sandbox demo-fs`` run in a second
terminal without repeating the ports ``up`` was given.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from dgfip_sandbox.settings import Settings

DEMO_CONSUMER = "mairie-demo"  # the demo consumer whose fc_client_id is the demo FS
DEMO_FS_NAME = "demo-fs"  # its name in credentials.json → franceconnect.service_providers


@dataclass
class GatewayAccess:
    base_url: str
    ca_cert: str | None
    cert: str
    key: str
    client_id: str
    client_secret: str
    id_teleservice: str | None

    def ssl_context(self) -> ssl.SSLContext:
        """Trusts the sandbox CA and presents the consumer's client certificate (mutual TLS).

        One context carrying both: httpx 0.28 ignores ``cert=`` when ``verify`` is a path."""
        context = ssl.create_default_context(cafile=self.ca_cert) if self.ca_cert else ssl.create_default_context()
        context.load_cert_chain(self.cert, self.key)
        return context


def read_credentials(settings: Settings) -> dict[str, Any]:
    """var/credentials.json as ``dgfip-sandbox up`` wrote it ({} when absent or unreadable)."""
    try:
        data = json.loads(settings.credentials_path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def franceconnect_issuer(settings: Settings) -> str:
    """FranceConnect's issuer as ``up`` served it (credentials.json), else from the settings."""
    issuer = read_credentials(settings).get("franceconnect", {}).get("issuer")
    return str(issuer).rstrip("/") if issuer else settings.franceconnect_base_url + "/api/v2"


def load_gateway_access(settings: Settings, consumer: str = DEMO_CONSUMER) -> GatewayAccess | None:
    """The demo consumer's gateway access from var/credentials.json (None when not bootstrapped)."""
    credentials = read_credentials(settings)
    for entry in credentials.get("consumers", []):
        if entry.get("name") == consumer:
            gateway = credentials.get("gateway", {})
            return GatewayAccess(
                base_url=gateway.get("base_url", settings.gateway_base_url),
                ca_cert=gateway.get("ca_cert"),
                cert=entry["cert"],
                key=entry["key"],
                client_id=entry["client_id"],
                client_secret=entry["client_secret"],
                id_teleservice=entry.get("id_teleservice"),
            )
    return None


def registered_ports(settings: Settings) -> list[int]:
    """The ports of the demo FS's redirect URIs registered at FranceConnect (credentials.json), in order."""
    providers = read_credentials(settings).get("franceconnect", {}).get("service_providers", [])
    ports: list[int] = []
    for provider in providers:
        if provider.get("name") != DEMO_FS_NAME:
            continue
        for uri in provider.get("redirect_uris", []):
            port = urlsplit(uri).port
            if port is not None and port not in ports:
                ports.append(port)
    return ports
