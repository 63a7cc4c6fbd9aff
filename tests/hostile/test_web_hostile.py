"""The hostile-answer catalogue through the web chat: a real `ke-intake web` process over HTTP,
one session, every answer posted as the form posts it (with its CSRF token)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.hostile.catalogue import HOSTILE_ANSWERS
from tests.hostile.checks import DANGEROUS, assert_safe
from tests.webchat.server import WebServer, web_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    with web_server(tmp_path_factory.mktemp("web-hostile")) as running:
        yield running


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[-500:]
    return found.group(1)


_OWN = re.compile(r'<div class="msg msg-me".*?</div>', re.DOTALL)


def _step(html: str) -> str | None:
    found = re.search(r'data-step="([^"]+)"', html)
    return found.group(1) if found else None


def test_every_hostile_answer_is_answered_and_nothing_dangerous_is_shown(
    server: WebServer,
) -> None:
    # The session cookie is Secure (__Host-): over plain HTTP to 127.0.0.1 it is sent by hand.
    url = server.url.replace("localhost", "127.0.0.1")
    with httpx.Client(base_url=url, timeout=60, follow_redirects=False) as c:
        page = c.get("/")
        first = c.post("/turn", data={"csrf": _csrf(page.text), "first": "1", "lang": "nb",
                                       "text": "hei"})  # fmt: skip
        assert first.status_code == 303, first.text[-500:]
        cookie = first.headers["set-cookie"].split(";", 1)[0]
        headers = {"Cookie": cookie}
        html = c.get("/", headers=headers).text
        asked = _step(html)
        assert asked
        for raw in HOSTILE_ANSWERS:
            posted = c.post("/turn", data={"csrf": _csrf(html), "text": raw}, headers=headers)
            # answered: a page, the redirect to it, or a field over the form's limit refused
            assert posted.status_code in (200, 303, 400, 413), (repr(raw[:40]), posted.status_code)
            html = posted.text if posted.status_code == 200 else c.get("/", headers=headers).text
            # The page shows the person their own messages (cleaned); everything else on it
            # (errors, questions) must not repeat what they typed.
            assert not DANGEROUS.search(html), repr(raw[:40])
            assert_safe(raw, _OWN.sub("", posted.text), _OWN.sub("", html))
            assert _step(html) == asked, repr(raw[:40])
    log = server.logs()
    assert "Traceback" not in log
