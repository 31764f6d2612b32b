"""The FranceConnect seeder: registries, citizens matching déclarants, secrets outside SQL, idempotence."""

from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import delete, func, select

from dgfip_sandbox.franceconnect import seed as fc_seed
from dgfip_sandbox.franceconnect.credentials import credentials_section
from dgfip_sandbox.franceconnect.keys import provider_keys_path, secrets_path
from dgfip_sandbox.franceconnect.reconciliation import NoMatch, SeveralMatches, find_spi
from dgfip_sandbox.franceconnect.registry import DEMO_FS_CLIENT_ID, read_secrets
from dgfip_sandbox.seed import seeders
from dgfip_sandbox.store.database import create_engine, create_sessionmaker
from dgfip_sandbox.store.franceconnect import FcCitizen, FcDataProvider, FcServiceProvider, list_citizens
from dgfip_sandbox.store.taxpayers import Declarant

pytestmark = pytest.mark.anyio


@pytest.fixture
async def db(fc_settings):
    engine = create_engine(fc_settings.sqlalchemy_url)
    async with create_sessionmaker(engine)() as session:
        yield session
    await engine.dispose()


async def test_registered_in_seeders():
    assert fc_seed.seed in seeders()


async def test_citizens_match_as_described(db):
    citizens = await list_citizens(db)
    by_case: dict[str, list[FcCitizen]] = {}
    for citizen in citizens:
        by_case.setdefault(citizen.case, []).append(citizen)
    assert {c.login for c in by_case["fc_match"]} >= {"0123456789012", "1234567890123", "2345678901234"}
    assert "0987654321098" not in {c.login for c in citizens}  # deceased: not a FranceConnect user
    for citizen in by_case["fc_match"]:
        identity = {
            k: getattr(citizen, k) for k in ("given_name", "family_name", "birthdate", "gender", "birthcountry")
        }
        assert await find_spi(db, identity) == citizen.expected_spi == citizen.login
    (no_match,) = by_case["fc_no_match"]
    with pytest.raises(NoMatch):
        await find_spi(
            db,
            {
                "given_name": no_match.given_name,
                "family_name": no_match.family_name,
                "birthdate": no_match.birthdate,
                "gender": no_match.gender,
                "birthcountry": no_match.birthcountry,
            },
        )
    (homonym,) = by_case["fc_homonyms"]
    with pytest.raises(SeveralMatches):
        await find_spi(
            db,
            {
                "given_name": homonym.given_name,
                "family_name": homonym.family_name,
                "birthdate": homonym.birthdate,
                "gender": homonym.gender,
                "birthcountry": homonym.birthcountry,
            },
        )


async def test_secrets_hashed_in_db_and_private_files(db, fc_settings):
    store = read_secrets(fc_settings)
    demo = (
        await db.execute(select(FcServiceProvider).where(FcServiceProvider.client_id == DEMO_FS_CLIENT_ID))
    ).scalar_one()
    assert store["service_providers"][DEMO_FS_CLIENT_ID] not in demo.client_secret_hash
    dp = (await db.execute(select(FcDataProvider))).scalar_one()
    assert all("d" not in key for key in dp.jwks["keys"])
    for path in (secrets_path(fc_settings), provider_keys_path(fc_settings)):
        assert oct(os.stat(path).st_mode & 0o777) == "0o600"


async def test_seed_is_idempotent(db, fc_settings):
    before = json.loads(secrets_path(fc_settings).read_text())
    count = (await db.execute(select(func.count()).select_from(FcCitizen))).scalar_one()
    await fc_seed.seed(db, fc_settings)
    await db.commit()
    assert json.loads(secrets_path(fc_settings).read_text()) == before
    assert (await db.execute(select(func.count()).select_from(FcCitizen))).scalar_one() == count


async def test_credentials_section(db, fc_settings):
    section = await credentials_section(db, fc_settings)
    assert section["issuer"] == "http://127.0.0.1:8444/api/v2"
    names = {sp["name"]: sp for sp in section["service_providers"]}
    assert names["demo-fs"]["client_secret"] == read_secrets(fc_settings)["service_providers"][DEMO_FS_CLIENT_ID]
    assert names["demo-fs"]["redirect_uris"][0] == "http://localhost:8446/callback"
    assert section["data_provider"]["client_secret"]
    assert "private_jwks" not in json.dumps(section)
    assert {i["case"] for i in section["identities"]} == {"fc_match", "fc_no_match", "fc_homonyms"}
    assert all(i["password"] == "123" for i in section["identities"])


async def test_seed_follows_the_demo_fs_port_and_keeps_the_secret(db, fc_settings):
    before = json.loads(secrets_path(fc_settings).read_text())
    moved = fc_settings.model_copy(update={"demo_fs_port": 9446})
    await fc_seed.seed(db, moved)
    await db.commit()
    row = (
        await db.execute(select(FcServiceProvider).where(FcServiceProvider.client_id == DEMO_FS_CLIENT_ID))
    ).scalar_one()
    await db.refresh(row)
    assert row.redirect_uris == ["http://localhost:9446/callback", "http://127.0.0.1:9446/callback"]
    assert row.post_logout_redirect_uris == [
        "http://localhost:9446/logout-callback",
        "http://127.0.0.1:9446/logout-callback",
    ]
    assert json.loads(secrets_path(fc_settings).read_text()) == before  # same client secret
    section = await credentials_section(db, moved)
    assert {sp["name"]: sp for sp in section["service_providers"]}["demo-fs"]["redirect_uris"][
        0
    ] == "http://localhost:9446/callback"


async def _matched_after_reseeding(db, fc_settings) -> list[FcCitizen]:
    await db.execute(delete(FcCitizen))
    await db.commit()
    await fc_seed.seed(db, fc_settings)
    await db.commit()
    return [c for c in await list_citizens(db) if c.case == "fc_match"]


async def test_others_are_drawn_when_the_personas_are_too_few(db, fc_settings, monkeypatch):
    """Fewer persona citizens than MATCHED_CITIZENS_MIN: the rest is drawn from every déclarant whose
    identity is his alone and who is alive (the whole table read), the same ones at each seed."""
    monkeypatch.setattr(fc_seed, "MATCHED_CITIZENS_MAX", 2)
    monkeypatch.setattr(fc_seed, "MATCHED_CITIZENS_MIN", 5)
    matched = await _matched_after_reseeding(db, fc_settings)
    assert len(matched) == 5
    assert all("foyer «" in c.description for c in matched[:2])  # one per persona first, then three drawn
    assert len({c.login for c in matched}) == 5
    for citizen in matched:
        identity = {
            k: getattr(citizen, k) for k in ("given_name", "family_name", "birthdate", "gender", "birthcountry")
        }
        assert await find_spi(db, identity) == citizen.login
        declarant = await db.get(Declarant, citizen.login)
        assert declarant is not None and declarant.date_deces is None
    assert [c.login for c in await _matched_after_reseeding(db, fc_settings)] == [c.login for c in matched]
