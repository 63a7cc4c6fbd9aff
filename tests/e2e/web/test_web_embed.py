"""The embed snippet in a page served from another origin (another site: 127.0.0.1 against the
chat's localhost): the frame carries a conversation with and without JavaScript in nb, nn and
en, its `lang` the conversation's, its session cookie partitioned to the host page's site; a
kommune origin that is not configured cannot frame it (Chromium enforces frame-ancestors), and
the plain link beside the frame opens the chat in a window of its own."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.web.view import embed_snippet
from bot.web.wording import web_text
from intake.texts import LANGUAGES
from tests.serving import free_port
from tests.webchat.person import Person
from tests.webchat.server import WebServer, server_env, web_server

pytestmark = pytest.mark.slow
HOST_PORT = free_port()
HOST = f"http://127.0.0.1:{HOST_PORT}"  # the kommune's site, configured
OTHER_PORT = free_port()
OTHER = f"http://127.0.0.1:{OTHER_PORT}"  # the same site on another origin, not configured


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    tmp = tmp_path_factory.mktemp("web-embed")
    env = server_env(tmp / "data", KE_WEB_EMBED_ORIGINS=HOST)
    with web_server(tmp, env=env) as running:
        yield running


@contextmanager
def kommune_site(server: WebServer, port: int) -> Iterator[None]:
    """A kommune's own pages, `/kontakt/<lang>`, each with the snippet pasted in."""
    pages = {
        f"/kontakt/{lang}": (
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            "<title>Bergen kommune</title></head><body><h1>Koordinerende enhet</h1>"
            f"{embed_snippet(server.url, {'kommune': '4601'}, lang)}</body></html>"
        ).encode()
        for lang in LANGUAGES
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def host_page(server: WebServer) -> Iterator[str]:
    with kommune_site(server, HOST_PORT), kommune_site(server, OTHER_PORT):
        yield f"{HOST}/kontakt"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("js", [True, False])
def test_the_snippet_works_in_a_page_from_another_origin(
    browser: Any, server: WebServer, host_page: str, tmp: Path, js: bool, lang: str
) -> None:
    context = browser.new_context(java_script_enabled=js)
    try:
        context.set_default_timeout(30_000)  # a loaded CI machine
        page = context.new_page()
        page.goto(f"{host_page}/{lang}")
        assert page.locator(f'a[href^="{server.url}/?"]').count() == 1  # the plain link
        page.wait_for_selector("iframe")
        frame = page.frame_locator("iframe").locator("form#turn")
        frame.wait_for()
        chat = next(f for f in page.frames if f.url.startswith(server.url))
        assert "embed=1" in chat.url
        assert chat.get_attribute("html", "lang") == lang
        person = Person(chat, js=js, tmp=tmp, keyboard=page.keyboard)
        first = person.step()
        person.press("self")
        second = person.step()
        person.type("Kari")
        # three questions apart: the session held across posts inside the frame
        assert len({first, second, person.step()}) == 3
        assert "Kari" in person.transcript()
        cookie = next(c for c in context.cookies() if c["name"].startswith("__Host-"))
        assert cookie["sameSite"] == "None" and cookie["secure"] and cookie["httpOnly"]
    finally:
        context.close()


def test_only_the_listed_sites_may_frame_the_chat(browser: Any, server: WebServer) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        response = page.goto(f"{server.url}/?embed=1")
        assert response is not None
        assert f"frame-ancestors {HOST}" in response.headers["content-security-policy"]
    finally:
        context.close()


@pytest.mark.parametrize("js", [True, False])
def test_an_origin_not_configured_cannot_frame_it_and_the_link_still_opens_the_chat(
    browser: Any, server: WebServer, host_page: str, js: bool
) -> None:
    context = browser.new_context(java_script_enabled=js)
    refused: list[str] = []
    try:
        context.set_default_timeout(30_000)  # a loaded CI machine
        page = context.new_page()
        page.on("console", lambda m: refused.append(m.text) if "frame-ancestors" in m.text else 0)
        page.goto(f"{OTHER}/kontakt/nn", wait_until="load")
        frame = page.frames[1]
        assert frame.query_selector("form#turn") is None  # Chromium showed nothing of ours
        if js:  # the report reaches the console of a page that runs script
            page.wait_for_timeout(200)
            assert any(f"frame-ancestors {HOST}" in t and "blocked" in t for t in refused)
        # the plain link is for everyone the frame does not serve: a window of its own
        # Followed by keyboard (focus, Enter), as a keyboard user does: with script on, a mouse
        # click Playwright sends next to the frame Chromium refused opened no window in some
        # runs (13:30 UTC on 2026-12-01, three of three) while Enter on the same link always did.
        link = page.get_by_role("link", name=web_text("nn", "embed.link"))
        with context.expect_page() as opened:
            link.focus()
            page.keyboard.press("Enter")
        chat = opened.value
        chat.wait_for_selector("form#turn")
        assert chat.url.startswith(f"{server.url}/?") and "embed=1" not in chat.url
        assert chat.get_attribute("html", "lang") == "nn"
        assert chat.get_attribute("form#turn", "data-step")
    finally:
        context.close()
