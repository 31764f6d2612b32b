"""The cache of client certificates that passed the full verification (check 1, client_cert.py)."""

from __future__ import annotations

from cryptography import x509


class VerifiedCertificates:
    """Certificates that passed the full verification, per trust material (CA + CRL).

    Path validation costs about 0.4 ms; a client presents the same certificate on every call. A hit
    is reused only while the trust material is the same object (a new CRL makes a new one, so a
    revocation takes effect at once); the validity dates are checked again on every call.
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._entries: dict[str, tuple[object, x509.Certificate, str]] = {}

    def get(self, key: str, trust: object) -> tuple[x509.Certificate, str] | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] is not trust:
            return None
        return entry[1], entry[2]

    def put(self, key: str, trust: object, cert: x509.Certificate, fingerprint: str) -> None:
        if len(self._entries) >= self._size:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = (trust, cert, fingerprint)
