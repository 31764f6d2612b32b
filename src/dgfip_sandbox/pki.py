"""The sandbox PKI: a private CA, the gateway's server certificate, one client certificate per consumer.

DGFiP's API Management platform authenticates partners with mutual TLS: each partner presents a
client certificate. The sandbox plays the certification authority itself so that developers get
working certificates without any procedure, plus deliberately bad ones to exercise the rejections.

Layout of ``certs_dir`` (created by :func:`ensure_pki`, never regenerated once present)::

    ca.pem, ca.key                 the sandbox CA (10 years)
    server.pem, server.key         the gateway (DNS localhost, IP 127.0.0.1 and ::1; serverAuth)
    crl.pem                        the CA's certificate revocation list
    clients/<name>.pem|.key        one client certificate per consumer (clientAuth, CN = name)
    bad/expired.pem|.key           signed by the CA, expired
    bad/not_yet_valid.pem|.key     signed by the CA, valid only years from now
    bad/unknown_ca.pem|.key        signed by a throw-away CA (its certificate is bad/unknown_ca_issuer.pem,
                                   its key was never written anywhere)
    bad/revoked.pem|.key           signed by the CA and listed in crl.pem

Keys are EC P-256 (fast to generate, accepted by every TLS stack), written with mode 0600.

Verification of a presented client certificate (:func:`verify_client_certificate`) uses
cryptography's X.509 path validation (``cryptography.x509.verification``) at an injected time, then
the CRL by serial number: the path validator has no revocation support.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from dgfip_sandbox.private_files import private_dir, write_atomic

ORGANIZATION = "Bac à sable DGFiP"
CA_COMMON_NAME = "Autorité de certification du bac à sable DGFiP"
SERVER_COMMON_NAME = "localhost"
CA_DAYS = 3650
LEAF_DAYS = 730
CRL_DAYS = 7
BACKDATE = timedelta(days=1)
# URI put in each client certificate's SubjectAlternativeName (RFC 8705 tls_client_auth_san_uri style).
CONSUMER_URI_PREFIX = "urn:dgfip-sandbox:partenaire:"

BAD_KINDS = ("expired", "not_yet_valid", "unknown_ca", "revoked")

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class PkiError(RuntimeError):
    """The certificate directory is inconsistent (a certificate without its key, a foreign CA...)."""


class CertificateError(Exception):
    """A presented client certificate is not acceptable; ``str(exc)`` is a French sentence for the partner."""


KeyPair = tuple[Path, Path]


@dataclass(frozen=True)
class SandboxPki:
    certs_dir: Path
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    crl: Path
    clients: dict[str, KeyPair] = field(default_factory=dict)
    bad: dict[str, KeyPair] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Creation


def ensure_pki(certs_dir: Path, consumer_names: list[str], *, now: datetime) -> SandboxPki:
    """Create whatever is missing under ``certs_dir``; keep every existing key and certificate.

    ``now`` anchors validity periods (not_before = now - 1 day). Run it again with more names and
    only the new client certificates are issued. The one file that may be rewritten is ``crl.pem``
    when its next_update is already past at ``now`` (re-signed with the same entries), so that a
    TLS proxy checking the CRL keeps accepting it.
    """
    now = _aware(now)
    for name in consumer_names:
        _check_name(name)
    certs_dir = Path(certs_dir)
    for directory in (certs_dir, certs_dir / "clients", certs_dir / "bad"):
        private_dir(directory)
    pki = _layout(certs_dir, consumer_names)

    with _locked(certs_dir):
        ca_cert, ca_key = _ensure_ca(pki, now)
        issuer = _Issuer(ca_cert, ca_key)

        _ensure_leaf(
            issuer,
            pki.server_cert,
            pki.server_key,
            lambda key: _server_builder(key, now),
        )
        for name in consumer_names:
            cert_path, key_path = pki.clients[name]
            _ensure_leaf(issuer, cert_path, key_path, partial(_client_builder, name=name, now=now, days=LEAF_DAYS))

        bad_dir = certs_dir / "bad"
        _ensure_leaf(
            issuer,
            *pki.bad["expired"],
            lambda key: _client_builder(
                key, "bac-a-sable-certificat-expire", now - timedelta(days=LEAF_DAYS + 1), LEAF_DAYS
            ),
        )
        _ensure_leaf(
            issuer,
            *pki.bad["not_yet_valid"],
            # Valid from 8 years after `now` (still inside the CA's 10 years): stays "not yet valid" for years.
            lambda key: _client_builder(
                key, "bac-a-sable-certificat-pas-encore-valide", now + timedelta(days=8 * 365) + BACKDATE, 365
            ),
        )
        _ensure_unknown_ca_leaf(pki, bad_dir / "unknown_ca_issuer.pem", now)
        revoked_cert = _ensure_leaf(
            issuer,
            *pki.bad["revoked"],
            lambda key: _client_builder(key, "bac-a-sable-certificat-revoque", now, LEAF_DAYS),
        )
        _ensure_crl(pki, issuer, revoked_cert, now)
    return pki


def issue_client_certificate(pki: SandboxPki, name: str, *, now: datetime, days: int = LEAF_DAYS) -> KeyPair:
    """Issue (or rotate) the client certificate of consumer ``name`` with a fresh key.

    Existing files for that name are replaced: this is the explicit admin action, unlike
    :func:`ensure_pki`. The new certificate is returned as ``(cert_path, key_path)``; revoking the
    old one is the caller's decision (:func:`revoke_certificate`).
    """
    now = _aware(now)
    _check_name(name)
    cert_path = pki.certs_dir / "clients" / f"{name}.pem"
    key_path = pki.certs_dir / "clients" / f"{name}.key"
    with _locked(pki.certs_dir):
        issuer = _load_issuer(pki)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = issuer.sign(_client_builder(key, name, now, days))
        _write_private_key(key_path, key)
        write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    pki.clients[name] = (cert_path, key_path)
    return cert_path, key_path


def revoke_certificate(pki: SandboxPki, cert: x509.Certificate, *, now: datetime) -> None:
    """Add ``cert`` to the sandbox CRL (rewritten and signed by the CA, next_update = now + 7 days)."""
    now = _aware(now)
    with _locked(pki.certs_dir):
        issuer = _load_issuer(pki)
        if cert.issuer != issuer.cert.subject:
            raise PkiError("ce certificat n'a pas été émis par l'autorité de certification du bac à sable")
        entries = _crl_entries(pki.crl)
        entries.setdefault(cert.serial_number, now)
        _write_crl(pki.crl, issuer, entries, now)


# --------------------------------------------------------------------------------------------------
# Verification


@dataclass(frozen=True)
class Trust:
    """What the gateway needs to judge a client certificate: the CA and its CRL."""

    ca: x509.Certificate
    crl: x509.CertificateRevocationList | None
    store: Store
    revoked_serials: frozenset[int]


def load_trust(certs_dir: Path) -> Trust:
    certs_dir = Path(certs_dir)
    ca = x509.load_pem_x509_certificate((certs_dir / "ca.pem").read_bytes())
    crl_path = certs_dir / "crl.pem"
    crl = None
    revoked: frozenset[int] = frozenset()
    if crl_path.exists():
        crl = x509.load_pem_x509_crl(crl_path.read_bytes())
        ca_key = ca.public_key()
        if not isinstance(ca_key, ec.EllipticCurvePublicKey):
            raise PkiError(f"{certs_dir / 'ca.pem'}: the sandbox CA key is not an EC key")
        if crl.issuer != ca.subject or not crl.is_signature_valid(ca_key):
            raise PkiError(f"{crl_path}: la liste de révocation n'est pas signée par l'autorité du bac à sable")
        revoked = frozenset(entry.serial_number for entry in crl)
    return Trust(ca=ca, crl=crl, store=Store([ca]), revoked_serials=revoked)


def verify_client_certificate(trust: Trust, cert: x509.Certificate, *, now: datetime) -> None:
    """Raise :class:`CertificateError` (French message) unless ``cert`` is acceptable at ``now``.

    Checks, in order: issued by the sandbox CA; inside its validity period; X.509 path validation
    with a client-certificate policy (EKU clientAuth, key usage, extensions...); not revoked.
    """
    now = _aware(now)
    try:
        cert.verify_directly_issued_by(trust.ca)
    except (ValueError, TypeError, InvalidSignature):
        raise CertificateError(
            "le certificat client n'est pas émis par l'autorité de certification du bac à sable"
        ) from None
    if now < cert.not_valid_before_utc:
        raise CertificateError(
            f"le certificat client n'est valide qu'à partir du {_french_time(cert.not_valid_before_utc)}"
        )
    if now > cert.not_valid_after_utc:
        raise CertificateError(f"le certificat client a expiré le {_french_time(cert.not_valid_after_utc)}")
    verifier = PolicyBuilder().store(trust.store).time(now).build_client_verifier()
    try:
        verifier.verify(cert, [])
    except VerificationError as exc:
        # cryptography appends "(encountered processing <Certificate(...)>)": keep the reason only.
        reason = str(exc).split(" (encountered processing", 1)[0]
        raise CertificateError(f"le certificat client ne respecte pas le profil attendu ({reason})") from None
    if cert.serial_number in trust.revoked_serials:
        raise CertificateError("le certificat client est révoqué (liste de révocation du bac à sable)")


# --------------------------------------------------------------------------------------------------
# Helpers used by the gateway


def fingerprint_sha256(cert: x509.Certificate) -> str:
    """SHA-256 of the DER certificate, lowercase hex (how consumers' certificates are registered)."""
    return cert.fingerprint(hashes.SHA256()).hex()


def x5t_s256(cert: x509.Certificate) -> str:
    """RFC 8705 §3.1 ``x5t#S256`` confirmation: base64url (no padding) of the DER's SHA-256."""
    return base64.urlsafe_b64encode(cert.fingerprint(hashes.SHA256())).rstrip(b"=").decode("ascii")


def load_pem_cert(data: str | bytes) -> x509.Certificate:
    """One PEM certificate; ``ValueError`` if it is not one."""
    if isinstance(data, str):
        data = data.encode("ascii")
    return x509.load_pem_x509_certificate(data)


def format_client_cert_header(cert: x509.Certificate) -> str:
    """RFC 9440 ``Client-Cert`` value: a structured-field byte sequence ``:base64(DER):``."""
    der = cert.public_bytes(serialization.Encoding.DER)
    return ":" + base64.b64encode(der).decode("ascii") + ":"


_SF_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")


def parse_client_cert_header(value: str) -> x509.Certificate:
    """Parse an RFC 9440 ``Client-Cert`` header (RFC 8941 byte sequence). ``ValueError`` (French) if malformed.

    Parameters after the byte sequence (``:...:;a=b``) are ignored, as RFC 9440 defines none.
    Missing ``=`` padding is accepted (RFC 8941 §4.2.7 asks parsers to be lenient there).
    """
    text = value.strip(" \t")
    if not text.startswith(":"):
        raise ValueError("séquence d'octets RFC 8941 attendue (:base64:)")
    end = text.find(":", 1)
    if end < 0:
        raise ValueError("séquence d'octets RFC 8941 non terminée par « : »")
    rest = text[end + 1 :]
    if rest and not rest.startswith(";"):
        raise ValueError("caractères inattendus après la séquence d'octets")
    payload = text[1:end]
    if not payload:
        raise ValueError("séquence d'octets vide")
    if not _SF_BASE64.match(payload):
        raise ValueError("base64 invalide")
    try:
        der = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
    except binascii.Error:
        raise ValueError("base64 invalide") from None
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        raise ValueError("le contenu n'est pas un certificat X.509 (DER)") from None


# --------------------------------------------------------------------------------------------------
# Internals


@dataclass(frozen=True)
class _Issuer:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def sign(self, builder: x509.CertificateBuilder) -> x509.Certificate:
        builder = builder.issuer_name(self.cert.subject).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
        )
        return builder.sign(self.key, hashes.SHA256())


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return now.astimezone(UTC)


def _check_name(name: str) -> None:
    if not _NAME_RE.match(name):
        raise ValueError(f"invalid consumer name for a certificate file: {name!r}")


def _layout(certs_dir: Path, consumer_names: list[str]) -> SandboxPki:
    clients_dir = certs_dir / "clients"
    bad_dir = certs_dir / "bad"
    clients = {name: (clients_dir / f"{name}.pem", clients_dir / f"{name}.key") for name in consumer_names}
    # Consumers issued earlier (or by the admin) are listed too.
    for pem in sorted(clients_dir.glob("*.pem")):
        key = pem.with_suffix(".key")
        if pem.stem not in clients and key.exists():
            clients[pem.stem] = (pem, key)
    return SandboxPki(
        certs_dir=certs_dir,
        ca_cert=certs_dir / "ca.pem",
        ca_key=certs_dir / "ca.key",
        server_cert=certs_dir / "server.pem",
        server_key=certs_dir / "server.key",
        crl=certs_dir / "crl.pem",
        clients=clients,
        bad={kind: (bad_dir / f"{kind}.pem", bad_dir / f"{kind}.key") for kind in BAD_KINDS},
    )


@contextlib.contextmanager
def _locked(certs_dir: Path) -> Iterator[None]:
    """Serialise PKI writers (two processes starting at once must not mint two CAs)."""
    with open(certs_dir / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _leaf_base(
    key: ec.EllipticCurvePrivateKey, common_name: str, not_before: datetime, days: int
) -> x509.CertificateBuilder:
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )


def _client_builder(key: ec.EllipticCurvePrivateKey, name: str, now: datetime, days: int) -> x509.CertificateBuilder:
    return (
        _leaf_base(key, name, now - BACKDATE, days)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(CONSUMER_URI_PREFIX + name)]), critical=False
        )
    )


def _server_builder(key: ec.EllipticCurvePrivateKey, now: datetime) -> x509.CertificateBuilder:
    return (
        _leaf_base(key, SERVER_COMMON_NAME, now - BACKDATE, LEAF_DAYS)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
    )


def _ca_certificate(key: ec.EllipticCurvePrivateKey, common_name: str, now: datetime) -> x509.Certificate:
    public = key.public_key()
    name = _name(common_name)
    not_before = now - BACKDATE
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _ensure_ca(pki: SandboxPki, now: datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert_exists, key_exists = pki.ca_cert.exists(), pki.ca_key.exists()
    if cert_exists and key_exists:
        issuer = _load_issuer(pki)
        return issuer.cert, issuer.key
    if cert_exists != key_exists:
        present, missing = (pki.ca_cert, pki.ca_key) if cert_exists else (pki.ca_key, pki.ca_cert)
        raise PkiError(
            f"{present} exists but {missing} is missing: restore it, or delete {pki.certs_dir} to start over"
        )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _ca_certificate(key, CA_COMMON_NAME, now)
    _write_private_key(pki.ca_key, key)
    write_atomic(pki.ca_cert, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _load_issuer(pki: SandboxPki) -> _Issuer:
    cert = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != cert.public_key():
        raise PkiError(f"{pki.ca_key} does not match {pki.ca_cert}")
    return _Issuer(cert, key)


def _ensure_leaf(
    issuer: _Issuer,
    cert_path: Path,
    key_path: Path,
    builder_for: Callable[[ec.EllipticCurvePrivateKey], x509.CertificateBuilder],
    *,
    check_issuer: bool = True,
) -> x509.Certificate:
    """Return the certificate at ``cert_path``, issuing it (and its key if absent) when missing."""
    if cert_path.exists():
        if not key_path.exists():
            raise PkiError(
                f"{cert_path} exists but its key {key_path} is missing: delete the certificate to reissue it"
            )
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if check_issuer:
            try:
                cert.verify_directly_issued_by(issuer.cert)
            except (ValueError, TypeError, InvalidSignature):
                raise PkiError(
                    f"{cert_path} was not issued by {issuer.cert.subject.rfc4514_string()} (stale file from another CA?)"
                ) from None
        return cert
    if key_path.exists():
        # Keep the existing key: only the certificate was missing.
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise PkiError(f"{key_path} is not an EC key")
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        _write_private_key(key_path, key)
    cert = issuer.sign(builder_for(key))
    write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert


def _ensure_unknown_ca_leaf(pki: SandboxPki, issuer_path: Path, now: datetime) -> None:
    cert_path, key_path = pki.bad["unknown_ca"]
    if cert_path.exists() and key_path.exists():
        return
    # A throw-away CA with the same-looking name: its key lives only in this function.
    foreign_key = ec.generate_private_key(ec.SECP256R1())
    foreign_ca = _ca_certificate(foreign_key, CA_COMMON_NAME + " (inconnue)", now)
    _ensure_leaf(
        _Issuer(foreign_ca, foreign_key),
        cert_path,
        key_path,
        lambda key: _client_builder(key, "bac-a-sable-autorite-inconnue", now, LEAF_DAYS),
        check_issuer=False,
    )
    write_atomic(issuer_path, foreign_ca.public_bytes(serialization.Encoding.PEM))


def _crl_entries(crl_path: Path) -> dict[int, datetime]:
    if not crl_path.exists():
        return {}
    crl = x509.load_pem_x509_crl(crl_path.read_bytes())
    return {entry.serial_number: entry.revocation_date_utc for entry in crl}


def _write_crl(crl_path: Path, issuer: _Issuer, entries: dict[int, datetime], now: datetime) -> None:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(now - BACKDATE)
        .next_update(now + timedelta(days=CRL_DAYS))
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
    )
    for serial, revoked_at in sorted(entries.items()):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(revoked_at).build()
        )
    crl = builder.sign(issuer.key, hashes.SHA256())
    write_atomic(crl_path, crl.public_bytes(serialization.Encoding.PEM))


def _ensure_crl(pki: SandboxPki, issuer: _Issuer, revoked_cert: x509.Certificate, now: datetime) -> None:
    entries = _crl_entries(pki.crl)
    stale = False
    if pki.crl.exists():
        crl = x509.load_pem_x509_crl(pki.crl.read_bytes())
        stale = crl.next_update_utc is not None and crl.next_update_utc < now
    if revoked_cert.serial_number in entries and not stale:
        return
    entries.setdefault(revoked_cert.serial_number, now - BACKDATE)
    _write_crl(pki.crl, issuer, entries, now)


def _write_private_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    write_atomic(path, pem, mode=0o600)


_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def _french_time(when: datetime) -> str:
    when = when.astimezone(UTC)
    return f"{when.day} {_MONTHS[when.month - 1]} {when.year} à {when:%H:%M:%S} UTC"
