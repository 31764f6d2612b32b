"""The resources' rules, called the way the SPI and FranceConnect routes call them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.apis.impot_particulier import datapass, service
from dgfip_sandbox.apis.impot_particulier.errors import (
    AccessDenied,
    ImpotParticulierError,
    NoResult,
    SpiFormatError,
    UnknownSpi,
    YearFormatError,
)
from dgfip_sandbox.seed import personas_impot as P
from dgfip_sandbox.store.taxpayers import Declarant

from .conftest import NOW

pytestmark = pytest.mark.anyio

ALL = frozenset(datapass.PUBLISHED_SCOPES) | {datapass.BESOINS_SPECIFIQUES}
ALL_BUT_RFR = ALL - {"dgfip_rfr"}
MARCH_2026 = datetime(2026, 3, 1, 10, tzinfo=UTC)
DEC_2026 = datetime(2026, 12, 20, 10, tzinfo=UTC)


async def _error(call: Any) -> ImpotParticulierError:
    with pytest.raises(ImpotParticulierError) as caught:
        await call
    return caught.value


async def test_assiettes_couple(db: AsyncSession) -> None:
    body = await service.get_situation_ir(db, spi=P.SPI_COUPLE_DEC1, annrev="2025", scopes=ALL, now=NOW)
    assert body["sitFam"] == "M" and body["nbPart"] == 3.0 and body["pac"]["nbPac"] == 2
    assert body["nmNaiDec1"] == "DUPONT" and body["prnmDec1"] == "JEAN PIERRE"
    assert body["dateNaisDec1"] == {"jour": "12", "mois": "04", "annee": "1978"}
    assert body["nmNaiDec2"] == "MARTIN" and body["nmUsaDec2"] == "DUPONT"
    assert body["aft"] == "BAT 3 APT 93 10 RUE DU CENTRE 93160 NOISY LE GRAND"
    assert body["aftDetail"]["voie"] == "10 RUE DU CENTRE"
    assert "facture" not in body and "annRevenu" not in body and "spiDec1" not in body
    assert list(body)[:4] == ["rfr", "sitFam", "nbPart", "pac"]
    # Déclarant 2 queried by her own SPI: the same foyer.
    assert await service.get_situation_ir(db, spi=P.SPI_COUPLE_DEC2, annrev=2025, scopes=ALL, now=NOW) == body


async def test_factures(db: AsyncSession) -> None:
    body = await service.get_situation_ir_factures(db, spi=P.SPI_COUPLE_DEC1, annrev=2024, scopes=ALL, now=NOW)
    codes = [line["codeLigne"] for line in body["facture"]]
    assert codes[:2] == ["0020", "0240"] and "1400" in codes
    salaires = body["facture"][0]
    assert int(salaires["colonne1"]) + int(salaires["colonne2"]) == int(salaires["colonne4"])
    assert list(body)[-2:] == ["facture", "rev"]


async def test_a_consumer_without_dgfip_rfr_never_sees_rfr(db: AsyncSession) -> None:
    calls = [
        service.get_situation_ir(db, spi=P.SPI_COUPLE_DEC1, annrev=2025, scopes=ALL_BUT_RFR, now=NOW),
        service.get_situation_ir_factures(db, spi=P.SPI_COUPLE_DEC1, annrev=2025, scopes=ALL_BUT_RFR, now=NOW),
        service.get_derniere_situation_ir(db, spi=P.SPI_COUPLE_DEC1, annrev=2025, scopes=ALL_BUT_RFR, now=NOW),
        service.get_derniere_situation_ir_deux_ans(db, spi=P.SPI_COUPLE_DEC1, scopes=ALL_BUT_RFR, now=NOW),
    ]
    for call in calls:
        body = await call
        assert "rfr" not in body and "sitFam" in body
    multiple = await service.get_situations_ir_multiple(db, spi=P.SPI_VEUVE, annrev=2024, scopes=ALL_BUT_RFR, now=NOW)
    assert all("rfr" not in item for item in multiple["situationsIR"])


async def test_restricted_consumer_gets_only_its_fields(db: AsyncSession) -> None:
    scopes = frozenset({"dgfip_annee_n_moins_1", "dgfip_sitfam", "dgfip_nbpart", "dgfip_pac_nbPac"})
    body = await service.get_situation_ir(db, spi=P.SPI_FAMILLE_NOMBREUSE, annrev=2025, scopes=scopes, now=NOW)
    assert body == {"sitFam": "M", "nbPart": 7.0, "pac": {"nbPac": 6}}


async def test_deces_standard_routes_refuse_the_year(db: AsyncSession) -> None:
    for spi in (P.SPI_VEUVE, P.SPI_DECEDE):
        error = await _error(service.get_situation_ir(db, spi=spi, annrev=2024, scopes=ALL, now=NOW))
        assert isinstance(error, NoResult) and "plusieurs avis" in error.full_message
        error = await _error(service.get_situation_ir_factures(db, spi=spi, annrev=2024, scopes=ALL, now=NOW))
        assert error.code == 4101
    before = await service.get_situation_ir(db, spi=P.SPI_VEUVE, annrev=2023, scopes=ALL, now=NOW)
    assert before["sitFam"] == "M" and before["nmNaiDec1"] == "LEROY"
    after = await service.get_situation_ir(db, spi=P.SPI_VEUVE, annrev=2025, scopes=ALL, now=NOW)
    assert after["sitFam"] == "V" and after["nmNaiDec1"] == "ROUSSEL" and "nmNaiDec2" not in after
    error = await _error(service.get_situation_ir(db, spi=P.SPI_DECEDE, annrev=2025, scopes=ALL, now=NOW))
    assert error.code == 4101


async def test_deces_derniere_situation_and_multiple(db: AsyncSession) -> None:
    for spi in (P.SPI_VEUVE, P.SPI_DECEDE):
        last = await service.get_derniere_situation_ir(db, spi=spi, annrev=2024, scopes=ALL, now=NOW)
        assert last["annRevenu"] == 2024 and last["sitFam"] == "V" and last["prnmDec1"] == "MONIQUE ANNE"
    multiple = await service.get_situations_ir_multiple(db, spi=P.SPI_VEUVE, annrev=2024, scopes=ALL, now=NOW)
    first, second = multiple["situationsIR"]
    assert (first["dateDebutPeriode"], first["dateFinPeriode"]) == ("2024-01-01", "2024-06-14")
    assert (second["dateDebutPeriode"], second["dateFinPeriode"]) == ("2024-06-15", "2024-12-31")
    assert (first["typeAvis"], second["typeAvis"]) == (1, 2)
    assert first["dateDecesdec1"] == "2024-06-14" and "dateDecesdec2" not in first
    assert (first["spiDec1"], first["spiDec2"]) == (P.SPI_DECEDE, P.SPI_VEUVE)
    assert second["spiDec1"] == P.SPI_VEUVE and "spiDec2" not in second
    assert first["sitFam"] == "M" and second["sitFam"] == "V"
    # Without the death scope, the dates of death stay hidden.
    hidden = await service.get_situations_ir_multiple(
        db, spi=P.SPI_VEUVE, annrev=2024, scopes=ALL - {datapass.DECES}, now=NOW
    )
    assert "dateDecesdec1" not in hidden["situationsIR"][0]
    # A year with one avis: one item.
    single = await service.get_situations_ir_multiple(db, spi=P.SPI_COUPLE_DEC1, annrev=2025, scopes=ALL, now=NOW)
    assert len(single["situationsIR"]) == 1


async def test_year_not_taxed_yet_is_4101(db: AsyncSession) -> None:
    error = await _error(service.get_situation_ir(db, spi=P.SPI_COUPLE_DEC1, annrev=2025, scopes=ALL, now=MARCH_2026))
    assert error.code == 4101 and "pas encore taxés" in error.full_message and "24/07/2026" in error.full_message
    # Even for an unknown SPI: the calendar answers first.
    error = await _error(service.get_situation_ir(db, spi=P.SPI_INCONNU, annrev=2026, scopes=ALL, now=NOW))
    assert error.code == 4101
    body = await service.get_situation_ir(db, spi=P.SPI_COUPLE_DEC1, annrev=2024, scopes=ALL, now=MARCH_2026)
    assert body["sitFam"] == "M"


async def test_unknown_spi_is_4102(db: AsyncSession) -> None:
    for call in (
        service.get_situation_ir(db, spi=P.SPI_INCONNU, annrev=2025, scopes=ALL, now=NOW),
        service.get_derniere_situation_ir_deux_ans(db, spi=P.SPI_INCONNU, scopes=ALL, now=NOW),
        service.get_situation_ifi(db, spi=P.SPI_INCONNU, annrev=2025, scopes=ALL, now=NOW),
        service.get_situations_th(db, spi=P.SPI_INCONNU, annrev=2022, scopes=ALL | {"dgfip_aft"}, now=NOW),
        service.get_ouverture_lep(
            db, spi=P.SPI_INCONNU, departement="75", annrev=2024, bareme=2025, scopes=ALL, now=NOW
        ),
    ):
        error = await _error(call)
        assert isinstance(error, UnknownSpi) and (error.status_code, error.code) == (410, 4102)


async def test_formats_before_anything(db: AsyncSession) -> None:
    error = await _error(service.get_situation_ir(db, spi="123", annrev="20x5", scopes=frozenset(), now=NOW))
    assert isinstance(error, SpiFormatError)
    error = await _error(
        service.get_situation_ir(db, spi=P.SPI_COUPLE_DEC1, annrev="20x5", scopes=frozenset(), now=NOW)
    )
    assert isinstance(error, YearFormatError)
    error = await _error(
        service.get_ouverture_lep(
            db, spi=P.SPI_COUPLE_DEC1, departement="99", annrev=2024, bareme=2025, scopes=ALL, now=NOW
        )
    )
    assert error.code == 4007
    error = await _error(
        service.get_ouverture_lep(
            db, spi=P.SPI_COUPLE_DEC1, departement="75", annrev=2024, bareme="x", scopes=ALL, now=NOW
        )
    )
    assert error.code == 4002 and "bareme" in error.full_message


async def test_year_scopes(db: AsyncSession) -> None:
    n_1 = frozenset({"dgfip_annee_n_moins_1", "dgfip_rfr"})
    assert "rfr" in await service.get_situation_ir(db, spi=P.SPI_COUPLE_DEC1, annrev=2025, scopes=n_1, now=NOW)
    error = await _error(service.get_situation_ir(db, spi=P.SPI_COUPLE_DEC1, annrev=2024, scopes=n_1, now=NOW))
    assert isinstance(error, AccessDenied) and "2024" in error.full_message and "2025" in error.full_message
    error = await _error(
        service.get_situation_ir(db, spi=P.SPI_COUPLE_DEC1, annrev=2025, scopes=frozenset({"dgfip_rfr"}), now=NOW)
    )
    assert error.code == 4031 and "aucun scope d'année" in error.full_message
    # In March 2026 revenus 2025 are not taxed: N-1 (2025) answers 4101, N-2 is 2024.
    error = await _error(service.get_situation_ir(db, spi=P.SPI_COUPLE_DEC1, annrev=2025, scopes=n_1, now=MARCH_2026))
    assert error.code == 4101
    # Scope checks come before the SPI lookup: an unknown SPI on a refused year is 4031.
    error = await _error(service.get_situation_ir(db, spi=P.SPI_INCONNU, annrev=2023, scopes=n_1, now=NOW))
    assert error.code == 4031


async def test_n_moins_2_if_n_moins_1_unavailable(db: AsyncSession) -> None:
    scopes = frozenset({"dgfip_annee_n_moins_2_si_indispo_n_moins_1", "dgfip_rfr"})
    # The couple has its 2025 avis: 2025 yes, 2024 no.
    assert "rfr" in await service.get_situation_ir(db, spi=P.SPI_COUPLE_DEC1, annrev=2025, scopes=scopes, now=NOW)
    error = await _error(service.get_situation_ir(db, spi=P.SPI_COUPLE_DEC1, annrev=2024, scopes=scopes, now=NOW))
    assert error.code == 4031 and "indisponible" in error.full_message
    # The late declarant has no 2025 avis before 15/12/2026: 2024 is allowed, then no longer.
    assert "rfr" in await service.get_situation_ir(db, spi=P.SPI_TARDIF, annrev=2024, scopes=scopes, now=NOW)
    error = await _error(service.get_situation_ir(db, spi=P.SPI_TARDIF, annrev=2024, scopes=scopes, now=DEC_2026))
    assert error.code == 4031
    # Before the July campaign, N-1 is unavailable for everybody.
    assert "rfr" in await service.get_situation_ir(
        db, spi=P.SPI_COUPLE_DEC1, annrev=2024, scopes=scopes, now=MARCH_2026
    )


async def test_late_avis_and_first_declaration(db: AsyncSession) -> None:
    error = await _error(service.get_situation_ir(db, spi=P.SPI_TARDIF, annrev=2025, scopes=ALL, now=NOW))
    assert error.code == 4101 and "aucun avis" in error.full_message
    body = await service.get_situation_ir(db, spi=P.SPI_TARDIF, annrev=2025, scopes=ALL, now=DEC_2026)
    assert body["datEtab"] == "2026-12-15"
    for year in (2023, 2024):
        error = await _error(service.get_situation_ir(db, spi=P.SPI_PRIMO, annrev=year, scopes=ALL, now=NOW))
        assert error.code == 4101
    assert (await service.get_situation_ir(db, spi=P.SPI_PRIMO, annrev=2025, scopes=ALL, now=NOW))["sitFam"] == "C"


async def test_deux_ans(db: AsyncSession) -> None:
    body = await service.get_derniere_situation_ir_deux_ans(db, spi=P.SPI_COUPLE_DEC1, scopes=ALL, now=NOW)
    assert body["annRevenu"] == 2025
    assert (await service.get_derniere_situation_ir_deux_ans(db, spi=P.SPI_TARDIF, scopes=ALL, now=NOW))[
        "annRevenu"
    ] == 2024
    assert (await service.get_derniere_situation_ir_deux_ans(db, spi=P.SPI_TARDIF, scopes=ALL, now=DEC_2026))[
        "annRevenu"
    ] == 2025
    assert (await service.get_derniere_situation_ir_deux_ans(db, spi=P.SPI_COUPLE_DEC1, scopes=ALL, now=MARCH_2026))[
        "annRevenu"
    ] == 2024
    # Only N-2 granted: the latest is not allowed, the previous one is.
    only_n_2 = frozenset({"dgfip_annee_n_moins_2", "dgfip_rfr"})
    assert (await service.get_derniere_situation_ir_deux_ans(db, spi=P.SPI_COUPLE_DEC1, scopes=only_n_2, now=NOW))[
        "annRevenu"
    ] == 2024
    error = await _error(
        service.get_derniere_situation_ir_deux_ans(
            db, spi=P.SPI_COUPLE_DEC1, scopes=frozenset({"dgfip_annee_n_moins_3"}), now=NOW
        )
    )
    assert error.code == 4031
    error = await _error(service.get_derniere_situation_ir_deux_ans(db, spi=P.SPI_PRIMO, scopes=only_n_2, now=NOW))
    assert error.code == 4101


async def test_ifi(db: AsyncSession) -> None:
    assert await service.get_situation_ifi(db, spi=P.SPI_IFI, annrev=2025, scopes=ALL, now=NOW) == {
        "indicateurIfiIsf": "O"
    }
    assert await service.get_situation_ifi(db, spi=P.SPI_IFI_DEC2, annrev="2023", scopes=ALL, now=NOW) == {
        "indicateurIfiIsf": "O"
    }
    error = await _error(service.get_situation_ifi(db, spi=P.SPI_COUPLE_DEC1, annrev=2025, scopes=ALL, now=NOW))
    assert error.code == 4101 and "IFI" in error.full_message
    error = await _error(
        service.get_situation_ifi(db, spi=P.SPI_IFI, annrev=2025, scopes=ALL - {"dgfip_indiIFI"}, now=NOW)
    )
    assert error.code == 4031


async def test_th(db: AsyncSession) -> None:
    scopes = frozenset({"dgfip_aft", *datapass.TH_LOCAL_SCOPES})
    body = await service.get_situations_th(db, spi=P.SPI_COUPLE_DEC2, annrev="2022", scopes=scopes, now=NOW)
    (situation,) = body["situationsTH"]
    assert situation["libelleCommune"] == "NOISY LE GRAND" and situation["regimeTax"] == "P"
    assert situation["locaux"][0]["natureLocal"] == "AP" and situation["locaux"][0]["affectation"] == "H"
    only_address = await service.get_situations_th(
        db, spi=P.SPI_COUPLE_DEC1, annrev=2021, scopes=frozenset({"dgfip_aft"}), now=NOW
    )
    assert "locaux" not in only_address["situationsTH"][0] and "regimeTax" not in only_address["situationsTH"][0]
    error = await _error(service.get_situations_th(db, spi=P.SPI_COUPLE_DEC1, annrev=2023, scopes=scopes, now=NOW))
    assert error.code == 4101 and "plus alimentée" in error.full_message
    error = await _error(service.get_situations_th(db, spi=P.SPI_PRIMO, annrev=2022, scopes=scopes, now=NOW))
    assert error.code == 4101
    error = await _error(
        service.get_situations_th(db, spi=P.SPI_COUPLE_DEC1, annrev=2022, scopes=frozenset({"dgfip_rfr"}), now=NOW)
    )
    assert error.code == 4031


async def test_lep(db: AsyncSession) -> None:
    lep = frozenset({"dgfip_IndLep"})

    async def statut(spi: str, dept: str = "59", annrev: int = 2024, bareme: int = 2025) -> Any:
        return await service.get_ouverture_lep(
            db, spi=spi, departement=dept, annrev=annrev, bareme=bareme, scopes=lep, now=NOW
        )

    assert await statut(P.SPI_LEP_ELIGIBLE) == {"statut": "O"}
    assert await statut(P.SPI_NON_IMPOSABLE) == {"statut": "O"}
    assert await statut(P.SPI_LEP_NON_ELIGIBLE) == {"statut": "N"}
    assert await statut(P.SPI_LEP_REUNION, "75") == {"statut": "N"}
    assert await statut(P.SPI_LEP_REUNION, "974") == {"statut": "O"}
    assert await statut(P.SPI_VEUVE) is None  # two avis in 2024: no answer (204)
    assert await statut(P.SPI_LEP_ELIGIBLE, bareme=2019) is None
    error = await _error(statut(P.SPI_PRIMO))
    assert error.code == 4101
    error = await _error(
        service.get_ouverture_lep(
            db,
            spi=P.SPI_LEP_ELIGIBLE,
            departement="59",
            annrev=2024,
            bareme=2025,
            scopes=ALL - {"dgfip_IndLep"},
            now=NOW,
        )
    )
    assert error.code == 4031


async def test_personas_reference_seeded_declarants(db: AsyncSession) -> None:
    for persona in P.PERSONAS:
        found = await db.get(Declarant, persona["spi"])
        assert (found is None) == (persona["case"] == "spi_inconnu"), persona
        assert persona["api"] == "impot_particulier"
    born_abroad = (await db.execute(select(Declarant).where(Declarant.spi == P.SPI_NE_A_L_ETRANGER))).scalar_one()
    body = await service.get_situation_ir(db, spi=born_abroad.spi, annrev=2025, scopes=ALL, now=NOW)
    assert (body["dptNaissDec1"], body["lieuNaissDec1"]) == ("99", "MAROC")
    assert (await service.get_situation_ir(db, spi=P.SPI_PARENT_ISOLE, annrev=2025, scopes=ALL, now=NOW))[
        "sitParIso"
    ] == "T"
    assert (await service.get_situation_ir(db, spi=P.SPI_DEFICIT, annrev=2025, scopes=ALL, now=NOW))[
        "indDeficit"
    ] == "O"
    assert "mntRevbareme" not in await service.get_situation_ir(
        db, spi=P.SPI_SANS_REVENUS, annrev=2025, scopes=ALL, now=NOW
    )
    assert (await service.get_situation_ir(db, spi=P.SPI_PACSE_DEC2, annrev=2025, scopes=ALL, now=NOW))["sitFam"] == "O"


def test_returned_fields() -> None:
    assert service.returned_fields({"rfr": 1, "sitFam": "M"}) == ["rfr", "sitFam"]
    assert service.returned_fields({"situationsIR": [{"rfr": 1}, {"rfr": 2, "typeAvis": 2}]}) == ["rfr", "typeAvis"]
    assert service.returned_fields(None) == []
