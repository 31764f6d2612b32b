"""Dates, codes and identifiers are ASCII-only and anchored (issue 12 §6): FICOBA's dateDemande took
fullwidth and Arabic-Indic digits and a trailing newline (answered 200)."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest

from dgfip_sandbox.gateway.correlation import UUID_PATTERN
from dgfip_sandbox.seed import ficoba as ficoba_seed
from dgfip_sandbox.seed import personas_impot as P
from tests.ficoba.helpers import body
from tests.hardening.helpers import unlimited_quota

pytestmark = pytest.mark.anyio

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
SUPERSCRIPT_TWO = str.maketrans("2", "²")


def disguises(value: str) -> list[str]:
    """``value`` with non-ASCII digits or a trailing newline / tab: never the same value."""
    candidates = [
        value.translate(FULLWIDTH),
        value.translate(ARABIC_INDIC),
        value[:-1] + value[-1].translate(FULLWIDTH),
        value + "\n",
        value + "\t",
        "\n" + value,
        value.translate(SUPERSCRIPT_TWO),
    ]
    return [c for c in dict.fromkeys(candidates) if c != value]


async def _ficoba(sandbox, criteres: dict, **envelope: str):  # type: ignore[no-untyped-def]
    client = await sandbox.client("ficoba-administration")
    return await client.post(
        "/fcb-masrestit/api/v2/comptes/spi",
        json=body(criteres, **envelope),
        headers={"X-Request-ID": str(uuid.uuid4()), "Accept": "application/json"},
    )


async def test_ficoba_date_demande_motif_and_spi_are_ascii_and_whole(sandbox) -> None:
    await unlimited_quota(sandbox, "ficoba-administration")
    good = {"numeroSPI": ficoba_seed.SPI_DUBOIS}
    assert (await _ficoba(sandbox, good)).status_code == 200
    probes = 0
    for field, value in (("dateDemande", "2026-11-25"), ("motif", "0003")):
        for disguised in disguises(value):
            response = await _ficoba(sandbox, good, **{field: disguised})
            probes += 1
            assert response.status_code == 400, (field, disguised, response.text)
            assert response.json()["erreur"]["code"] == "CAF002", (field, disguised)
    for disguised in disguises(ficoba_seed.SPI_DUBOIS):
        response = await _ficoba(sandbox, {"numeroSPI": disguised})
        probes += 1
        assert response.status_code == 400 and response.json()["erreur"]["code"].startswith("CAF"), disguised
    print("ficoba ascii probes:", probes)


async def test_impot_particulier_spi_year_and_departement_are_ascii_and_whole(sandbox) -> None:
    await unlimited_quota(sandbox, "mairie-demo")
    client = await sandbox.client("mairie-demo")
    base = "/impotparticulier/1.0/spi/{spi}/lep/departement/{dep}/annrev/{annrev}/bareme/{bareme}"
    good = {"spi": P.SPI_COUPLE_DEC1, "dep": "75", "annrev": "2025", "bareme": "2025"}
    codes = {"spi": 4001, "dep": 4007, "annrev": 4002, "bareme": 4002}
    probes = 0
    for name, value in good.items():
        for disguised in disguises(value):
            response = await client.get(base.format(**{**good, name: quote(disguised, safe="")}))
            probes += 1
            assert response.status_code == 400, (name, disguised, response.text)
            assert response.json()["erreur"]["code"] == codes[name], (name, disguised)
    print("impot particulier ascii probes:", probes)


def test_a_correlation_id_is_a_whole_ascii_uuid() -> None:
    good = str(uuid.uuid4())
    assert UUID_PATTERN.fullmatch(good)
    for disguised in disguises(good):
        assert not UUID_PATTERN.fullmatch(disguised), disguised
