"""Réconciliation: from FranceConnect's identité pivot to exactly one déclarant (its SPI).

The rule of FranceConnect's reference data provider, which DGFIP's is modelled on: the first given
name without accents and upper-cased, the family name (birth name) likewise, the birth date, the
gender (male → M, female → F) and the birth country must all be equal; exactly one déclarant must
match, else no data is returned (``NoMatch``, ``SeveralMatches``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.store.taxpayers import Declarant, declarants_born

GENDERS = {"male": "M", "female": "F"}


class ReconciliationError(Exception):
    pass


class IncompleteIdentity(ReconciliationError):
    """The identity lacks a field the matching needs, or one is malformed."""


class NoMatch(ReconciliationError):
    """No déclarant has this état civil."""


class SeveralMatches(ReconciliationError):
    """More than one déclarant has this état civil (homonyms): DGFIP answers nothing."""

    def __init__(self, spis: list[str]) -> None:
        super().__init__(f"{len(spis)} déclarants correspondent")
        self.spis = spis


def normalize(value: str) -> str:
    """Upper case without accents (ÉLODIE → ELODIE, Gaëlle → GAELLE), spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.upper().split())


def first_given_name(value: str) -> str:
    parts = normalize(value).split(" ")
    return parts[0] if parts else ""


@dataclass(frozen=True)
class MatchKey:
    given_name: str
    family_name: str
    birthdate: date
    sexe: str
    birthcountry: str


def key_from_identity(identity: Mapping[str, Any]) -> MatchKey:
    try:
        given = first_given_name(str(identity["given_name"]))
        family = normalize(str(identity["family_name"]))
        birthdate = date.fromisoformat(str(identity["birthdate"]))
        sexe = GENDERS[str(identity["gender"])]
        country = str(identity["birthcountry"]).strip()
    except (KeyError, ValueError) as exc:
        raise IncompleteIdentity(f"identité incomplète ou mal formée : {exc}") from None
    if not given or not family or not country:
        raise IncompleteIdentity("identité incomplète")
    return MatchKey(given, family, birthdate, sexe, country)


def key_from_declarant(declarant: Declarant) -> MatchKey:
    return MatchKey(
        first_given_name(declarant.prenoms),
        normalize(declarant.nom_naissance),
        declarant.date_naissance,
        declarant.sexe,
        declarant.code_pays_naissance,
    )


async def find_spi(session: AsyncSession, identity: Mapping[str, Any]) -> str:
    """The SPI of the one déclarant matching ``identity`` (a pivot identity dict or an object with
    the same attributes). Raises NoMatch, SeveralMatches, IncompleteIdentity."""
    if not isinstance(identity, Mapping):
        identity = {
            k: getattr(identity, k) for k in ("given_name", "family_name", "birthdate", "gender", "birthcountry")
        }
    key = key_from_identity(identity)
    # Narrow in SQL on the exact fields, compare names in Python (accents, case, first name only).
    candidates = await declarants_born(session, key.birthdate, key.sexe, key.birthcountry)
    spis = sorted(d.spi for d in candidates if key_from_declarant(d) == key)
    if not spis:
        raise NoMatch("aucun déclarant ne correspond à cette identité")
    if len(spis) > 1:
        raise SeveralMatches(spis)
    return spis[0]
