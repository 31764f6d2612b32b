"""API Impôt particulier's rules, independent of HTTP: the SPI routes call these with the SPI from the
path, the FranceConnect routes with the SPI FranceConnect's identity resolved to.

Every function takes the raw path values (validated here, so that SPI and FC routes refuse the same
way), the DataPass scopes the answer may use and the current time, and returns the response body or
raises an ``ImpotParticulierError``. The checks run in this order, the first failure decides:

    1. formats             SPI 4001, annrev / bareme 4002, département 4007          (400)
    2. year taxed          the taxation calendar has not reached the year        4101 (410)
    3. habilitation        resource scope or year outside the DataPass scopes    4031 (403)
    4. taxpayer            the SPI is nobody                                     4102 (410)
    5. data                no avis for that year yet, two avis (death) on a
                           standard resource, no IFI taxation, no TH local      4101 (410)
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import or_, select
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.apis.impot_particulier import datapass, lep
from dgfip_sandbox.apis.impot_particulier.calendar import (
    TH_LAST_YEAR,
    ir_taxation_date,
    is_ir_year_taxed,
    is_th_year_available,
    latest_taxed_annrev,
    paris_today,
)
from dgfip_sandbox.apis.impot_particulier.datapass import YearRights, year_rights
from dgfip_sandbox.apis.impot_particulier.errors import (
    AccessDenied,
    DepartementFormatError,
    NoResult,
    SpiFormatError,
    UnknownSpi,
    YearFormatError,
)
from dgfip_sandbox.spi import spi_problem
from dgfip_sandbox.store import changes
from dgfip_sandbox.store.taxpayers import Declarant, TaxSituation, ThSituation, expand_payload

# Field order of the published schemas (SituationsIRAssiettesJAXBbean and its variants).
_ETAT_CIVIL = (
    "nmNaiDec1",
    "nmUsaDec1",
    "prnmDec1",
    "dateNaisDec1",
    "dptNaissDec1",
    "lieuNaissDec1",
    "nmNaiDec2",
    "nmUsaDec2",
    "prnmDec2",
    "dateNaisDec2",
    "dptNaissDec2",
    "lieuNaissDec2",
)
_AFTER_ETAT_CIVIL = (
    "aft",
    "aftDetail",
    "sitParIso",
    "pensAlPer",
    "indDeficit",
    "revenuBrutGlobal",
    "sitPart",
    "sitParDeclaree",
    "indOptionImpotSepar",
    "mntRevbareme",
    "datRec",
    "datEtab",
    "impAvImput",
    "montTotIr",
    "revImposable",
    "numRole",
    "fipNum",
)
ASSIETTES_ORDER = ("rfr", "sitFam", "nbPart", "pac", *_ETAT_CIVIL, *_AFTER_ETAT_CIVIL, "rev")
FACTURES_ORDER = ("rfr", "sitFam", "nbPart", "pac", *_ETAT_CIVIL, *_AFTER_ETAT_CIVIL, "facture", "rev")
MILLESIME_ORDER = ("annRevenu", *ASSIETTES_ORDER)
MULTIPLE_ORDER = (
    "rfr",
    "sitFam",
    "nbPart",
    "pac",
    *_ETAT_CIVIL,
    "aft",
    "aftDetail",
    "sitParIso",
    "pensAlPer",
    "indDeficit",
    "revenuBrutGlobal",
    "rev",
    "sitPart",
    "sitParDeclaree",
    "indOptionImpotSepar",
    "mntRevbareme",
    "spiDec1",
    "spiDec2",
    "datRec",
    "datEtab",
    "impAvImput",
    "montTotIr",
    "revImposable",
    "numRole",
    "fipNum",
    "dateDebutPeriode",
    "dateFinPeriode",
    "typeAvis",
    "dateDecesdec1",
    "dateDecesdec2",
)

_YEAR = re.compile(r"[0-9]{4}", re.ASCII)
# Départements: 01–19, 2A, 2B, 21–95, and the overseas 971–976 (also accepted with a leading zero: 075).
_DEPARTEMENT = re.compile(r"0?(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5])|97[1-6]", re.ASCII)


# 1. formats ---------------------------------------------------------------------------------------


def check_spi(spi: str) -> str:
    problem = spi_problem(spi)
    if problem:
        raise SpiFormatError(problem)
    return spi


def parse_year(value: str | int, what: str = "annrev") -> int:
    text = str(value)
    if not _YEAR.fullmatch(text):
        raise YearFormatError(f"{what} doit être une année sur 4 chiffres ({text!r} reçu)")
    return int(text)


def check_departement(value: str) -> str:
    if not _DEPARTEMENT.fullmatch(value):
        raise DepartementFormatError(f"{value!r} n'est pas un département (01 à 95, 2A, 2B ou 971 à 976 attendus)")
    return value[1:] if len(value) == 3 and value.startswith("0") else value


# 2./3. calendar and habilitation ------------------------------------------------------------------


def _check_taxed(annrev: int, now: datetime) -> None:
    if not is_ir_year_taxed(annrev, now):
        raise NoResult(
            f"les revenus {annrev} ne sont pas encore taxés (taxation prévue le {ir_taxation_date(annrev):%d/%m/%Y})"
        )


def _check_year_scope(rights: YearRights, annrev: int) -> None:
    if not rights.any:
        raise AccessDenied("l'habilitation ne comporte aucun scope d'année (dgfip_annee_n_moins_…)")
    if not (rights.allows(annrev, n_1_available=True) or rights.allows(annrev, n_1_available=False)):
        raise AccessDenied(
            f"l'année {annrev} n'est pas couverte par l'habilitation (années autorisées : {rights.describe()})"
        )


async def _check_conditional_year(
    session: AsyncSession, rights: YearRights, annrev: int, spi: str, now: datetime
) -> None:
    """N-2 under ``dgfip_annee_n_moins_2_si_indispo_n_moins_1`` only while N-1 is unavailable."""
    if rights.allows(annrev, n_1_available=True):
        return
    n_1 = rights.current_year - 1
    available = is_ir_year_taxed(n_1, now) and bool(await _periods(session, spi, n_1, now))
    if available:
        raise AccessDenied(f"l'année {annrev} n'est autorisée que si {n_1} est indisponible, or l'avis {n_1} existe")


# 4./5. taxpayer and data --------------------------------------------------------------------------


# The seeded taxpayers are read far more often than written: reads go through a per-process cache
# valid while the database's "taxpayers" change counter is the one the current request started under
# (store/changes.py: any write to their tables, by any process, bumps it). Without a current request
# (no counter read), reads go to the database.
READ_CACHE_SIZE = 20_000
T = TypeVar("T")
_read_cache: dict[tuple[Any, ...], tuple[int, Any]] = {}


async def _cached(session: AsyncSession, key: tuple[Any, ...], load: Callable[[], Awaitable[T]]) -> T:
    return await cached_read(session.get_bind().engine.url, key, load)


async def cached_read(database: URL, key: tuple[Any, ...], load: Callable[[], Awaitable[T]]) -> T:
    """``load()``'s value for ``key`` in ``database``, from the read cache while the taxpayers' change
    counter is the current request's (``load`` opens its own session: a hit opens none)."""
    generation = changes.current("taxpayers")
    if generation is None:
        return await load()
    key = (database, *key)
    entry = _read_cache.get(key)
    if entry is not None and entry[0] == generation:
        return cast(T, entry[1])  # stored by this function for this key, from the same load
    value = await load()
    if len(_read_cache) >= READ_CACHE_SIZE:
        _read_cache.clear()
    _read_cache[key] = (generation, value)
    return value


async def _require_declarant(session: AsyncSession, spi: str) -> Declarant:
    declarant: Declarant | None = await _cached(session, ("declarant", spi), lambda: session.get(Declarant, spi))
    if declarant is None:
        raise UnknownSpi()
    return declarant


async def _periods(session: AsyncSession, spi: str, annrev: int, now: datetime) -> list[TaxSituation]:
    """The avis of the foyer the SPI belonged to in ``annrev``, established on ``now``, in period order."""

    async def load() -> list[TaxSituation]:
        foyers = select(TaxSituation.foyer_id).where(
            TaxSituation.annrev == annrev, or_(TaxSituation.spi_dec1 == spi, TaxSituation.spi_dec2 == spi)
        )
        rows = await session.execute(
            select(TaxSituation)
            .where(TaxSituation.annrev == annrev, TaxSituation.foyer_id.in_(foyers))
            .order_by(TaxSituation.foyer_id, TaxSituation.sequence)
        )
        return list(rows.scalars().all())

    today = paris_today(now)
    return [p for p in await _cached(session, ("periods", spi, annrev), load) if p.date_etablissement <= today]


def _no_avis(annrev: int) -> NoResult:
    return NoResult(f"aucun avis d'impôt sur les revenus {annrev} pour ce SPI")


def _several_avis(annrev: int) -> NoResult:
    return NoResult(
        f"plusieurs avis d'imposition pour les revenus {annrev} (décès d'un déclarant) : "
        "utiliser les ressources dernieresituation ou multiple"
    )


async def _declarants(session: AsyncSession, periods: Sequence[TaxSituation]) -> dict[str, Declarant]:
    spis = {spi for p in periods for spi in (p.spi_dec1, p.spi_dec2) if spi}

    async def load() -> dict[str, Declarant]:
        rows = await session.execute(select(Declarant).where(Declarant.spi.in_(spis)))
        return {d.spi: d for d in rows.scalars().all()}

    return await _cached(session, ("declarants", *sorted(spis)), load)


def _date_naissance(d: date) -> dict[str, str]:
    return {"jour": f"{d.day:02d}", "mois": f"{d.month:02d}", "annee": f"{d.year:04d}"}


def _etat_civil(declarant: Declarant | None, n: int) -> dict[str, Any]:
    if declarant is None:
        return {}
    return {
        f"nmNaiDec{n}": declarant.nom_naissance,
        f"nmUsaDec{n}": declarant.nom_usage,
        f"prnmDec{n}": declarant.prenoms,
        f"dateNaisDec{n}": _date_naissance(declarant.date_naissance),
        f"dptNaissDec{n}": declarant.departement_naissance,
        f"lieuNaissDec{n}": declarant.lieu_naissance,
    }


def _situation_fields(situation: TaxSituation, declarants: dict[str, Declarant]) -> dict[str, Any]:
    fields = expand_payload(situation.payload)
    fields.update(_etat_civil(declarants.get(situation.spi_dec1), 1))
    if situation.spi_dec2:
        fields.update(_etat_civil(declarants.get(situation.spi_dec2), 2))
    fields.update(
        {
            "spiDec1": situation.spi_dec1,
            "spiDec2": situation.spi_dec2,
            "dateDebutPeriode": situation.date_debut.isoformat(),
            "dateFinPeriode": situation.date_fin.isoformat(),
            "typeAvis": situation.type_avis,
            "dateDecesdec1": situation.date_deces_dec1.isoformat() if situation.date_deces_dec1 else None,
            "dateDecesdec2": situation.date_deces_dec2.isoformat() if situation.date_deces_dec2 else None,
            "annRevenu": situation.annrev,
        }
    )
    return fields


def _shape(fields: dict[str, Any], order: Sequence[str], scopes: frozenset[str]) -> dict[str, Any]:
    """The published fields of ``order`` that exist (JAXB omits nulls) and that the scopes grant."""
    present = {name: fields[name] for name in order if fields.get(name) is not None}
    return datapass.filter_ir(present, scopes)


async def _year_situations(
    session: AsyncSession, *, spi: str, annrev: str | int, scopes: frozenset[str], now: datetime
) -> tuple[int, list[TaxSituation]]:
    """Steps 1–5 shared by the resources that take an income year."""
    check_spi(spi)
    year = parse_year(annrev)
    _check_taxed(year, now)
    rights = year_rights(scopes, now)
    _check_year_scope(rights, year)
    await _require_declarant(session, spi)
    await _check_conditional_year(session, rights, year, spi, now)
    periods = await _periods(session, spi, year, now)
    if not periods:
        raise _no_avis(year)
    return year, periods


# The resources ------------------------------------------------------------------------------------


async def _single_avis(
    session: AsyncSession, order: Sequence[str], *, spi: str, annrev: str | int, scopes: frozenset[str], now: datetime
) -> dict[str, Any]:
    """The standard resources: one avis for the year, else 410 4101 (a death makes two)."""
    year, periods = await _year_situations(session, spi=spi, annrev=annrev, scopes=scopes, now=now)
    if len(periods) > 1:
        raise _several_avis(year)
    declarants = await _declarants(session, periods)
    return _shape(_situation_fields(periods[0], declarants), order, scopes)


async def get_situation_ir(
    session: AsyncSession, *, spi: str, annrev: str | int, scopes: frozenset[str], now: datetime
) -> dict[str, Any]:
    """``situations/ir/assiettes/annrev/{annrev}`` (SituationsIrAssiettesV1)."""
    return await _single_avis(session, ASSIETTES_ORDER, spi=spi, annrev=annrev, scopes=scopes, now=now)


async def get_situation_ir_factures(
    session: AsyncSession, *, spi: str, annrev: str | int, scopes: frozenset[str], now: datetime
) -> dict[str, Any]:
    """``situations/ir/factures/annrev/{annrev}`` (SituationsIrFacturesV1)."""
    return await _single_avis(session, FACTURES_ORDER, spi=spi, annrev=annrev, scopes=scopes, now=now)


async def get_derniere_situation_ir(
    session: AsyncSession, *, spi: str, annrev: str | int, scopes: frozenset[str], now: datetime
) -> dict[str, Any]:
    """``dernieresituation/ir/assiettes/annrev/{annrev}``: the last period of the year (after a death)."""
    _year, periods = await _year_situations(session, spi=spi, annrev=annrev, scopes=scopes, now=now)
    last = periods[-1]
    declarants = await _declarants(session, [last])
    return _shape(_situation_fields(last, declarants), MILLESIME_ORDER, scopes)


async def get_derniere_situation_ir_deux_ans(
    session: AsyncSession, *, spi: str, scopes: frozenset[str], now: datetime
) -> dict[str, Any]:
    """``dernieresituation/ir/assiettes/deuxans``: the last period of the latest taxed year, or of the
    year before when the latest avis does not exist (yet) for this taxpayer."""
    check_spi(spi)
    rights = year_rights(scopes, now)
    latest = latest_taxed_annrev(now)
    candidates = [
        y for y in (latest, latest - 1) if rights.allows(y, n_1_available=True) or rights.allows(y, n_1_available=False)
    ]
    if not candidates:
        raise AccessDenied(
            f"ni {latest} ni {latest - 1} ne sont couvertes par l'habilitation (années autorisées : {rights.describe()})"
        )
    await _require_declarant(session, spi)
    for year in candidates:
        periods = await _periods(session, spi, year, now)
        if not periods:
            continue
        try:
            await _check_conditional_year(session, rights, year, spi, now)
        except AccessDenied:
            continue
        last = periods[-1]
        declarants = await _declarants(session, [last])
        return _shape(_situation_fields(last, declarants), MILLESIME_ORDER, scopes)
    raise NoResult(f"aucun avis d'impôt sur les revenus {latest} ni {latest - 1} pour ce SPI")


async def get_situations_ir_multiple(
    session: AsyncSession, *, spi: str, annrev: str | int, scopes: frozenset[str], now: datetime
) -> dict[str, Any]:
    """``situations/ir/assiettes/multiple/annrev/{annrev}``: every period of the year."""
    _year, periods = await _year_situations(session, spi=spi, annrev=annrev, scopes=scopes, now=now)
    declarants = await _declarants(session, periods)
    return {"situationsIR": [_shape(_situation_fields(p, declarants), MULTIPLE_ORDER, scopes) for p in periods]}


async def get_situation_ifi(
    session: AsyncSession, *, spi: str, annrev: str | int, scopes: frozenset[str], now: datetime
) -> dict[str, Any]:
    """``situations/ifiisf/assiettes/annrev/{annrev}``: "O" when taxed to the IFI, else 410 4101."""
    check_spi(spi)
    year = parse_year(annrev)
    _check_taxed(year, now)
    if datapass.IFI not in scopes:
        raise AccessDenied("l'habilitation ne comporte pas le scope dgfip_indiIFI")
    _check_year_scope(year_rights(scopes, now), year)
    await _require_declarant(session, spi)
    await _check_conditional_year(session, year_rights(scopes, now), year, spi, now)
    periods = await _periods(session, spi, year, now)
    if not periods:
        raise _no_avis(year)
    if periods[-1].indicateur_ifi != "O":
        raise NoResult(f"pas d'imposition à l'IFI au titre de {year}")
    return {"indicateurIfiIsf": "O"}


async def get_situations_th(
    session: AsyncSession, *, spi: str, annrev: str | int, scopes: frozenset[str], now: datetime
) -> dict[str, Any]:
    """``situations/th/assiettes/principale/annrev/{annrev}``: the résidence principale, years up to 2022."""
    check_spi(spi)
    year = parse_year(annrev)
    if not is_th_year_available(year, now):
        if year > TH_LAST_YEAR:
            raise NoResult(f"la ressource TH n'est plus alimentée depuis fin {TH_LAST_YEAR} ({year} demandé)")
        raise NoResult(f"la taxe d'habitation {year} n'est pas encore établie")
    if not datapass.grants_any_th_field(scopes):
        raise AccessDenied("l'habilitation ne comporte aucun scope des données du local ni dgfip_aft")
    declarant = await _require_declarant(session, spi)
    rows = await session.execute(
        select(ThSituation).where(ThSituation.foyer_id == declarant.foyer_id, ThSituation.annee == year)
    )
    found = list(rows.scalars().all())
    if not found:
        raise NoResult(f"aucune taxe d'habitation {year} pour ce SPI")
    return {"situationsTH": [datapass.filter_th(row.payload, scopes) for row in found]}


async def get_ouverture_lep(
    session: AsyncSession,
    *,
    spi: str,
    departement: str,
    annrev: str | int,
    bareme: str | int,
    scopes: frozenset[str],
    now: datetime,
) -> dict[str, Any] | None:
    """``lep/departement/{departement}/annrev/{annrev}/bareme/{bareme}``: ``{"statut": "O"|"N"}``, or
    ``None`` (204) when no answer can be given: two avis that year, or a barème the sandbox lacks."""
    check_spi(spi)
    year = parse_year(annrev)
    bareme_year = parse_year(bareme, "bareme")
    dept = check_departement(departement)
    _check_taxed(year, now)
    if datapass.LEP not in scopes:
        raise AccessDenied("l'habilitation ne comporte pas le scope dgfip_IndLep")
    await _require_declarant(session, spi)
    periods = await _periods(session, spi, year, now)
    if not periods:
        raise _no_avis(year)
    if len(periods) > 1:
        return None
    payload = periods[0].payload
    result = lep.statut(int(payload["rfr"]), bareme_year, dept, float(payload["nbPart"]))
    return None if result is None else {"statut": result}


def returned_fields(body: dict[str, Any] | None) -> list[str]:
    """Field names for the audit record: the top-level names, or those of the items of a list wrapper."""
    if not body:
        return []
    for wrapper in ("situationsIR", "situationsTH"):
        if wrapper in body:
            names: dict[str, None] = {}
            for item in body[wrapper]:
                names.update(dict.fromkeys(item))
            return list(names)
    return list(body)
