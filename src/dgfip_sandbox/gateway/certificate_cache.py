"""The cache of client certificates that passed the full verification (check 1, client_cert.py)."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509


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
