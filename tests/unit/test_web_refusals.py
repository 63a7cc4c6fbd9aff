"""A post the web chat does not apply, before any conversation exists (the first page's answer
with an expired token or over the address's limit, a resume code refused): the page it gets
back speaks the language the person chose on the first page and keeps their presets (kommune,
role) and what they typed. Found by the acceptance audit of issue 12: these pages came back in
the default language, a provider's page as a citizen's, and a held answer was dropped."""

from __future__ import annotations

import re
import warnings

import pytest

from bot.settings import Settings
from bot.web.app import create_app
from bot.web.build import build_web
from bot.web.wording import dialogue_text, web_text
from tests.unit.test_web_app import client, csrf, step

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

STALE = "1.0000"  # a start token that never checks out


@pytest.mark.parametrize("lang", ["nn", "en"])
def test_an_expired_first_form_comes_back_in_the_persons_language(lang: str) -> None:
    c = client()
    first = c.get(f"/?lang={lang}&role=provider&kommune=4601")
    asked = step(first.text)
    refused = c.post(
        "/turn",
        data={
            "csrf": STALE,
            "first": "1",
            "lang": lang,
            "role": "provider",
            "kommune": "4601",
            "text": "Kari",
        },
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert f'<html lang="{lang}"' in refused.text
    assert web_text(lang, "expired_form") in refused.text
    assert step(refused.text) == asked  # still the provider's first question
    assert 'name="role" value="provider"' in refused.text
    assert 'value="Kari"' in refused.text  # what was typed is back in the field
    assert "set-cookie" not in refused.headers


def test_a_first_answer_over_the_address_limit_is_told_in_the_persons_language() -> None:
    c = client(web_address_turns_per_minute=1)
    token = csrf(c.get("/?lang=en").text)
    data = {"csrf": token, "first": "1", "lang": "en", "text": "Oslo"}
    assert c.post("/turn", data=data, follow_redirects=False).status_code == 303
    c.cookies.clear()
    refused = c.post("/turn", data=data, follow_redirects=False)
    assert refused.status_code == 429
    assert '<html lang="en"' in refused.text
    assert web_text("en", "slow_down") in refused.text


def test_resume_refusals_keep_the_language_and_the_held_answer() -> None:
    c = client(web_resume_tries=2)
    token = csrf(c.get("/?lang=nn").text)
    data = {"csrf": token, "lang": "nn", "code": "00000-00000", "held": "Ingrid Haugland"}
    wrong = c.post("/resume", data=data)
    assert wrong.status_code == 400
    assert '<html lang="nn"' in wrong.text
    assert web_text("nn", "resume.bad", hours=72) in wrong.text
    assert "Ingrid Haugland" in wrong.text  # still shown, still carried by the resume form
    assert re.search(r'name="held" value="Ingrid Haugland"', wrong.text)
    c.post("/resume", data=data)
    limited = c.post("/resume", data=data)
    assert limited.status_code == 429
    assert '<html lang="nn"' in limited.text
    # the tries are counted over 15 minutes, and the message says so (not "wait a minute")
    assert web_text("nn", "resume.slow_down", minutes=15) in limited.text
    expired = c.post("/resume", data={**data, "csrf": STALE})
    assert expired.status_code == 403
    assert web_text("nn", "expired_form") in expired.text and '<html lang="nn"' in expired.text


@pytest.mark.parametrize("multipart", [False, True])
def test_an_answer_over_the_field_limit_gets_the_page_back_in_the_persons_language(
    multipart: bool,
) -> None:
    """A whole document pasted as one answer (over 64 KiB): the conversation page again, with a
    notice in the person's language, nothing applied (it was a bare English text page)."""
    c = client()
    page = c.get("/?lang=nn")
    c.post("/turn", data={"csrf": csrf(page.text), "first": "1", "lang": "nn", "choice": "self"})
    html = c.get("/").text
    asked = step(html)
    data = {"csrf": csrf(html), "text": "Kari " * 14_000}
    if multipart:
        files = {"file": ("", b"", "application/octet-stream")}
        refused = c.post("/turn", data=data, files=files, headers={"x-ke-partial": "1"})
    else:
        refused = c.post("/turn", data=data)
    assert refused.status_code == 400
    assert web_text("nn", "too_long") in refused.text
    assert step(refused.text) == asked
    if multipart:  # chat.js asked: it gets the fragment it swaps in
        assert refused.headers.get("x-ke-partial") == "1"
    else:
        assert '<html lang="nn"' in refused.text


def test_with_the_draft_store_down_the_page_speaks_the_conversations_language() -> None:
    """The draft (which knows the language) is what cannot be read: the posted form names it.
    It was the browser's Accept-Language, so an English conversation in a Norwegian browser got
    a bokmål page."""
    values = {"allow_synthetic_ids": True, "id_hash_secret": "x" * 32, "draft_store": "memory"}
    web = build_web(Settings(_env_file=None, **values), None)  # type: ignore[call-arg]
    c = TestClient(create_app(web), base_url="https://testserver")
    page = c.get("/?lang=en")
    c.post("/turn", data={"csrf": csrf(page.text), "first": "1", "lang": "en", "choice": "self"})
    html = c.get("/").text

    async def down(*args: object, **kwargs: object) -> object:
        raise ConnectionError("the draft store is down")

    web.sessions.load_counting = down  # type: ignore[method-assign]
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    refused = c.post("/turn", data={**form, "text": "Kari"}, headers={"accept-language": "nb-NO"})
    assert refused.status_code == 503
    assert '<html lang="en"' in refused.text
    assert dialogue_text("en", "tg.unavailable") in refused.text
