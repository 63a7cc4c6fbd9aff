"""WCAG 2.1 AA in Chromium: axe-core (wcag2a, wcag2aa, wcag21a, wcag21aa) finds nothing on the
start, a choice question, an error, the summary and the receipt; the transcript is a polite log
that grows in place; focus stays in the answer field; 320 px without horizontal scrolling; text
spacing that clips nothing; errors tied to the field; `lang` follows the conversation."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conversations import load
from tests.webchat.browser import assert_accessible
from tests.webchat.person import Person
from tests.webchat.server import WebServer

pytestmark = pytest.mark.slow


def today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/Oslo")).date()


def until(person: Person, name: str, stop: str, limit: int = 120) -> None:
    script = load(name, today())
    for _ in range(limit):
        if person.step() == stop:
            return
        person.answer(script)
    raise AssertionError(f"{stop} never asked")


def markup(page: Any) -> str:
    """The page's DOM without what differs per response (CSP nonce, CSRF token)."""
    html = str(page.content())
    html = re.sub(r'nonce="[^"]*"', 'nonce=""', html)
    return re.sub(r'name="csrf" value="[^"]*"', 'name="csrf" value=""', html)


@pytest.mark.parametrize("js", [True, False])
def test_axe_finds_nothing_on_the_start_a_choice_an_error_the_summary_and_the_receipt(
    contexts: Any, server: WebServer, tmp: Path, js: bool
) -> None:
    """With JavaScript, and without: axe is itself a script, and a context with JavaScript
    off runs none (Playwright's evaluate works there, but axe's promises and timers never
    settle: it hangs, and re-enabling script over CDP does not reach Playwright's own session).
    So "without" is a context whose JavaScript serves axe only: the page's one script,
    chat.js, is blocked, nothing of ours runs, every turn is a form post and every page the
    server's no-JS page. The pages use no <noscript> and no `scripting` media query, and the
    start page is compared with the same page in a context with JavaScript really off."""
    page = contexts.page(axe=True, own_script=js)
    page.goto(f"{server.url}/?lang=nn")
    if not js:
        real = contexts.page(js=False)
        real.goto(f"{server.url}/?lang=nn")
        assert markup(page) == markup(real)
        assert page.evaluate("() => typeof window.fetch") == "function"  # axe's JS is on
    assert_accessible(page, "start")
    person = Person(page, js=js, tmp=tmp)
    person.type("Høyanger")
    assert person.step() == "submitter.role"
    assert_accessible(page, "choice")
    person.type("eit romskip")
    assert page.get_attribute("#answer", "aria-invalid") == "true"
    assert_accessible(page, "error")
    until(person, "nn_adult_self", "summary")
    assert_accessible(page, "summary")
    person.press("send")
    assert person.step() is None
    assert_accessible(page, "receipt")


def test_the_log_grows_in_place_and_focus_stays_in_the_answer_field(
    contexts: Any, server: WebServer, tmp: Path
) -> None:
    page = contexts.page(js=True)
    page.goto(f"{server.url}/?kommune=4601")
    log = page.locator("#log")
    assert log.get_attribute("role") == "log"
    assert log.get_attribute("aria-live") == "polite"
    assert page.locator("[aria-live=assertive], [role=alert]").count() == 0
    person = Person(page, js=True, tmp=tmp)
    page.focus("#answer")
    page.evaluate(
        "() => { window.firstEntry = document.querySelector('#log .msg'); "
        "window.field = document.getElementById('answer'); }"
    )
    # a quick reply by keyboard, then typed answers: the field is the same element, focused
    person.press("self")
    assert page.evaluate("() => document.activeElement === window.field")
    person.type("Kari")
    assert page.evaluate("() => document.activeElement === window.field")
    assert page.evaluate("() => document.querySelector('#log .msg') === window.firstEntry")
    # an error is announced in the log and tied to the field
    person.type("")
    error = page.locator("#answer-error")
    assert error.inner_text().strip()
    described = page.get_attribute("#answer", "aria-describedby") or ""
    assert "answer-error" in described.split()
    assert page.get_attribute("#answer", "aria-invalid") == "true"
    assert page.evaluate("() => document.activeElement === window.field")
    assert error.inner_text().strip() in page.locator("#log .msg-error").last.inner_text()
    # the question is the field's description too
    question = described.split()[0]
    assert page.locator(f"#{question}").inner_text()


@pytest.mark.parametrize(("js", "start", "to"), [(True, "nb", "en"), (False, "en", "nn")])
def test_language_follows_the_conversation(
    contexts: Any, server: WebServer, tmp: Path, js: bool, start: str, to: str
) -> None:
    page = contexts.page(js=js)
    page.goto(f"{server.url}/?lang={start}&kommune=4601")
    assert page.get_attribute("html", "lang") == start
    person = Person(page, js=js, tmp=tmp)
    person.press("self")
    with page.expect_navigation():
        page.locator(f'button[name="language"][value="{to}"]').click()
    assert page.get_attribute("html", "lang") == to
    langs = page.eval_on_selector_all("#log .msg", "ms => ms.map(m => m.lang)")
    assert langs[0] == start and langs[-1] == to
    # each language's name is marked in its own language
    for code in ("nb", "nn", "en"):
        button = page.locator(f'button[name="language"][value="{code}"]')
        assert button.get_attribute("lang") == code


@pytest.mark.parametrize("js", [True, False])
def test_320_px_without_horizontal_scrolling_and_spacing_that_clips_nothing(
    contexts: Any, server: WebServer, tmp: Path, js: bool
) -> None:
    page = contexts.page(js=js, width=320)
    page.goto(f"{server.url}/?kommune=4601")
    person = Person(page, js=js, tmp=tmp)

    def fits() -> None:
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 320, width

    fits()
    person.press("relative")
    fits()
    # WCAG 1.4.12 text spacing, set through the CSSOM (the page's CSP allows no inline style;
    # Playwright's evaluate works with the page's JavaScript off too)
    clipped = page.evaluate(
        """() => {
          for (const el of document.querySelectorAll('body *')) {
            el.style.setProperty('line-height', '1.5', 'important');
            el.style.setProperty('letter-spacing', '0.12em', 'important');
            el.style.setProperty('word-spacing', '0.16em', 'important');
            if (el.tagName === 'P') el.style.setProperty('margin-bottom', '2em', 'important');
          }
          const bad = [];
          for (const el of document.querySelectorAll('#main *')) {
            const s = getComputedStyle(el);
            const hides = s.overflowX !== 'visible' || s.overflowY !== 'visible';
            if (el.matches('.ds-sr-only') || !el.textContent.trim() || !hides) continue;
            if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)
              bad.push(el.tagName + '#' + el.id + '.' + el.className);
          }
          return {bad, width: document.documentElement.scrollWidth};
        }"""
    )
    assert clipped["bad"] == [] and clipped["width"] <= 320, clipped


def test_everything_by_keyboard_from_the_first_tab(
    contexts: Any, server: WebServer, tmp: Path
) -> None:
    """Tab from the top reaches the skip link, then the answer field; no trap anywhere."""
    page = contexts.page(js=True)
    page.goto(f"{server.url}/?kommune=4601&lang=en")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "ds-skip-link"
    page.keyboard.press("Enter")  # the skip link: to the answer field
    assert page.evaluate("() => document.activeElement.id") == "answer"
    seen = []
    for _ in range(40):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)"))
    # the answer field, the send button, each choice and the resume form: all reachable
    assert any('id="answer"' in h for h in seen) and any('id="code"' in h for h in seen), seen
    assert len(set(seen)) > 5  # and no trap
