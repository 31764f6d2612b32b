"""FranceConnect's home page (it answered 500: home.html lacked its {% endblock %}) and /health."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_home_page_renders(fc_client: httpx.AsyncClient) -> None:
    answer = await fc_client.get("/")
    assert answer.status_code == 200
    assert "FranceConnect — bac à sable" in answer.text and "/.well-known/openid-configuration" in answer.text
    assert answer.text.rstrip().endswith("</html>")


async def test_health(fc_client: httpx.AsyncClient) -> None:
    answer = await fc_client.get("/health")
    assert answer.status_code == 200 and answer.json() == {"status": "UP"}
