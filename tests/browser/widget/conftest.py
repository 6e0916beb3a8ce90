from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.channels.stack import Stack, shared_stack

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking"]


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    yield from shared_stack(tmp_path_factory)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing: apt-get update && apt-get install -y chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    # bypass_csp only so the test can inject axe-core; the page itself runs under its CSP
    context = browser.new_context(viewport={"width": 1280, "height": 860}, bypass_csp=True)
    yield context
    context.close()
