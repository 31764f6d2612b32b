"""Swagger UI and ReDoc served from local files (no CDN): the pages, their assets, on the gateway and the
admin app; the pages are not audited."""

from __future__ import annotations

import re

import httpx
import pytest

from dgfip_sandbox.assembly import build_admin_app
from tests.conftest import Sandbox

pytestmark = pytest.mark.anyio
EXTERNAL = re.compile(r"""(?:src|href)=["']?(?:https?:)?//""")


async def _check_docs(client: httpx.AsyncClient) -> None:
    swagger = await client.get("/docs")
    assert swagger.status_code == 200 and "/docs/static/swagger-ui-bundle.js" in swagger.text
    redoc = await client.get("/redoc")
    assert redoc.status_code == 200 and "/docs/static/redoc.standalone.js" in redoc.text
    for page in (swagger, redoc):
        assert not EXTERNAL.search(page.text), EXTERNAL.search(page.text)
        assert "cdn" not in page.text.lower() and "fonts.googleapis" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"):
        answer = await client.get(f"/docs/static/{asset}")
        assert answer.status_code == 200 and len(answer.content) > 1000, asset
    assert (await client.get("/openapi.json")).status_code == 200


async def test_gateway_docs_are_local_and_not_audited(sandbox: Sandbox) -> None:
    client = sandbox.raw_client(cert=None)
    await _check_docs(client)
    async with sandbox.state.sessionmaker() as session:
        from sqlalchemy import text

        rows = (await session.execute(text("SELECT route FROM audit_records WHERE route LIKE '/docs%'"))).all()
    assert rows == []


async def test_admin_docs_are_local(sandbox: Sandbox) -> None:
    app = build_admin_app(sandbox.settings, clock=sandbox.clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 52000))
        async with httpx.AsyncClient(transport=transport, base_url=sandbox.settings.admin_base_url) as client:
            await _check_docs(client)
