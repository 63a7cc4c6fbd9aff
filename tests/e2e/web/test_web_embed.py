"""The embed snippet in a page served from another origin (another site: 127.0.0.1 against the
chat's localhost): the frame carries a whole conversation with and without JavaScript, its
session cookie is partitioned to the host page's site, and the plain link is there for
everyone the frame does not serve."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.web.view import embed_snippet
from tests.webchat.person import Person
from tests.webchat.server import WebServer, free_port, server_env, web_server

pytestmark = pytest.mark.slow
HOST_PORT = free_port()
HOST = f"http://127.0.0.1:{HOST_PORT}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    tmp = tmp_path_factory.mktemp("web-embed")
    env = server_env(tmp / "data", KE_WEB_EMBED_ORIGINS=HOST)
    with web_server(tmp, env=env) as running:
        yield running


@pytest.fixture(scope="module")
def host_page(server: WebServer) -> Iterator[str]:
    """The kommune's own page, with the snippet pasted in."""
    snippet = embed_snippet(server.url, {"kommune": "4601"}, "nb")
    page = (
        '<!doctype html><html lang="nb"><head><meta charset="utf-8">'
        "<title>Bergen kommune</title></head><body><h1>Koordinerende enhet</h1>"
        f"{snippet}</body></html>"
    ).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", HOST_PORT), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"{HOST}/kontakt"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("js", [True, False])
def test_the_snippet_works_in_a_page_from_another_origin(
    browser: Any, server: WebServer, host_page: str, tmp: Path, js: bool
) -> None:
    context = browser.new_context(java_script_enabled=js)
    try:
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto(host_page)
        assert page.locator(f'a[href^="{server.url}/?"]').count() == 1  # the plain link
        page.wait_for_selector("iframe")
        frame = page.frame_locator("iframe").locator("form#turn")
        frame.wait_for()
        chat = next(f for f in page.frames if f.url.startswith(server.url))
        assert "embed=1" in chat.url
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
