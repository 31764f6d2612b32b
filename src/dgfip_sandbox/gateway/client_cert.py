"""Check 1: the client certificate.

Sources, in order: a trusted proxy's RFC 9440 ``Client-Cert`` header (only when the TCP peer is a
configured trusted proxy; the header is ignored from anyone else), then the TLS connection itself
(``scope["extensions"]["tls"]["client_cert_chain"]``, filled by the sandbox's uvicorn protocol).
The certificate must chain to the sandbox CA, be valid now, not be revoked, and be registered to an
active consumer.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from starlette.requests import Request

from dgfip_sandbox import pki
from dgfip_sandbox.errors import CertificateRejected
from dgfip_sandbox.gateway.state import GatewayState
from dgfip_sandbox.gateway.trusted_proxies import peer_address
from dgfip_sandbox.store.consumers import ConsumerRecord


@dataclass(frozen=True)
class VerifiedCertificate:
    """A certificate that passed the full verification, with its two digests (computed once)."""

    cert: x509.Certificate
    fingerprint: str  # SHA-256 hex, how consumers' certificates are registered
    thumbprint: str  # RFC 8705 x5t#S256, what tokens are bound to


class VerifiedCertificates:
    """Certificates that passed the full verification, per trust material (CA + CRL), keyed by the
    presented encoding (so a hit costs neither parsing nor hashing).

    Path validation costs about 0.4 ms; a client presents the same certificate on every call. A hit
    is reused only while the trust material is the same object (a new CRL makes a new one, so a
    revocation takes effect at once); the validity dates are checked again on every call.
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._entries: dict[str, tuple[object, VerifiedCertificate]] = {}

    def get(self, key: str, trust: object) -> VerifiedCertificate | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] is not trust:
            return None
        return entry[1]

    def put(self, key: str, trust: object, verified: VerifiedCertificate) -> None:
        if len(self._entries) >= self._size:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = (trust, verified)


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
    cache: VerifiedCertificates = state.extras.setdefault("verified_certificates", VerifiedCertificates())
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
