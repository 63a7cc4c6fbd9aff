"""The one Chromium fixture of the browser tests (web chat and staff web)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.webchat.browser import IN_CI, chromium_path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module. Not per session: Playwright's sync API keeps an event loop
    running in the main thread, and every asyncio test collected after it would then fail with
    "Runner.run() cannot be called from a running event loop"."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - declared in the dev extras
        if IN_CI:
            pytest.fail("playwright is not installed, and CI=true requires it", pytrace=False)
        pytest.skip("playwright is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield chromium
        chromium.close()
