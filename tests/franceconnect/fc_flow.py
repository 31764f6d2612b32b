"""Drives the FranceConnect browser flow with httpx, the way a browser would (cookies, forms)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from dgfip_sandbox.clock import FrozenClock
from dgfip_sandbox.franceconnect.registry import SERVICE_PROVIDERS, service_provider_secret
from dgfip_sandbox.settings import Settings

DEMO = SERVICE_PROVIDERS[0]
PRIVATE = SERVICE_PROVIDERS[1]
DEFAULT_SCOPE = "openid identite_pivot dgfip_rfr dgfip_nbpart dgfip_sitfam"


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


@dataclass
class FlowDriver:
    client: httpx.AsyncClient
    settings: Settings
    clock: FrozenClock
    state: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def sp(self, private: bool = False):  # type: ignore[no-untyped-def]
        return PRIVATE if private else DEMO

    def secret(self, private: bool = False) -> str:
        return service_provider_secret(self.settings, self.sp(private).client_id)

    def authorize_params(self, private: bool = False, **overrides: Any) -> dict[str, str]:
        spec = self.sp(private)
        params = {
            "client_id": spec.client_id,
            "redirect_uri": spec.redirect_uris(self.settings)[0],
            "response_type": "code",
            "scope": DEFAULT_SCOPE,
            "state": self.state,
            "nonce": self.nonce,
            "acr_values": "eidas1",
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}

    async def authorize(self, private: bool = False, **overrides: Any) -> httpx.Response:
        return await self.client.get("/api/v2/authorize?" + urlencode(self.authorize_params(private, **overrides)))

    async def identity_provider_page(self, interaction_url: str) -> httpx.Response:
        """The identity-provider choice ("Choisissez un compte…"), the demo tile, the provider's page."""
        choice = await self.client.get(interaction_url)
        assert choice.status_code == 200, choice.text
        assert "Choisissez un compte pour vous connecter" in choice.text
        uid = interaction_url.rstrip("/").split("/")[-1]
        chosen = await self.client.post(
            f"/api/v2/interaction/{uid}/redirect-to-idp",
            data={"providerUid": hidden(choice.text, "providerUid"), "csrfToken": hidden(choice.text, "csrfToken")},
        )
        assert chosen.status_code == 303, chosen.text
        page = await self.client.get(chosen.headers["location"])
        assert page.status_code == 200, page.text
        return page

    async def login(self, interaction_url: str, login: str, password: str = "123") -> httpx.Response:
        page = await self.identity_provider_page(interaction_url)
        uid = interaction_url.rstrip("/").split("/")[-1]
        return await self.client.post(
            f"/api/v2/interaction/{uid}/login",
            data={"login": login, "password": password, "csrfToken": hidden(page.text, "csrfToken")},
        )

    async def _to_consent(self, authorize: httpx.Response, login: str) -> httpx.Response:
        """From /authorize's answer through the identity provider to the consent page."""
        assert authorize.status_code == 303, authorize.text
        logged = await self.login(authorize.headers["location"], login)
        assert logged.status_code == 303, logged.text
        verified = await self.client.get(logged.headers["location"])
        assert verified.status_code == 303, verified.text
        consent = await self.client.get(verified.headers["location"])
        assert consent.status_code == 200, consent.text
        return consent

    async def consent(self, consent: httpx.Response, *, accept: bool = False) -> str:
        """Continue on the consent page: the FS callback URL FranceConnect sends the browser to."""
        data = {"csrfToken": hidden(consent.text, "csrfToken"), "interactionId": hidden(consent.text, "interactionId")}
        if accept:
            data["accept"] = "1"
        answer = await self.client.post("/api/v2/login", data=data)
        assert answer.status_code == 303, answer.text
        return answer.headers["location"]

    async def browse(self, authorize_url: str, *, login: str = "0123456789012", accept: bool = False) -> str:
        """A browser from an /authorize URL (built by an RP) to the FS callback URL FranceConnect sends it to."""
        parts = urlsplit(authorize_url)
        consent = await self._to_consent(await self.client.get(f"{parts.path}?{parts.query}"), login)
        return await self.consent(consent, accept=accept)

    async def consent_page(
        self, authorize_overrides: dict[str, Any] | None = None, *, login: str = "0123456789012", private: bool = False
    ) -> httpx.Response:
        return await self._to_consent(await self.authorize(private, **(authorize_overrides or {})), login)

    async def code(self, *, login: str = "0123456789012", private: bool = False, **overrides: Any) -> str:
        consent = await self.consent_page(overrides, login=login, private=private)
        location = await self.consent(consent, accept=private)
        assert location.startswith(self.sp(private).redirect_uris(self.settings)[0])
        query = parse_qs(urlsplit(location).query)
        assert query["state"] == [self.state]
        assert query["iss"] == [self.settings.franceconnect_base_url + "/api/v2"]
        return query["code"][0]

    async def exchange(
        self, code: str, *, private: bool = False, basic: bool = False, **overrides: str
    ) -> httpx.Response:
        spec = self.sp(private)
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": spec.redirect_uris(self.settings)[0]}
        auth = None
        if basic:
            auth = httpx.BasicAuth(spec.client_id, self.secret(private))
        else:
            data.update(client_id=spec.client_id, client_secret=self.secret(private))
        data.update(overrides)
        return await self.client.post("/api/v2/token", data=data, auth=auth)

    async def tokens(self, *, login: str = "0123456789012", private: bool = False, **overrides: Any) -> dict[str, Any]:
        code = await self.code(login=login, private=private, **overrides)
        response = await self.exchange(code, private=private)
        assert response.status_code == 200, response.text
        return response.json()


async def register_fs(settings: Settings, name: str, **fields: Any) -> tuple[str, str]:
    """Register a service provider as FranceConnect's back-office would; returns (client_id, secret)."""
    from dgfip_sandbox.franceconnect.keys import load_or_create_provider_keys
    from dgfip_sandbox.franceconnect.registry import (
        ServiceProviderRegistration,
        register_service_provider,
        stable_client_id,
    )
    from dgfip_sandbox.store.consumers import new_client_secret
    from dgfip_sandbox.store.database import create_engine, create_sessionmaker

    values: dict[str, Any] = {
        "title": f"Service {name}",
        "redirect_uris": [f"https://{name}.example/callback"],
        "post_logout_redirect_uris": [f"https://{name}.example/logout"],
        "scopes": [*DEFAULT_SCOPE.split(), "email", "preferred_username", "amr"],
    }
    values.update(fields)
    client_id, secret = stable_client_id("fs", name), new_client_secret()
    engine = create_engine(settings.sqlalchemy_url)
    try:
        async with create_sessionmaker(engine)() as db, db.begin():
            await register_service_provider(
                db,
                load_or_create_provider_keys(settings),
                client_id,
                ServiceProviderRegistration(**values),
                secret=secret,
                now=datetime.now(UTC),
            )
    finally:
        await engine.dispose()
    return client_id, secret
