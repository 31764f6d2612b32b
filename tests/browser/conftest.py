"""A Playwright page in Debian's chromium, shared by the browser tests (skips with the reason when
chromium or Playwright is missing; fails instead under DGFIP_SANDBOX_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.services import unavailable

CHROMIUM = "/usr/bin/chromium"
WAIT_MS = 15_000  # every Playwright wait is bounded


@pytest.fixture
def page(request: pytest.FixtureRequest) -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        unavailable(f"chromium is not installed ({CHROMIUM}; apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright Python package is not installed (pip install '.[test]')")
    viewport = getattr(request.module, "VIEWPORT", {"width": 1280, "height": 1400})
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport=viewport)
            page.set_default_timeout(WAIT_MS)
            yield page
        finally:
            browser.close()
