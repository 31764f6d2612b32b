"""Seeder of the FranceConnect-like service: service providers, the DGFIP data provider, citizens.

Runs after the Impôt particulier population seeder (it reads the ``declarants`` table):

* demo citizens derived from seeded déclarants (their état civil becomes an identité pivot), so a
  FranceConnect login lands on a foyer fiscal; one per foyer persona first, then a few others;
* ``sans_correspondance``: an identity no déclarant has (réconciliation → no match);
* ``homonyme``: an identity two déclarants share; the seeder inserts those two déclarants (in two
  foyers of their own, persona ``fc_homonymes``) when the population has no such pair;
* every citizen's password is ``123`` (FranceConnect's mock identity provider convention).

Idempotent: registrations whose secret and keys are still in var/franceconnect/secrets.json are
kept; missing ones are (re)created; citizens are created once.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import date, datetime
from typing import Any, cast

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.fr import nif

from dgfip_sandbox.clock import SystemClock
from dgfip_sandbox.franceconnect.identity import demo_email
from dgfip_sandbox.franceconnect.keys import generate_encryption_key, load_or_create_provider_keys
from dgfip_sandbox.franceconnect.reconciliation import (
    MatchKey,
    first_given_name,
    key_from_identity,
    normalize,
)
from dgfip_sandbox.franceconnect.registry import (
    DGFIP_DATA_PROVIDER,
    PASSWORD,
    SERVICE_PROVIDERS,
    read_secrets,
    register_service_provider,
    write_secrets,
)
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.consumers import hash_secret, new_client_secret, verify_secret
from dgfip_sandbox.store.franceconnect import FcCitizen, FcDataProvider, get_service_provider
from dgfip_sandbox.store.taxpayers import Declarant, Foyer, declarants_born, declarants_with_persona

log = structlog.get_logger("seed.franceconnect")

MATCHED_CITIZENS_MAX = 12
MATCHED_CITIZENS_MIN = 4


def _spi(base: str) -> str:
    return base + nif.calc_check_digits(base)


HOMONYM_SPIS = (_spi("3900000001"), _spi("3900000002"))
HOMONYM_IDENTITY = {
    "given_name": "Claire Marie",
    "family_name": "MARTIN",
    "birthdate": "1985-03-14",
    "gender": "female",
    "birthplace": "69123",
    "birthcountry": "99100",
}
NO_MATCH_IDENTITY = {
    "given_name": "Angela Claire Louise",
    "family_name": "DUBOIS",
    "birthdate": "1962-08-24",
    "gender": "female",
    "birthplace": "75107",
    "birthcountry": "99100",
}

PERSONAS: list[dict[str, Any]] = [
    {
        "spi": "1000000001084",
        "case": "fc_match",
        "api": "franceconnect",
        "login": "1000000001084",
        "description": "Connexion FranceConnect du déclarant 1 du couple marié (identifiant = son numéro fiscal, "
        "mot de passe 123) : la réconciliation trouve son foyer ; tout déclarant se connecte de même "
        "(liste dans credentials.json)",
    },
    {
        "spi": None,
        "case": "fc_no_match",
        "api": "franceconnect",
        "login": "sans_correspondance",
        "description": "Identité FranceConnect ne correspondant à aucun déclarant (réconciliation impossible)",
    },
    {
        "spi": HOMONYM_SPIS[0],
        "case": "fc_homonyms",
        "api": "franceconnect",
        "login": "homonyme",
        "description": "Identité FranceConnect partagée par deux déclarants homonymes (réconciliation ambiguë)",
    },
    {
        "spi": HOMONYM_SPIS[1],
        "case": "fc_homonyms",
        "api": "franceconnect",
        "login": "homonyme",
        "description": "Second déclarant homonyme de l'identité FranceConnect « homonyme »",
    },
]


async def seed(session: AsyncSession, settings: Settings) -> None:
    load_or_create_provider_keys(settings)
    now = SystemClock().now()
    store = read_secrets(settings)
    changed = await _seed_service_providers(session, settings, store, now)
    changed |= await _seed_data_provider(session, store, now)
    if changed:
        write_secrets(settings, store)
    if (await session.execute(select(func.count()).select_from(FcCitizen))).scalar_one() == 0:
        await _seed_citizens(session, settings)
    await session.flush()


async def _seed_service_providers(
    session: AsyncSession, settings: Settings, store: dict[str, Any], now: datetime
) -> bool:
    keys = load_or_create_provider_keys(settings)
    changed = False
    for spec in SERVICE_PROVIDERS:
        row = await get_service_provider(session, spec.client_id)
        secret = store["service_providers"].get(spec.client_id)
        if row is not None and secret and verify_secret(secret, row.client_secret_hash):
            # Keep the secret; follow the configured demo FS port (DGFIP_SANDBOX_DEMO_FS_PORT may change
            # between two runs of `up`), or FranceConnect would refuse the demo FS's redirect_uri.
            row.redirect_uris = spec.redirect_uris(settings)
            row.post_logout_redirect_uris = spec.post_logout_redirect_uris(settings)
            if row.client_secret_sealed is None:  # a database made before secrets were sealed (HS256)
                row.client_secret_sealed = keys.seal(secret)
            continue
        secret = new_client_secret()
        store["service_providers"][spec.client_id] = secret
        changed = True
        await register_service_provider(
            session, keys, spec.client_id, spec.registration(settings), secret=secret, now=now
        )
    return changed


async def _seed_data_provider(session: AsyncSession, store: dict[str, Any], now: datetime) -> bool:
    spec = DGFIP_DATA_PROVIDER
    row = (
        await session.execute(select(FcDataProvider).where(FcDataProvider.client_id == spec.client_id))
    ).scalar_one_or_none()
    entry = store["data_providers"].get(spec.client_id)
    if row is not None and entry and verify_secret(entry["client_secret"], row.client_secret_hash):
        public_kids = {k.get("kid") for k in row.jwks.get("keys", [])}
        if {k.get("kid") for k in entry["private_jwks"]["keys"]} == public_kids:
            return False
    secret = new_client_secret()
    key = generate_encryption_key(spec.encrypted_alg)
    store["data_providers"][spec.client_id] = {
        "client_secret": secret,
        "private_jwks": {"keys": [key.as_dict(private=True)]},
    }
    values = dict(
        title=spec.title,
        client_secret_hash=hash_secret(secret),
        scopes=list(spec.scopes),
        jwks={"keys": [key.as_dict(private=False)]},
        checktoken_signed_response_alg=spec.signed_alg,
        checktoken_encrypted_response_alg=spec.encrypted_alg,
        checktoken_encrypted_response_enc=spec.encrypted_enc,
        active=True,
    )
    if row is None:
        session.add(
            FcDataProvider(
                uid=str(uuid.uuid5(uuid.NAMESPACE_URL, spec.client_id)),
                slug=spec.slug,
                client_id=spec.client_id,
                created_at=now,
                **values,
            )
        )
    else:
        for name, value in values.items():
            setattr(row, name, value)
    return True


def _title(value: str) -> str:
    return " ".join(
        part.capitalize() if "-" not in part else "-".join(p.capitalize() for p in part.split("-"))
        for part in value.split()
    )


def citizen_from_declarant(declarant: Declarant, persona: str | None, position: int) -> FcCitizen:
    """The demo identity provider's account of a déclarant (login = SPI): the réconciliation finds him."""
    born_in_france = declarant.code_pays_naissance == "99100"
    where = f"foyer « {persona} »" if persona else f"foyer n° {declarant.foyer_id}"
    return FcCitizen(
        login=declarant.spi,
        password_hash=hash_secret(PASSWORD),
        given_name=_title(declarant.prenoms),
        family_name=declarant.nom_naissance.upper(),
        preferred_username=declarant.nom_usage or None,
        birthdate=declarant.date_naissance.isoformat(),
        gender="male" if declarant.sexe == "M" else "female",
        birthplace=(declarant.commune_naissance or "") if born_in_france else "",
        birthcountry=declarant.code_pays_naissance,
        email=demo_email(_title(declarant.prenoms), declarant.nom_naissance),
        case="fc_match",
        description=f"Déclarant {declarant.rank} du {where} : la réconciliation trouve le SPI {declarant.spi}",
        expected_spi=declarant.spi,
        position=position,
    )


def new_citizen(login: str, identity: dict[str, Any], case: str, description: str, position: int) -> FcCitizen:
    """An account of the demo identity provider with the given identité pivot (password ``123``)."""
    return FcCitizen(
        login=login,
        password_hash=hash_secret(PASSWORD),
        preferred_username=None,
        email=demo_email(identity["given_name"], identity["family_name"]),
        case=case,
        description=description,
        expected_spi=None,
        position=position,
        **identity,
    )


# MatchKey's fields as a plain tuple: 200,000 frozen dataclass instances cost a second for nothing.
_Key = tuple[str, str, date, str, str]


def _as_key(key: MatchKey) -> _Key:
    return (key.given_name, key.family_name, key.birthdate, key.sexe, key.birthcountry)


def _match_keys(declarants: list[Declarant]) -> list[_Key]:
    """``key_from_declarant`` of each déclarant (as tuples), each distinct name normalised once."""
    given: dict[str, str] = {}
    family: dict[str, str] = {}
    keys: list[_Key] = []
    for d in declarants:
        first = given.get(d.prenoms)
        if first is None:
            first = given[d.prenoms] = first_given_name(d.prenoms)
        name = family.get(d.nom_naissance)
        if name is None:
            name = family[d.nom_naissance] = normalize(d.nom_naissance)
        keys.append((first, name, d.date_naissance, d.sexe, d.code_pays_naissance))
    return keys


async def _seed_citizens(session: AsyncSession, settings: Settings) -> None:
    # A déclarant becomes a citizen when his identity is his alone (the réconciliation finds him) and he
    # is alive: first one per foyer persona, then, when they are fewer than MATCHED_CITIZENS_MIN, others
    # drawn from all. The first step asks the database for each candidate's identity (indexed), so a
    # large population is read whole only if the personas do not suffice.
    personas = [
        (cast(Declarant, row), row.persona) for row in await declarants_with_persona(session, personas_only=True)
    ]
    chosen: list[tuple[Declarant, str | None]] = []
    seen_personas: set[str] = set()
    for declarant, persona in sorted(personas, key=lambda r: (r[1] or "", r[0].rank, r[0].spi)):
        if len(chosen) == MATCHED_CITIZENS_MAX:
            break
        if not persona or persona in seen_personas or declarant.date_deces is not None:
            continue
        if await _holders(session, _match_keys([declarant])[0]) == 1:
            seen_personas.add(persona)
            chosen.append((declarant, persona))
    missing = max(0, MATCHED_CITIZENS_MIN - len(chosen))
    if missing:
        chosen.extend(await _others(session, settings, {d.spi for d, _ in chosen}, missing))
    if not chosen:
        log.warning("seed.franceconnect.no_declarants", hint="run the Impôt particulier population seeder first")

    position = 0
    for declarant, persona in chosen:
        session.add(citizen_from_declarant(declarant, persona, position))
        position += 1

    no_match = dict(NO_MATCH_IDENTITY)
    if await _holders(
        session, _as_key(key_from_identity(no_match))
    ):  # the population happens to hold her: move her birthday
        no_match["birthdate"] = "1962-08-01"
    session.add(
        new_citizen(
            "sans_correspondance",
            no_match,
            "fc_no_match",
            "Aucun déclarant ne correspond à cette identité (réconciliation impossible)",
            position,
        )
    )
    position += 1

    homonyms = await _holders(session, _as_key(key_from_identity(HOMONYM_IDENTITY)))
    if homonyms < 2:
        await _insert_homonyms(session, homonyms)
    session.add(
        new_citizen(
            "homonyme",
            dict(HOMONYM_IDENTITY),
            "fc_homonyms",
            f"Deux déclarants homonymes ({HOMONYM_SPIS[0]}, {HOMONYM_SPIS[1]}) : réconciliation ambiguë",
            position,
        )
    )


async def _holders(session: AsyncSession, key: _Key) -> int:
    """How many déclarants have the réconciliation ``key``, asked of the database (indexed)."""
    _given, _family, birthdate, sexe, country = key
    born = await declarants_born(session, birthdate, sexe, country)
    return sum(1 for found in _match_keys(list(born)) if found == key)


async def _others(
    session: AsyncSession, settings: Settings, taken: set[str], count: int
) -> list[tuple[Declarant, str | None]]:
    """``count`` déclarants drawn (with ``settings.seed``) from all those, not in ``taken``, whose identity
    is theirs alone and who are alive: every déclarant read, his key computed."""
    rows = [(cast(Declarant, row), row.persona) for row in await declarants_with_persona(session, personas_only=False)]
    keys = _match_keys([d for d, _ in rows])
    counts: Counter[_Key] = Counter(keys)
    others = [
        (d, p)
        for (d, p), key in zip(rows, keys, strict=True)
        if counts[key] == 1 and d.date_deces is None and d.spi not in taken
    ]
    rng = random.Random(settings.seed)  # noqa: S311 - a deterministic choice of demo citizens, no secret
    return rng.sample(others, min(count, len(others)))


async def _insert_homonyms(session: AsyncSession, already: int) -> None:
    for index, spi in enumerate(HOMONYM_SPIS[already:], start=already):
        if await session.get(Declarant, spi) is not None:
            continue
        foyer = Foyer(persona="fc_homonymes")
        session.add(foyer)
        await session.flush()
        session.add(
            Declarant(
                spi=spi,
                foyer_id=foyer.id,
                rank=1,
                nom_naissance="MARTIN",
                nom_usage=None if index == 0 else "DURAND",
                prenoms="CLAIRE MARIE" if index == 0 else "CLAIRE ANNE",
                sexe="F",
                date_naissance=date(1985, 3, 14),
                code_pays_naissance="99100",
                departement_naissance="69",
                commune_naissance="69123",
                lieu_naissance="LYON",
            )
        )


__all__ = ["PERSONAS", "seed"]
