"""The banner ``up`` prints: where each service listens and a first ``curl`` that works as printed."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from dgfip_sandbox.settings import Settings


def banner_year(now: datetime) -> int:
    """The latest income year whose IR assessment is published (the taxation calendar's)."""
    from dgfip_sandbox.apis.impot_particulier.calendar import latest_taxed_annrev

    return latest_taxed_annrev(now)


def quota_line(settings: Settings) -> str:
    """Where the per-minute counters live, in the banner's words (issue: an in-memory count is lost on restart)."""
    if settings.redis_url:
        return "compteurs Redis, partagés entre processus et conservés au redémarrage"
    return (
        "compteurs en mémoire : remis à zéro à chaque redémarrage "
        "(DGFIP_SANDBOX_REDIS_URL pour des compteurs partagés et durables)"
    )


def banner(settings: Settings, credentials: dict[str, Any], *, now: datetime) -> str:
    from dgfip_sandbox import pki
    from dgfip_sandbox.gateway.app import signing_key_path
    from dgfip_sandbox.gateway.tokens import TokenService, load_or_create_signing_key
    from dgfip_sandbox.seed import all_personas

    consumer = credentials["consumers"][0]
    tokens = TokenService(
        load_or_create_signing_key(signing_key_path(settings)),
        issuer=settings.gateway_token_issuer,
        ttl_seconds=settings.token_ttl_seconds,
    )
    cert = pki.load_pem_cert(Path(consumer["cert"]).read_bytes())
    token, _ = tokens.issue(
        client_id=consumer["client_id"],
        organisation=consumer["organisation"],
        application=consumer["name"],
        scopes=consumer["oauth_scopes"],
        cert_thumbprint=pki.x5t_s256(cert),
        now=now,
    )
    personas = [p for p in all_personas() if p.get("api", "impot_particulier") == "impot_particulier"]
    spi = next((p["spi"] for p in personas if p.get("banner")), personas[0]["spi"] if personas else "0000000000000")
    base = credentials["gateway"]["base_url"]
    lines = [
        "",
        "Bac à sable DGFiP démarré",
        f"  passerelle APIM   {base}   (mTLS, CA : {credentials['gateway']['ca_cert']})",
    ]
    lines.append(f"  documentation     {base}/docs (Swagger UI)   {base}/redoc (ReDoc), hors ligne")
    if "franceconnect" in credentials:
        lines.append(f"  FranceConnect     {settings.franceconnect_base_url}/api/v2")
    if "admin" in credentials:
        lines.append(f"  administration    {credentials['admin']['portal']}   (jeton : var/credentials.json → admin)")
    lines += [
        "  identifiants      var/credentials.json   personas : dgfip-sandbox personas",
        f"  quotas            {quota_line(settings)}",
        "",
        f"Premier appel ({consumer['name']}, jeton valable {settings.token_ttl_seconds // 60} min) :",
        "",
        f"curl --cacert {credentials['gateway']['ca_cert']} --cert {consumer['cert']} --key {consumer['key']} \\",
        f'  -H "Authorization: Bearer {token}" \\',
        f'  -H "X-Correlation-ID: {uuid.uuid4()}" -H "ID_Teleservice: {consumer["id_teleservice"]}" \\',
        f"  {base}/impotparticulier/1.0/spi/{spi}/situations/ir/assiettes/annrev/{banner_year(now)}",
        "",
    ]
    return "\n".join(lines)
