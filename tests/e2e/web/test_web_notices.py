"""What the page says besides the transcript reaches a screen reader, and nothing typed is lost,
with JavaScript on (WCAG 4.1.3; found by the acceptance audit of issue 12):

- a turn refused (too fast) keeps the typed answer in the field, as the page without
  JavaScript does, and its notice is said through the status line (a live region already on
  the page; the notice itself is inserted with its text and was never announced);
- the time-out warning's status line is on the page before the warning's text arrives (it sat
  inside the hidden box, so the text landed in a region that was not rendered), and one
  minute is said as one ("1 minutes")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.web.wording import web_text
from tests.webchat.person import Person
from tests.webchat.server import WebServer, server_env, web_server

pytestmark = pytest.mark.slow
SESSION_TURNS = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    tmp = tmp_path_factory.mktemp("web-notices")
    env = server_env(
        tmp / "data",
        KE_WEB_IDLE_MINUTES="0.1",  # the warning 1 s before 6 s
        KE_WEB_SESSION_TURNS_PER_MINUTE=str(SESSION_TURNS),
    )
    with web_server(tmp, env=env) as running:
        yield running


def send(page: Any, text: str) -> None:
    """Type and send, and wait for the page to settle (a new entry, or a notice)."""
    before = page.evaluate("() => document.querySelectorAll('#log .msg').length")
    page.fill("#answer", text)
    page.press("#answer", "Enter")
    page.wait_for_function(
        "(n) => !document.querySelector('[aria-busy]') &&"
        " (document.querySelectorAll('#log .msg').length > n || document.getElementById('notice'))",
        arg=before,
    )


def test_a_refused_turn_keeps_the_answer_and_its_notice_is_announced(
    contexts: Any, server: WebServer, tmp: Path
) -> None:
    page = contexts.page(js=True)
    page.goto(f"{server.url}/?kommune=4601&lang=en")
    Person(page, js=True, tmp=tmp).press("self")
    page.evaluate("() => { window.status0 = document.getElementById('status'); }")
    for n in range(SESSION_TURNS + 2):
        send(page, f"Kari {n}")
        if page.query_selector("#notice"):
            break
    notice = page.inner_text("#notice").strip()
    assert notice == web_text("en", "slow_down")
    assert page.input_value("#answer") == f"Kari {n}"
    # said in the status line that was on the page all along, and it stays said
    assert page.evaluate("() => document.getElementById('status') === window.status0")
    assert page.inner_text("#status").strip() == notice
    assert page.evaluate("() => document.activeElement.id") == "answer"


def test_the_time_out_warning_lands_in_a_live_region_already_rendered(
    contexts: Any, server: WebServer, tmp: Path
) -> None:
    page = contexts.page(js=True)
    page.goto(f"{server.url}/?kommune=4601&lang=en")
    Person(page, js=True, tmp=tmp).press("self")
    region = page.locator("#timeout-text")
    assert region.get_attribute("role") == "status"
    assert page.evaluate(
        "() => { const t = document.getElementById('timeout-text'); window.region = t;"
        " return !t.closest('[hidden]') && t.textContent === ''; }"
    )
    page.wait_for_selector("#timeout:not([hidden])", timeout=8000)
    assert page.evaluate("() => document.getElementById('timeout-text') === window.region")
    # 1 s ahead rounds to one minute, said as one ("1 minutes" before)
    assert region.inner_text().strip() == web_text("en", "timeout.warn_one")
    assert page.evaluate("() => document.activeElement.id") != "timeout-extend"  # no jump
