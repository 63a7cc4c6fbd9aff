"""Fixtures for the web chat in Chromium: one `ke-intake web --demo` process per module, the
browser per module (tests/e2e/conftest.py); each test gets fresh contexts (cookies, JS on, off)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.webchat.browser import AXE
from tests.webchat.server import WebServer, web_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    with web_server(tmp_path_factory.mktemp("web")) as running:
        yield running


class Contexts:
    """Browser contexts for one test; each records requests to other origins and CSP reports."""

    def __init__(self, browser: Any, server: WebServer) -> None:
        self.browser = browser
        self.server = server
        self.opened: list[Any] = []
        self.foreign: list[str] = []
        self.allowed: list[str] = [server.url, "data:"]
        self.console_errors: list[str] = []

    def page(
        self, *, js: bool = True, width: int = 1024, axe: bool = False, own_script: bool = True
    ) -> Any:
        """`own_script=False`: JavaScript stays on for the test's tools (axe), but the page's
        own script (chat.js, its only one: the CSP allows no other) is never loaded, so the
        page is the server's no-JavaScript page and every turn a plain form post."""
        context = self.browser.new_context(
            java_script_enabled=js,
            viewport={"width": width, "height": 800},
            locale="nb-NO",
        )
        context.set_default_timeout(10_000)
        if not own_script:
            context.route("**/static/chat.js", lambda route: route.abort())
        if axe:
            context.add_init_script(path=str(AXE))
        self.opened.append(context)
        page = context.new_page()
        page.on(
            "request",
            lambda r: None if r.url.startswith(tuple(self.allowed)) else self.foreign.append(r.url),
        )
        page.on(
            "console",
            lambda m: self.console_errors.append(m.text) if m.type == "error" else None,
        )
        return page

    def _watch(self, request: Any) -> None:
        """A request that leaves for an origin the test did not allow."""
        if not request.url.startswith(tuple(self.allowed)):
            self.foreign.append(request.url)

    def allow(self, origin: str) -> None:
        """Another origin this test visits on purpose (a login provider)."""
        self.allowed.append(origin)

    def close(self) -> None:
        for context in self.opened:
            context.close()


@pytest.fixture
def contexts(browser: Any, server: WebServer) -> Iterator[Contexts]:
    opened = Contexts(browser, server)
    yield opened
    opened.close()
    assert not opened.foreign, f"requests to other origins: {opened.foreign}"
    csp = [e for e in opened.console_errors if "Content Security Policy" in e]
    assert not csp, csp


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    return tmp_path
