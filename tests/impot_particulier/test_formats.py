"""SPI, year, département formats; the taxation calendar; Accept negotiation; ID_Teleservice."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest

from dgfip_sandbox.apis.impot_particulier import calendar, service
from dgfip_sandbox.apis.impot_particulier.errors import (
    AccessDenied,
    DepartementFormatError,
    SpiFormatError,
    YearFormatError,
)
from dgfip_sandbox.apis.impot_particulier.negotiation import negotiate
from dgfip_sandbox.apis.impot_particulier.teleservice import check_teleservice
from dgfip_sandbox.errors import NotAcceptable
from dgfip_sandbox.seed.personas_impot import PERSONAS
from dgfip_sandbox.spi import is_valid_spi, random_spi, spi_problem
from dgfip_sandbox.store.consumers import ConsumerRecord

VENDOR = "application/prs.dgfip.part.situations.ir.assiettes.v1+json"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("100000000108", "13 caractères"),
        ("10000000010844", "13 caractères"),
        ("10000000010a4", "chiffres"),
        ("4000000001084", "commencer par 0, 1, 2 ou 3"),
        ("1000000001085", "clé de contrôle"),
        ("１000000001084", "chiffres"),
    ],
)
def test_malformed_spi_is_4001_with_the_reason(value: str, reason: str) -> None:
    with pytest.raises(SpiFormatError) as caught:
        service.check_spi(value)
    assert caught.value.code == 4001 and caught.value.status_code == 400
    assert reason in caught.value.full_message
    assert caught.value.full_message.startswith("Le spi est dans un format incorrect")


def test_every_persona_and_random_spi_is_well_formed() -> None:
    for persona in PERSONAS:
        assert spi_problem(persona["spi"]) is None, persona
    rng = random.Random(1)
    assert all(is_valid_spi(random_spi(rng)) for _ in range(1000))


@pytest.mark.parametrize("value", ["25", "20255", "abcd", "2O25", "-202", ""])
def test_malformed_year_is_4002(value: str) -> None:
    with pytest.raises(YearFormatError) as caught:
        service.parse_year(value)
    assert (caught.value.status_code, caught.value.code) == (400, 4002)


@pytest.mark.parametrize("value", ["75", "01", "2A", "2B", "95", "971", "976", "075"])
def test_departements_accepted(value: str) -> None:
    assert service.check_departement(value)


@pytest.mark.parametrize("value", ["20", "00", "96", "977", "2C", "7", "7500", "paris"])
def test_departements_refused_with_4007(value: str) -> None:
    with pytest.raises(DepartementFormatError) as caught:
        service.check_departement(value)
    assert (caught.value.status_code, caught.value.code) == (400, 4007)


def _at(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def test_taxation_calendar_published_and_default_dates() -> None:
    assert calendar.ir_taxation_date(2023) == date(2024, 7, 22)
    assert calendar.ir_taxation_date(2022) == date(2023, 7, 17)
    assert calendar.ir_taxation_date(2025) == date(2026, 7, 24)
    # The day starts at midnight Paris time (22:00 UTC in summer).
    assert calendar.latest_taxed_annrev(_at(2024, 7, 21, 21, 59)) == 2022
    assert calendar.latest_taxed_annrev(_at(2024, 7, 21, 22, 0)) == 2023
    assert calendar.latest_taxed_annrev(_at(2026, 3, 1)) == 2024
    assert calendar.latest_taxed_annrev(_at(2026, 11, 25)) == 2025
    assert calendar.is_th_year_available(2022, _at(2026, 11, 25))
    assert not calendar.is_th_year_available(2023, _at(2026, 11, 25))
    assert not calendar.is_th_year_available(2022, _at(2022, 9, 1))


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, VENDOR),
        ("", VENDOR),
        ("*/*", VENDOR),
        ("application/*", VENDOR),
        (VENDOR, VENDOR),
        ("application/json", "application/json"),
        ("application/json;q=0.5, */*;q=0.9", VENDOR),
        (f"application/json, {VENDOR};q=0.1", "application/json"),
        ("text/html, */*;q=0.1", VENDOR),
    ],
)
def test_accept_negotiation(accept: str | None, expected: str) -> None:
    assert negotiate(accept, VENDOR) == expected


@pytest.mark.parametrize("accept", ["text/html", "application/xml", f"{VENDOR};q=0, application/json;q=0", "nonsense"])
def test_unacceptable_is_406(accept: str) -> None:
    with pytest.raises(NotAcceptable) as caught:
        negotiate(accept, VENDOR)
    assert caught.value.status_code == 406


def _consumer(id_teleservice: str | None) -> ConsumerRecord:
    return ConsumerRecord(
        id=1,
        name="c",
        organisation="o",
        application="a",
        client_id="x",
        client_secret_hash="h",
        active=True,
        oauth_scopes=frozenset(),
        datapass_scopes=frozenset(),
        allowed_ips=(),
        quota_per_minute=200,
        id_teleservice=id_teleservice,
    )


def test_id_teleservice_must_be_the_consumers() -> None:
    check_teleservice(_consumer("TS-1"), "TS-1")
    for consumer, presented, words in [
        (_consumer("TS-1"), None, "absent"),
        (_consumer("TS-1"), "  ", "absent"),
        (_consumer("TS-1"), "TS-2", "n'est pas celui"),
        (_consumer(None), "TS-1", "aucun ID_Teleservice"),
    ]:
        with pytest.raises(AccessDenied) as caught:
            check_teleservice(consumer, presented)
        assert (caught.value.status_code, caught.value.code) == (403, 4031)
        assert words in caught.value.full_message


def test_departement_leading_zero_is_normalised() -> None:
    assert service.check_departement("075") == "75"
    assert service.check_departement("001") == "01"
    assert service.check_departement("974") == "974"
