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
from dgfip_sandbox.gateway.certificate_cache import VerifiedCertificate
from dgfip_sandbox.gateway.state import GatewayState
from dgfip_sandbox.gateway.trusted_proxies import peer_address
from dgfip_sandbox.store.consumers import ConsumerRecord


def presented_encoding(request: Request, state: GatewayState) -> tuple[str, bool] | None:
    """The presented certificate's encoding, and whether it came from a trusted proxy's header."""
    scope = request.scope
    if state.trusted_proxies.contains(peer_address(scope)):
        header = request.headers.get("client-cert")
        if header:
            return header, True
    chain = scope.get("extensions", {}).get("tls", {}).get("client_cert_chain") or []
    if not chain:
        return None
    return chain[0], False


def _parse(encoding: str, from_header: bool) -> x509.Certificate:
    if not from_header:
        return pki.load_pem_cert(encoding)
    try:
        return pki.parse_client_cert_header(encoding)
    except ValueError as exc:
        raise CertificateRejected(f"en-tête Client-Cert illisible ({exc})") from exc


def _verified(request: Request, state: GatewayState) -> VerifiedCertificate:
    presented = presented_encoding(request, state)
    if presented is None:
        raise CertificateRejected("aucun certificat client n'a été présenté (authentification mTLS obligatoire)")
    key, from_header = presented
    cache = state.verified_certificates
    trust = state.trust
    now = state.clock.now()
    hit = cache.get(key, trust)
    if hit is not None and hit.cert.not_valid_before_utc <= now <= hit.cert.not_valid_after_utc:
        return hit
    cert = _parse(key, from_header)
    try:
        pki.verify_client_certificate(trust, cert, now=now)
    except pki.CertificateError as exc:
        raise CertificateRejected(str(exc)) from exc
    verified = VerifiedCertificate(cert=cert, fingerprint=pki.fingerprint_sha256(cert), thumbprint=pki.x5t_s256(cert))
    cache.put(key, trust, verified)
    return verified


async def check_client_certificate(request: Request, state: GatewayState) -> tuple[ConsumerRecord, VerifiedCertificate]:
    verified = _verified(request, state)
    fingerprint = verified.fingerprint
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
    return consumer, verified
