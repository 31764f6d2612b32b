"""A live sandbox for the contract tests that call it (Schemathesis, the generated client)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from dgfip_sandbox.testing.sandbox import DgfipSandbox, start_sandbox

# The answers depend on the date (the latest taxed year): a fixed clock (docs/personas.md's default).
CLOCK_START = datetime.fromisoformat("2026-11-25T10:00:00+00:00")
SERVED = {"impot_particulier": "/impotparticulier/1.0/openapi.json", "ficoba": "/fcb-masrestit/api/v2/openapi.json"}


@pytest.fixture(scope="package")
def live_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DgfipSandbox]:
    box = start_sandbox(tmp_path_factory.mktemp("contract"), seed_size=20, clock_start=CLOCK_START)
    try:
        yield box
    finally:
        box.stop()


@pytest.fixture(scope="package")
def served_documents(live_sandbox: DgfipSandbox) -> dict[str, dict]:
    """Each API's document as the gateway serves it (unauthenticated GET, over TLS)."""
    documents = {}
    with live_sandbox.client("mairie-demo", authenticated=False) as client:
        for api, url in SERVED.items():
            response = client.get(url)
            assert response.status_code == 200, response.text
            assert response.headers["content-type"].startswith("application/json")
            documents[api] = response.json()
    return documents
