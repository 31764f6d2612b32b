"""The ``franceconnect`` section of var/credentials.json (bootstrap calls ``credentials_section``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.franceconnect.keys import secrets_path
from dgfip_sandbox.franceconnect.registry import DGFIP_DATA_PROVIDER, PASSWORD, SERVICE_PROVIDERS, read_secrets
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.franceconnect import FcDataProvider, FcServiceProvider, list_citizens


async def credentials_section(session: AsyncSession, settings: Settings) -> dict[str, Any]:
    issuer = settings.franceconnect_base_url + "/api/v2"
    store = read_secrets(settings)
    providers = []
    for spec in SERVICE_PROVIDERS:
        row = (
            await session.execute(select(FcServiceProvider).where(FcServiceProvider.client_id == spec.client_id))
        ).scalar_one_or_none()
        if row is None:
            continue
        providers.append(
            {
                "name": spec.name,
                "title": row.name,
                "client_id": row.client_id,
                "client_secret": store["service_providers"].get(row.client_id),
                "redirect_uris": row.redirect_uris,
                "post_logout_redirect_uris": row.post_logout_redirect_uris,
                "id_token_signed_response_alg": row.id_token_signed_response_alg,
                "userinfo_signed_response_alg": row.userinfo_signed_response_alg,
                "token_endpoint_auth_method": row.token_endpoint_auth_method,
                "type": row.sp_type,
                "scopes": row.scopes,
            }
        )
    dp = (
        await session.execute(select(FcDataProvider).where(FcDataProvider.client_id == DGFIP_DATA_PROVIDER.client_id))
    ).scalar_one_or_none()
    data_provider = None
    if dp is not None:
        data_provider = {
            "title": dp.title,
            "client_id": dp.client_id,
            "client_secret": (store["data_providers"].get(dp.client_id) or {}).get("client_secret"),
            "scopes": dp.scopes,
            "checktoken_signed_response_alg": dp.checktoken_signed_response_alg,
            "checktoken_encrypted_response_alg": dp.checktoken_encrypted_response_alg,
            "checktoken_encrypted_response_enc": dp.checktoken_encrypted_response_enc,
            "private_keys_file": str(secrets_path(settings)),
        }
    identities = [
        {
            "login": c.login,
            "password": PASSWORD,
            "given_name": c.given_name,
            "family_name": c.family_name,
            "birthdate": c.birthdate,
            "gender": c.gender,
            "birthplace": c.birthplace,
            "birthcountry": c.birthcountry,
            "case": c.case,
            "expected_spi": c.expected_spi,
            "description": c.description,
        }
        for c in await list_citizens(session)
    ]
    return {
        "issuer": issuer,
        "discovery": issuer + "/.well-known/openid-configuration",
        "authorization_endpoint": issuer + "/authorize",
        "token_endpoint": issuer + "/token",
        "userinfo_endpoint": issuer + "/userinfo",
        "end_session_endpoint": issuer + "/session/end",
        "jwks_uri": issuer + "/jwks",
        "checktoken_endpoint": issuer + "/checktoken",
        "checktoken_v1_endpoint": settings.franceconnect_base_url + "/api/v1/checktoken",
        "service_providers": providers,
        "data_provider": data_provider,
        "identities": identities,
    }
