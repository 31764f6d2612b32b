"""``dgfip-sandbox consumers …``, ``reset`` and ``journal``: the CLI face of the admin service."""

from __future__ import annotations

import asyncio
import json

import pytest

from dgfip_sandbox.admin.journal_tail import format_entry, tail
from dgfip_sandbox.admin.service import ConsumerAdmin
from dgfip_sandbox.assembly import scenario_errors
from dgfip_sandbox.clock import FrozenClock
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.database import create_engine, create_sessionmaker
from tests.conftest import CLOCK_START


def test_list_show_add_and_the_secret_shown_once(cli) -> None:
    listed = cli("consumers", "list")
    assert "mairie-demo" in listed.stdout and "500/min" in listed.stdout
    added = cli(
        "consumers", "add", "cli-test", "--organisation", "Test CLI", "--oauth-scope", "RessourceIR", "--quota", "750"
    )
    created = json.loads(added.stdout)
    assert created["client_secret"] and created["quota_per_minute"] == 750 and created["certificate"]["cert"]
    shown = json.loads(cli("consumers", "show", "cli-test").stdout)
    assert "client_secret" not in shown and len(shown["certificates"]) == 1
    assert json.loads(cli("consumers", "list", "--json").stdout)


def test_refusals_exit_1_with_a_french_reason(cli) -> None:
    unknown = cli("consumers", "show", "personne", ok=False)
    assert unknown.exit_code == 1 and "Partenaire inconnu" in unknown.output
    tier = cli("consumers", "quota", "caf-demo", "1000", ok=False)
    assert tier.exit_code == 1 and "200, 500, 750" in tier.output


@pytest.mark.parametrize(
    ("option", "value", "listed"),
    [
        ("--oauth-scope", "RessourceFoo", "RessourceIR, RessourceIRFacture"),
        ("--datapass-scope", "dgfip_foo", "dgfip_annee_n_moins_1"),
        ("--modality", "spi", "with_ficoba_iban, with_ficoba_spi"),
        ("--motif", "M01", "0001, 0003"),
    ],
)
def test_catalogue_typos_exit_1_with_the_valid_values(cli, option: str, value: str, listed: str) -> None:
    added = cli("consumers", "add", "typo-test", "--organisation", "Test", option, value, ok=False)
    assert added.exit_code == 1 and f"« {value} »" in added.output and listed in added.output
    assert "typo-test" not in cli("consumers", "list").stdout
    granted = cli("consumers", "grant", "caf-demo", option, value, ok=False)
    assert granted.exit_code == 1 and "valeurs possibles" in granted.output


def test_disable_enable_grant_quota_scenario(cli) -> None:
    assert "désactivé" in cli("consumers", "disable", "caf-demo").stdout
    assert json.loads(cli("consumers", "show", "caf-demo").stdout)["active"] is False
    assert "actif" in cli("consumers", "enable", "caf-demo").stdout
    granted = cli(
        "consumers",
        "grant",
        "caf-demo",
        "--datapass-scope",
        "dgfip_rfr",
        "--modality",
        "with_ficoba_spi",
        "--motif",
        "1",
    ).stdout
    assert "dgfip_rfr" in granted and "with_ficoba_spi" in granted and "0001" in granted
    removed = cli("consumers", "grant", "caf-demo", "--motif", "0001", "--remove").stdout
    assert "motifs -" in removed
    assert "750" in cli("consumers", "quota", "caf-demo", "750").stdout
    assert "error=503" in cli("consumers", "scenario", "caf-demo", "error=503").stdout
    assert "aucun" in cli("consumers", "scenario", "caf-demo").stdout


def test_rotate_secret_issue_and_revoke_certificates(cli) -> None:
    secret = json.loads(cli("consumers", "rotate-secret", "caf-demo").stdout)["client_secret"]
    assert len(secret) >= 40
    issued = json.loads(cli("consumers", "issue-cert", "caf-demo").stdout)
    rotated = json.loads(cli("consumers", "issue-cert", "caf-demo", "--rotate").stdout)
    assert issued["fingerprint_sha256"] in rotated["revoked"]
    revoked = cli("consumers", "revoke-cert", "caf-demo", "--fingerprint", rotated["fingerprint_sha256"]).stdout
    assert rotated["fingerprint_sha256"] in revoked


def test_reset(cli) -> None:
    cli("consumers", "add", "jetable", "--organisation", "x", "--no-cert")
    result = json.loads(cli("reset", "--yes").stdout)
    assert result["removed"] == ["jetable"]
    assert "jetable" not in cli("consumers", "list").stdout


def test_journal_prints_calls_and_follow_tails_new_ones(settings: Settings) -> None:
    async def scenario() -> list[str]:
        engine = create_engine(settings.sqlalchemy_url)
        service = ConsumerAdmin(
            settings, create_sessionmaker(engine), clock=FrozenClock(CLOCK_START), scenario_errors=scenario_errors()
        )
        from dgfip_sandbox.store.consumers import get_by_name
        from dgfip_sandbox.store.journal import JournalEntry

        async with service.sessionmaker() as session:
            caf = await get_by_name(session, "caf-demo")
            mairie = await get_by_name(session, "mairie-demo")

        async def add(consumer, path: str, status: int, trace: list) -> None:  # type: ignore[no-untyped-def]
            async with service.sessionmaker() as session, session.begin():
                session.add(
                    JournalEntry(
                        at=CLOCK_START,
                        consumer_id=consumer.id,
                        consumer_name=consumer.name,
                        method="GET",
                        path=path,
                        query="",
                        correlation_id=None,
                        status=status,
                        outcome=str(status) if status >= 400 else "OK",
                        duration_ms=3,
                        request_headers={},
                        request_body="",
                        response_headers={},
                        response_body="",
                        trace=trace,
                        extra={},
                    )
                )

        await add(caf, "/premier", 200, [])
        printed: list[str] = []
        polls = 0

        async def fake_sleep(_seconds: float) -> None:
            nonlocal polls
            polls += 1
            if polls == 1:
                await add(mairie, "/pas-pour-caf", 200, [])
                await add(caf, "/second", 429, [{"check": "quota", "passed": False, "reason": "quota atteint"}])

        await tail(
            service,
            "caf-demo",
            emit=lambda e: printed.append(format_entry(e)),
            follow=True,
            sleep=fake_sleep,
            max_polls=2,
        )
        await engine.dispose()
        return printed

    printed = asyncio.run(scenario())
    assert len(printed) == 2
    assert "/premier" in printed[0]
    assert "/second" in printed[1] and "refusé par quota : quota atteint" in printed[1]


def test_journal_command(cli) -> None:
    result = cli("journal", "--consumer", "caf-demo")
    assert result.stdout == ""
    assert cli("journal", "--consumer", "personne", ok=False).exit_code == 1
