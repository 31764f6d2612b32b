"""Consumer administration: the one set of operations behind ``dgfip-sandbox consumers …`` and the admin API.

Every change is validated here (names, CIDRs, scenarios; OAuth and DataPass scopes, FICOBA modalities
and motifs and quota tiers against their catalogues, catalogue.py) and
recorded in ``admin_events`` in the same transaction. Secrets are returned once and stored hashed;
certificates are issued and revoked with the sandbox CA (pki.py): a revocation rewrites
``certs/crl.pem``, which the gateway reloads on its next request, and marks the registration revoked.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dgfip_sandbox import catalogue, pki, registration
from dgfip_sandbox.admin.errors import (
    CertificateNotFound,
    ConsumerExists,
    ConsumerNotFound,
    InvalidAdminRequest,
)
from dgfip_sandbox.clock import Clock
from dgfip_sandbox.gateway.quota import QuotaStore, quota_key, window_start
from dgfip_sandbox.gateway.scenario_errors import ScenarioErrors
from dgfip_sandbox.gateway.scenarios import OPTION as SCENARIO_OPTION
from dgfip_sandbox.gateway.scenarios import ScenarioSyntaxError, parse_scenario
from dgfip_sandbox.seed.consumers import demo_consumers
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store import admin_events, consumers, journal
from dgfip_sandbox.store.consumers import (
    API_QUOTA_TIERS,
    Consumer,
    ConsumerCertificate,
    ConsumerRecord,
    hash_secret,
    new_client_secret,
)

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
SANDBOX_OPTIONS = frozenset({SCENARIO_OPTION})


@dataclass
class NewConsumer:
    """What ``consumers add`` takes; every list may be empty and granted later."""

    name: str
    organisation: str
    application: str = "Application"
    oauth_scopes: list[str] = field(default_factory=list)
    datapass_scopes: list[str] = field(default_factory=list)
    allowed_ips: list[str] = field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])
    quota_per_minute: int = 200
    id_teleservice: str | None = None
    siret: str | None = None
    ficoba_modalities: list[str] = field(default_factory=list)
    ficoba_motifs: list[str] = field(default_factory=list)
    sandbox_options: list[str] = field(default_factory=lambda: [SCENARIO_OPTION])
    fc_client_id: str | None = None
    issue_certificate: bool = True


def _check(condition: bool, detail: str) -> None:
    if not condition:
        raise InvalidAdminRequest(detail)


def _clean_list(values: Iterable[str], pattern: re.Pattern[str], what: str) -> list[str]:
    cleaned: list[str] = []
    for value in values:
        value = str(value).strip()
        _check(bool(pattern.match(value)), f"{what} invalide : « {value[:60]} »")
        if value not in cleaned:
            cleaned.append(value)
    return cleaned


def _clean_cidrs(values: Iterable[str]) -> list[str]:
    cleaned = []
    for value in values:
        try:
            cleaned.append(str(ipaddress.ip_network(str(value).strip(), strict=False)))
        except ValueError:
            raise InvalidAdminRequest(f"adresse ou plage IP invalide : « {str(value)[:60]} »") from None
    return cleaned


def _in_catalogue(check: Callable[[Iterable[str]], list[str]], values: Iterable[str]) -> list[str]:
    """``values`` checked against their catalogue (catalogue.py): an unknown one is a 400 listing the valid ones."""
    try:
        return check(values)
    except catalogue.CatalogueError as exc:
        raise InvalidAdminRequest(str(exc)) from None


def check_quota_tier(tier: int, api: str | None = None) -> int:
    try:
        return catalogue.check_quota_tier(tier, api)
    except catalogue.CatalogueError as exc:
        raise InvalidAdminRequest(str(exc)) from None


def check_grants(
    *,
    oauth_scopes: Iterable[str] = (),
    datapass_scopes: Iterable[str] = (),
    modalities: Iterable[str] = (),
    motifs: Iterable[str] = (),
) -> dict[str, list[str]]:
    """A habilitation's lists, each checked against its catalogue (keyed by the consumer's attributes)."""
    return {
        "oauth_scopes": _in_catalogue(catalogue.check_oauth_scopes, oauth_scopes),
        "datapass_scopes": _in_catalogue(catalogue.check_datapass_scopes, datapass_scopes),
        "ficoba_modalities": _in_catalogue(catalogue.check_ficoba_modalities, modalities),
        "ficoba_motifs": _in_catalogue(catalogue.check_ficoba_motifs, motifs),
    }


def certificate_as_dict(row: ConsumerCertificate) -> dict[str, Any]:
    return {
        "fingerprint_sha256": row.fingerprint_sha256,
        "serial_number": row.serial_number,
        "subject": row.subject,
        "not_after": row.not_after.isoformat(),
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }


def consumer_as_dict(row: Consumer) -> dict[str, Any]:
    return {
        "name": row.name,
        "organisation": row.organisation,
        "application": row.application,
        "siret": row.siret,
        "client_id": row.client_id,
        "active": row.active,
        "oauth_scopes": list(row.oauth_scopes or []),
        "datapass_scopes": list(row.datapass_scopes or []),
        "allowed_ips": list(row.allowed_ips or []),
        "quota_per_minute": row.quota_per_minute,
        "api_quotas": dict(row.api_quotas or {}),
        "id_teleservice": row.id_teleservice,
        "ficoba_modalities": list(row.ficoba_modalities or []),
        "ficoba_motifs": list(row.ficoba_motifs or []),
        "sandbox_options": list(row.sandbox_options or []),
        "sandbox_scenario": row.sandbox_scenario,
        "fc_client_id": row.fc_client_id,
        "created_at": row.created_at.isoformat() if row.created_at else None,
    }


class ConsumerAdmin:
    """The administration operations. ``actor`` names who acts in the admin audit trail ("cli", "api")."""

    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        clock: Clock,
        scenario_errors: ScenarioErrors,
        quota: QuotaStore | None = None,
        actor: str = "cli",
    ) -> None:
        """``scenario_errors``: the codes a standing scenario may inject (``assembly.scenario_errors()``)."""
        self.settings = settings
        self.scenario_errors = scenario_errors
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.quota = quota
        self.actor = actor

    # ---------------------------------------------------------------------------------------------
    # Reading

    async def list_consumers(self) -> list[dict[str, Any]]:
        async with self.sessionmaker() as session:
            return [consumer_as_dict(row) for row in await consumers.list_rows(session)]

    async def show(self, name: str) -> dict[str, Any]:
        async with self.sessionmaker() as session:
            row = await self._get(session, name)
            certs = await consumers.certificates_of(session, row.id)
            result = consumer_as_dict(row)
            result["certificates"] = [certificate_as_dict(c) for c in certs]
            result["quota_usage"] = await self.quota_usage(ConsumerRecord.from_row(row))
            return result

    async def quota_usage(self, consumer: ConsumerRecord) -> dict[str, Any] | None:
        """Calls counted in the current minute, per API (None when this process sees no quota store)."""
        if self.quota is None:
            return None
        now = self.clock.now()
        start = window_start(now)
        apis: dict[str, dict[str, int]] = {}
        for api in (*API_QUOTA_TIERS, "sandbox"):
            used = await self.quota.current(quota_key(consumer.id, api), start)
            apis[api] = {"used": used, "limit": consumer.quota_for(api)}
        return {"window_start": datetime.fromtimestamp(start, now.tzinfo).isoformat(), "apis": apis}

    async def journal(self, name: str, *, limit: int = 50, since_id: int | None = None) -> list[dict[str, Any]]:
        async with self.sessionmaker() as session:
            row = await self._get(session, name)
            entries = await journal.list_for_consumer(session, row.id, limit=limit, since_id=since_id)
            return [journal.entry_as_dict(e) for e in entries]

    async def events(self, *, consumer: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        async with self.sessionmaker() as session:
            return [
                admin_events.event_as_dict(e)
                for e in await admin_events.list_events(session, consumer_name=consumer, limit=limit)
            ]

    # ---------------------------------------------------------------------------------------------
    # Changes

    async def add(self, spec: NewConsumer) -> dict[str, Any]:
        name = spec.name.strip()
        _check(
            bool(NAME_PATTERN.match(name)),
            "nom de partenaire invalide (2 à 64 caractères : minuscules, chiffres, . _ -)",
        )
        _check(bool(spec.organisation.strip()), "l'organisation est obligatoire")
        _check(not spec.siret or bool(re.fullmatch(r"\d{14}", spec.siret)), "le SIRET doit compter 14 chiffres")
        options = _clean_list(spec.sandbox_options, CODE_PATTERN, "option")
        grants = check_grants(
            oauth_scopes=spec.oauth_scopes,
            datapass_scopes=spec.datapass_scopes,
            modalities=spec.ficoba_modalities,
            motifs=spec.ficoba_motifs,
        )
        _check(set(options) <= SANDBOX_OPTIONS, f"options connues : {', '.join(sorted(SANDBOX_OPTIONS))}")
        terms = replace(
            spec,
            name=name,
            organisation=spec.organisation.strip()[:200],
            application=(spec.application or "Application").strip()[:200],
            siret=spec.siret or None,
            oauth_scopes=grants["oauth_scopes"],
            datapass_scopes=grants["datapass_scopes"],
            allowed_ips=_clean_cidrs(spec.allowed_ips),
            quota_per_minute=check_quota_tier(spec.quota_per_minute),
            id_teleservice=(spec.id_teleservice or None),
            ficoba_modalities=grants["ficoba_modalities"],
            ficoba_motifs=grants["ficoba_motifs"],
            sandbox_options=options,
        )
        secret = new_client_secret()
        async with self.sessionmaker() as session, session.begin():
            if await consumers.name_taken(session, name):
                raise ConsumerExists(name)
            row = await registration.register_consumer(
                session, terms, client_id=f"{name}-{secrets.token_hex(4)}", secret=secret, now=self.clock.now()
            )
            result = consumer_as_dict(row)
            result["client_secret"] = secret
            if spec.issue_certificate:
                result["certificate"] = await self._issue(session, row, revoke_previous=False)
            self._event(session, "add", name, {k: v for k, v in consumer_as_dict(row).items() if k != "created_at"})
        return result

    async def set_active(self, name: str, active: bool) -> dict[str, Any]:
        async with self.sessionmaker() as session, session.begin():
            row = await self._get(session, name)
            row.active = active
            self._event(session, "enable" if active else "disable", name, {})
            return consumer_as_dict(row)

    async def grant(
        self,
        name: str,
        *,
        datapass_scopes: Iterable[str] = (),
        oauth_scopes: Iterable[str] = (),
        modalities: Iterable[str] = (),
        motifs: Iterable[str] = (),
        remove: bool = False,
    ) -> dict[str, Any]:
        """Add (or, with ``remove``, withdraw) DataPass scopes, OAuth scopes, FICOBA modalities and motifs."""
        changes = check_grants(
            oauth_scopes=oauth_scopes, datapass_scopes=datapass_scopes, modalities=modalities, motifs=motifs
        )
        _check(any(changes.values()), "rien à accorder : donnez au moins un scope, une modalité ou un motif")
        async with self.sessionmaker() as session, session.begin():
            row = await self._get(session, name)
            for attribute, values in changes.items():
                current = list(getattr(row, attribute) or [])
                if remove:
                    updated = [v for v in current if v not in values]
                else:
                    updated = current + [v for v in values if v not in current]
                setattr(row, attribute, updated)
            self._event(session, "revoke_grants" if remove else "grant", name, {k: v for k, v in changes.items() if v})
            return consumer_as_dict(row)

    async def set_quota(self, name: str, tier: int, api: str | None = None) -> dict[str, Any]:
        """The consumer's tier for every API (``api`` None) or for one API (one of DataPass's tiers for it)."""
        check_quota_tier(tier, api)
        async with self.sessionmaker() as session, session.begin():
            row = await self._get(session, name)
            if api is None:
                previous = row.quota_per_minute
                row.quota_per_minute = tier
            else:
                quotas = dict(row.api_quotas or {})
                previous = quotas.get(api, row.quota_per_minute)
                quotas[api] = tier
                row.api_quotas = quotas
            self._event(session, "quota", name, {"api": api, "from": previous, "to": tier})
            return consumer_as_dict(row)

    async def set_scenario(self, name: str, scenario: str | None) -> dict[str, Any]:
        """A standing scenario for every next call of the consumer (None or "" clears it)."""
        text = (scenario or "").strip() or None
        if text is not None:
            try:
                text = parse_scenario(
                    text, self.scenario_errors, max_latency_ms=self.settings.scenario_max_latency_ms
                ).describe()
            except ScenarioSyntaxError as exc:
                raise InvalidAdminRequest(f"scénario invalide : {exc}") from exc
            if text == "none":
                text = None
        async with self.sessionmaker() as session, session.begin():
            row = await self._get(session, name)
            _check(
                text is None or SCENARIO_OPTION in (row.sandbox_options or []),
                f"le partenaire « {name} » n'a pas l'option « {SCENARIO_OPTION} »",
            )
            row.sandbox_scenario = text
            self._event(session, "scenario", name, {"scenario": text})
            return consumer_as_dict(row)

    async def rotate_secret(self, name: str) -> dict[str, Any]:
        """A new client secret, returned this once; the previous one stops working at once."""
        secret = new_client_secret()
        async with self.sessionmaker() as session, session.begin():
            row = await self._get(session, name)
            row.client_secret_hash = hash_secret(secret)
            self._event(session, "rotate_secret", name, {})
            return {"name": name, "client_id": row.client_id, "client_secret": secret}

    async def issue_certificate(self, name: str, *, revoke_previous: bool = False) -> dict[str, Any]:
        """Issue a client certificate (``revoke_previous``: rotate, revoking the ones in force)."""
        async with self.sessionmaker() as session, session.begin():
            row = await self._get(session, name)
            issued = await self._issue(session, row, revoke_previous=revoke_previous)
            self._event(
                session,
                "rotate_certificate" if revoke_previous else "issue_certificate",
                name,
                {"fingerprint_sha256": issued["fingerprint_sha256"], "revoked": issued["revoked"]},
            )
            return issued

    async def revoke_certificate(self, name: str, fingerprint: str | None = None) -> dict[str, Any]:
        """Revoke one certificate (by SHA-256 fingerprint) or every certificate in force of the consumer."""
        async with self.sessionmaker() as session, session.begin():
            row = await self._get(session, name)
            if fingerprint is not None:
                certs = await consumers.certificates_of(
                    session, row.id, fingerprint=fingerprint.lower().replace(":", "")
                )
            else:
                certs = await consumers.certificates_of(session, row.id, in_force=True)
            if fingerprint is not None and not certs:
                raise CertificateNotFound(f"aucun certificat d'empreinte {fingerprint[:16]}… pour « {name} »")
            _check(bool(certs), f"« {name} » n'a aucun certificat en vigueur")
            revoked = [await self._revoke(row_cert) for row_cert in certs]
            self._event(session, "revoke_certificate", name, {"revoked": revoked})
            return {"name": name, "revoked": revoked}

    async def reset_quota(self, name: str | None = None, *, audited: bool = True) -> None:
        """Forget the current per-minute counters (one consumer's, or all)."""
        async with self.sessionmaker() as session, session.begin():
            row = await self._get(session, name) if name is not None else None
            if audited:
                self._event(session, "reset_quota", name, {})
        if self.quota is not None:
            await self.quota.reset(quota_key(row.id) if row is not None else "quota:")

    async def reset(self) -> dict[str, Any]:
        """Back to the seed: demo consumers as specified, others removed, journal emptied, quotas reset.

        The demo consumers keep the secrets of var/credentials.json and their certificate files
        (re-issued in place when an admin revoked them). The audit records and the admin audit
        trail are kept: they are append-only.
        """

        now = self.clock.now()
        specs = demo_consumers()
        names = [spec.name for spec in specs]
        sandbox_pki = pki.ensure_pki(self.settings.certs_dir, names, now=now)
        revoked_serials = pki.load_trust(self.settings.certs_dir).revoked_serials
        reissued = []
        for spec in specs:
            cert_path, _key = sandbox_pki.clients[spec.name]
            if pki.load_pem_cert(cert_path.read_bytes()).serial_number in revoked_serials:
                pki.issue_client_certificate(sandbox_pki, spec.name, now=now)
                reissued.append(spec.name)
        previous = registration.read_demo_secrets(self.settings.credentials_path)
        async with self.sessionmaker() as session, session.begin():
            removed, secrets_by_name = await registration.reset_demo_consumers(
                session,
                specs,
                sandbox_pki,
                previous,
                now=now,
                extra_allowed_ips=self.settings.demo_extra_allowed_ips,
            )
            purged = await journal.purge_all(session)
            self._event(
                session,
                "reset",
                None,
                {"removed": removed, "reissued_certificates": reissued, "journal_entries": purged},
            )
        changed = {n: s for n, s in secrets_by_name.items() if previous.get(n) != s}
        if changed:
            registration.update_demo_secrets(self.settings.credentials_path, changed)
        await self.reset_quota(audited=False)
        return {
            "removed": removed,
            "reissued_certificates": reissued,
            "journal_entries_removed": purged,
            "secrets_renewed": sorted(changed),
        }

    # ---------------------------------------------------------------------------------------------
    # Internals

    async def _get(self, session: AsyncSession, name: str) -> Consumer:
        row = await consumers.get_row(session, name)
        if row is None:
            raise ConsumerNotFound(name[:100])
        return row

    def _event(self, session: AsyncSession, action: str, consumer: str | None, details: dict[str, Any]) -> None:
        admin_events.record(
            session, at=self.clock.now(), actor=self.actor, action=action, consumer_name=consumer, details=details
        )

    async def _issue(self, session: AsyncSession, row: Consumer, *, revoke_previous: bool) -> dict[str, Any]:
        now = self.clock.now()
        revoked: list[str] = []
        if revoke_previous:
            in_force = await consumers.certificates_of(session, row.id, in_force=True)
            # Revoked before the new files replace the old ones (their PEM may only be on disk).
            revoked = [await self._revoke(c) for c in in_force if _aware(c.not_after) > now]
        sandbox_pki = pki.ensure_pki(self.settings.certs_dir, [], now=now)
        try:
            cert_path, key_path = pki.issue_client_certificate(sandbox_pki, row.name, now=now)
        except ValueError as exc:
            raise InvalidAdminRequest(str(exc)) from exc
        pem = cert_path.read_text()
        cert = pki.load_pem_cert(pem)
        fingerprint = await registration.register_certificate(session, row.id, cert, pem=pem)
        return {
            "name": row.name,
            "fingerprint_sha256": fingerprint,
            "cert": str(cert_path),
            "key": str(key_path),
            "not_after": cert.not_valid_after_utc.isoformat(),
            "revoked": revoked,
        }

    async def _revoke(self, row: ConsumerCertificate) -> str:
        now = self.clock.now()
        cert = self._find_certificate(row)
        if cert is not None:
            sandbox_pki = pki.ensure_pki(self.settings.certs_dir, [], now=now)
            with contextlib.suppress(pki.PkiError):  # not issued by the sandbox CA: the registration alone is revoked
                pki.revoke_certificate(sandbox_pki, cert, now=now)
        if row.revoked_at is None:
            row.revoked_at = now
        return row.fingerprint_sha256

    def _find_certificate(self, row: ConsumerCertificate) -> x509.Certificate | None:
        """The certificate itself: stored PEM, else the PKI's files (bootstrap-issued certificates)."""
        if row.pem:
            return pki.load_pem_cert(row.pem)
        certs_dir = Path(self.settings.certs_dir)
        for path in sorted(certs_dir.glob("clients/*.pem")) + sorted(certs_dir.glob("bad/*.pem")):
            try:
                cert = pki.load_pem_cert(path.read_bytes())
            except ValueError:
                continue
            if pki.fingerprint_sha256(cert) == row.fingerprint_sha256:
                return cert
        return None


def _aware(when: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were stored in UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
