"""Check 1: the client certificate.

Sources, in order: a trusted proxy's RFC 9440 ``Client-Cert`` header (only when the TCP peer is a
configured trusted proxy; the header is ignored from anyone else), then the TLS connection itself
(``scope["extensions"]["tls"]["client_cert_chain"]``, filled by the sandbox's uvicorn protocol).
The certificate must chain to the sandbox CA, be valid now, not be revoked, and be registered to an
active consumer.
"""

from __future__ import annotations

from cryptography import x509
from starlette.requests import Request

from dgfip_sandbox import pki
from dgfip_sandbox.errors import CertificateRejected
from dgfip_sandbox.gateway.state import GatewayState
from dgfip_sandbox.gateway.trusted_proxies import peer_address
from dgfip_sandbox.store import consumers
from dgfip_sandbox.store.consumers import ConsumerRecord


def presented_certificate(request: Request, state: GatewayState) -> x509.Certificate | None:
    scope = request.scope
    if state.trusted_proxies.contains(peer_address(scope)):
        header = request.headers.get("client-cert")
        if header:
            try:
                return pki.parse_client_cert_header(header)
            except ValueError as exc:
                raise CertificateRejected(f"en-tête Client-Cert illisible ({exc})") from exc
    chain = scope.get("extensions", {}).get("tls", {}).get("client_cert_chain") or []
    if not chain:
        return None
    return pki.load_pem_cert(chain[0])


async def check_client_certificate(request: Request, state: GatewayState) -> tuple[ConsumerRecord, x509.Certificate, str]:
    cert = presented_certificate(request, state)
    if cert is None:
        raise CertificateRejected("aucun certificat client n'a été présenté (authentification mTLS obligatoire)")
    try:
        pki.verify_client_certificate(state.trust, cert, now=state.clock.now())
    except pki.CertificateError as exc:
        raise CertificateRejected(str(exc)) from exc
    fingerprint = pki.fingerprint_sha256(cert)
    found = await state.consumer_by_fingerprint(fingerprint)
    if found is None:
        raise CertificateRejected(
            f"le certificat client (empreinte SHA-256 {fingerprint[:16]}…) n'est enregistré pour aucun partenaire"
        )
    consumer, registration_revoked = found
    if registration_revoked:
        raise CertificateRejected("le certificat client a été révoqué pour ce partenaire")
    if not consumer.active:
        raise CertificateRejected(f"le partenaire « {consumer.name} » est désactivé")
    return consumer, cert, fingerprint
