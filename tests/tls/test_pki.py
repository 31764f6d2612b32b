"""The sandbox PKI: generation, idempotence, verification of every bad case, header and thumbprint helpers."""

from __future__ import annotations

import base64
import hashlib
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from dgfip_sandbox import pki
from dgfip_sandbox.clock import FrozenClock

FROZEN = FrozenClock(datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC))


def cert_of(path: Path) -> x509.Certificate:
    return pki.load_pem_cert(path.read_bytes())


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".lock"
    }


@pytest.fixture
def frozen_pki(tmp_path: Path) -> pki.SandboxPki:
    """A PKI generated at the frozen clock's time (what the harness does)."""
    return pki.ensure_pki(tmp_path / "certs", ["demo-ir"], now=FROZEN.now())


# ---------------------------------------------------------------------------------------- layout


def test_layout_and_key_permissions(sandbox_pki: pki.SandboxPki) -> None:
    paths = [sandbox_pki.ca_cert, sandbox_pki.ca_key, sandbox_pki.server_cert, sandbox_pki.server_key, sandbox_pki.crl]
    paths += [p for pair in sandbox_pki.clients.values() for p in pair]
    paths += [p for pair in sandbox_pki.bad.values() for p in pair]
    for path in paths:
        assert path.is_file(), path
    assert set(sandbox_pki.clients) == {"demo-impot-particulier", "demo-ficoba"}
    assert set(sandbox_pki.bad) == {"expired", "not_yet_valid", "unknown_ca", "revoked"}
    keys = [sandbox_pki.ca_key, sandbox_pki.server_key] + [k for _, k in sandbox_pki.clients.values()]
    keys += [k for _, k in sandbox_pki.bad.values()]
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
    assert not list(sandbox_pki.certs_dir.rglob("*unknown_ca_issuer.key")), "the foreign CA's key is never written"


def test_ca_certificate(sandbox_pki: pki.SandboxPki, pki_now: datetime) -> None:
    ca = cert_of(sandbox_pki.ca_cert)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign is True
    assert ca.not_valid_before_utc == pki_now.replace(microsecond=0) - timedelta(days=1)
    assert ca.not_valid_after_utc - ca.not_valid_before_utc == timedelta(days=3650)


def test_server_certificate(sandbox_pki: pki.SandboxPki, pki_now: datetime) -> None:
    server = cert_of(sandbox_pki.server_cert)
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]
    assert list(server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.SERVER_AUTH
    ]
    assert server.not_valid_before_utc == pki_now.replace(microsecond=0) - timedelta(days=1)
    assert server.not_valid_after_utc - server.not_valid_before_utc == timedelta(days=730)
    server.verify_directly_issued_by(cert_of(sandbox_pki.ca_cert))


def test_client_certificate_subject_and_usage(sandbox_pki: pki.SandboxPki) -> None:
    cert = cert_of(sandbox_pki.clients["demo-ficoba"][0])
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "demo-ficoba"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Bac à sable DGFiP"
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]
    # cryptography's client verifier requires a SubjectAlternativeName: each consumer has a URI one.
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == ["urn:dgfip-sandbox:partenaire:demo-ficoba"]
    key = serialization.load_pem_private_key(sandbox_pki.clients["demo-ficoba"][1].read_bytes(), password=None)
    assert key.public_key() == cert.public_key()


def test_consumer_names_must_be_file_safe(tmp_path: Path) -> None:
    for name in ("../evil", "", "a/b", ".hidden"):
        with pytest.raises(ValueError):
            pki.ensure_pki(tmp_path, [name], now=FROZEN.now())


def test_naive_datetime_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        pki.ensure_pki(tmp_path, [], now=datetime(2026, 11, 25))


# ----------------------------------------------------------------------------------- idempotence


def test_ensure_pki_is_idempotent_and_adds_new_consumers(frozen_pki: pki.SandboxPki) -> None:
    root = frozen_pki.certs_dir
    before = snapshot(root)

    again = pki.ensure_pki(root, ["demo-ir"], now=FROZEN.now() + timedelta(hours=1))
    assert snapshot(root) == before
    assert again == frozen_pki

    grown = pki.ensure_pki(root, ["demo-ir", "nouveau-partenaire"], now=FROZEN.now() + timedelta(days=2))
    after = snapshot(root)
    added = set(after) - set(before)
    assert added == {"clients/nouveau-partenaire.pem", "clients/nouveau-partenaire.key"}
    assert all(after[name] == content for name, content in before.items())
    new_cert = cert_of(grown.clients["nouveau-partenaire"][0])
    new_cert.verify_directly_issued_by(cert_of(frozen_pki.ca_cert))
    assert new_cert.not_valid_before_utc == FROZEN.now() + timedelta(days=1)

    # A consumer issued earlier is still listed when not named again.
    assert "nouveau-partenaire" in pki.ensure_pki(root, [], now=FROZEN.now()).clients


def test_missing_certificate_is_reissued_for_the_existing_key(frozen_pki: pki.SandboxPki) -> None:
    cert_path, key_path = frozen_pki.clients["demo-ir"]
    key_before = key_path.read_bytes()
    old = cert_of(cert_path)
    cert_path.unlink()
    pki.ensure_pki(frozen_pki.certs_dir, ["demo-ir"], now=FROZEN.now())
    assert key_path.read_bytes() == key_before
    new = cert_of(cert_path)
    assert new.public_key() == old.public_key()
    assert new.serial_number != old.serial_number


def test_certificate_without_its_key_is_an_error(frozen_pki: pki.SandboxPki) -> None:
    frozen_pki.clients["demo-ir"][1].unlink()
    with pytest.raises(pki.PkiError, match="missing"):
        pki.ensure_pki(frozen_pki.certs_dir, ["demo-ir"], now=FROZEN.now())


def test_ca_without_its_key_is_an_error(frozen_pki: pki.SandboxPki) -> None:
    frozen_pki.ca_key.unlink()
    with pytest.raises(pki.PkiError, match="ca.key"):
        pki.ensure_pki(frozen_pki.certs_dir, ["demo-ir"], now=FROZEN.now())


def test_leaf_from_another_ca_is_detected(frozen_pki: pki.SandboxPki, tmp_path: Path) -> None:
    other = pki.ensure_pki(tmp_path / "other", ["demo-ir"], now=FROZEN.now())
    frozen_pki.clients["demo-ir"][0].write_bytes(other.clients["demo-ir"][0].read_bytes())
    frozen_pki.clients["demo-ir"][1].write_bytes(other.clients["demo-ir"][1].read_bytes())
    with pytest.raises(pki.PkiError, match="not issued"):
        pki.ensure_pki(frozen_pki.certs_dir, ["demo-ir"], now=FROZEN.now())


def test_stale_crl_is_resigned_with_the_same_entries(frozen_pki: pki.SandboxPki) -> None:
    before = snapshot(frozen_pki.certs_dir)
    later = FROZEN.now() + timedelta(days=8)
    pki.ensure_pki(frozen_pki.certs_dir, ["demo-ir"], now=later)
    after = snapshot(frozen_pki.certs_dir)
    assert {name for name in after if after[name] != before[name]} == {"crl.pem"}
    crl = x509.load_pem_x509_crl(frozen_pki.crl.read_bytes())
    assert crl.next_update_utc == later + timedelta(days=7)
    assert [e.serial_number for e in crl] == [cert_of(frozen_pki.bad["revoked"][0]).serial_number]


# ---------------------------------------------------------------------------------- verification


def test_valid_client_certificate(frozen_pki: pki.SandboxPki) -> None:
    trust = pki.load_trust(frozen_pki.certs_dir)
    cert = cert_of(frozen_pki.clients["demo-ir"][0])
    pki.verify_client_certificate(trust, cert, now=FROZEN.now())
    # Still valid on its last day, refused the second after.
    pki.verify_client_certificate(trust, cert, now=cert.not_valid_after_utc)
    with pytest.raises(pki.CertificateError, match="a expiré le"):
        pki.verify_client_certificate(trust, cert, now=cert.not_valid_after_utc + timedelta(seconds=1))


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("expired", "le certificat client a expiré le 23 novembre 2026 à 10:00:00 UTC"),
        ("not_yet_valid", "le certificat client n'est valide qu'à partir du 23 novembre 2034 à 10:00:00 UTC"),
        ("unknown_ca", "le certificat client n'est pas émis par l'autorité de certification du bac à sable"),
        ("revoked", "le certificat client est révoqué (liste de révocation du bac à sable)"),
    ],
)
def test_bad_certificates_are_refused_with_their_reason(frozen_pki: pki.SandboxPki, kind: str, message: str) -> None:
    trust = pki.load_trust(frozen_pki.certs_dir)
    with pytest.raises(pki.CertificateError) as caught:
        pki.verify_client_certificate(trust, cert_of(frozen_pki.bad[kind][0]), now=FROZEN.now())
    assert str(caught.value) == message


def test_server_certificate_is_not_a_client_certificate(frozen_pki: pki.SandboxPki) -> None:
    trust = pki.load_trust(frozen_pki.certs_dir)
    with pytest.raises(pki.CertificateError, match="ne respecte pas le profil attendu .*EKU") as caught:
        pki.verify_client_certificate(trust, cert_of(frozen_pki.server_cert), now=FROZEN.now())
    assert "Certificate(" not in str(caught.value)


def test_the_ca_itself_is_not_a_client_certificate(frozen_pki: pki.SandboxPki) -> None:
    trust = pki.load_trust(frozen_pki.certs_dir)
    with pytest.raises(pki.CertificateError, match="ne respecte pas le profil attendu"):
        pki.verify_client_certificate(trust, cert_of(frozen_pki.ca_cert), now=FROZEN.now())


def test_issue_and_revoke(frozen_pki: pki.SandboxPki) -> None:
    old = cert_of(frozen_pki.clients["demo-ir"][0])
    cert_path, key_path = pki.issue_client_certificate(frozen_pki, "demo-ir", now=FROZEN.now(), days=30)
    new = cert_of(cert_path)
    assert new.serial_number != old.serial_number
    assert new.public_key() != old.public_key()
    assert new.not_valid_after_utc == FROZEN.now() - timedelta(days=1) + timedelta(days=30)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600

    pki.revoke_certificate(frozen_pki, old, now=FROZEN.now())
    trust = pki.load_trust(frozen_pki.certs_dir)
    with pytest.raises(pki.CertificateError, match="révoqué"):
        pki.verify_client_certificate(trust, old, now=FROZEN.now())
    pki.verify_client_certificate(trust, new, now=FROZEN.now())
    # The earlier entry (the bad "revoked" certificate) is kept; next_update is a week ahead.
    assert cert_of(frozen_pki.bad["revoked"][0]).serial_number in trust.revoked_serials
    assert trust.crl is not None and trust.crl.next_update_utc == FROZEN.now() + timedelta(days=7)
    assert trust.crl.is_signature_valid(cert_of(frozen_pki.ca_cert).public_key())

    # Revoking twice keeps one entry.
    pki.revoke_certificate(frozen_pki, old, now=FROZEN.now() + timedelta(hours=1))
    assert len(list(pki.load_trust(frozen_pki.certs_dir).crl)) == 2


def test_foreign_certificate_cannot_be_revoked(frozen_pki: pki.SandboxPki) -> None:
    with pytest.raises(pki.PkiError):
        pki.revoke_certificate(frozen_pki, cert_of(frozen_pki.bad["unknown_ca"][0]), now=FROZEN.now())


def test_crl_signed_by_another_key_is_refused(frozen_pki: pki.SandboxPki, tmp_path: Path) -> None:
    other = pki.ensure_pki(tmp_path / "other", [], now=FROZEN.now())
    frozen_pki.crl.write_bytes(other.crl.read_bytes())
    with pytest.raises(pki.PkiError, match="liste de révocation"):
        pki.load_trust(frozen_pki.certs_dir)


# ------------------------------------------------------------------------------------- helpers


def test_fingerprint_and_x5t(sandbox_pki: pki.SandboxPki) -> None:
    cert = cert_of(sandbox_pki.clients["demo-impot-particulier"][0])
    der = cert.public_bytes(serialization.Encoding.DER)
    digest = hashlib.sha256(der).digest()
    assert pki.fingerprint_sha256(cert) == digest.hex()
    assert pki.fingerprint_sha256(cert) == pki.fingerprint_sha256(cert).lower()
    x5t = pki.x5t_s256(cert)
    assert "=" not in x5t and len(x5t) == 43
    assert base64.urlsafe_b64decode(x5t + "=") == digest


def test_client_cert_header_round_trip(sandbox_pki: pki.SandboxPki) -> None:
    cert = cert_of(sandbox_pki.clients["demo-ficoba"][0])
    header = pki.format_client_cert_header(cert)
    der = cert.public_bytes(serialization.Encoding.DER)
    assert header == ":" + base64.b64encode(der).decode() + ":"
    assert pki.parse_client_cert_header(header) == cert
    # Surrounding whitespace, parameters and missing padding are tolerated (RFC 8941).
    assert pki.parse_client_cert_header("  " + header + ";foo=1 ") == cert
    assert pki.parse_client_cert_header(header.rstrip(":").rstrip("=") + ":") == cert


@pytest.mark.parametrize(
    "value",
    [
        "",
        "MIIB",  # no colons
        ":MIIB",  # unterminated
        "::",  # empty
        ":not base64!:",
        ":" + base64.urlsafe_b64encode(b"\xfb\xff" * 30).decode() + ":",  # base64url is not RFC 8941 base64
        ":" + base64.b64encode(b"hello world").decode() + ":",  # not DER
        ":AAAA: trailing",
    ],
)
def test_malformed_client_cert_header(value: str) -> None:
    with pytest.raises(ValueError):
        pki.parse_client_cert_header(value)


def test_load_pem_cert_accepts_text_and_bytes(sandbox_pki: pki.SandboxPki) -> None:
    pem = sandbox_pki.ca_cert.read_text()
    assert pki.load_pem_cert(pem) == pki.load_pem_cert(pem.encode())
    with pytest.raises(ValueError):
        pki.load_pem_cert("not a certificate")
