"""The resume code's promised expiry is the code's own (its entry is renewed hourly, not on
every turn, so "continue until" must not be later than that entry lives); a post to /new from
elsewhere (no token) cannot end a browser's conversation; and "start a new referral" starts in
the language the last one was in. Found by the acceptance audit of issue 12: the page promised up
to an hour more than the code had, /new without a token cleared the session cookie, and the new
referral began in bokmål whatever the person had used."""

from __future__ import annotations

import warnings
from typing import Any

from bot.settings import Settings
from bot.web import view
from bot.web.app import create_app
from bot.web.build import build_web
from bot.web.security import COOKIE
from bot.web.wording import web_text
from tests.unit.test_web_app import client, csrf, start, step

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

HOURS = 72


def clocked(now: list[float]) -> Any:
    values = {"allow_synthetic_ids": True, "id_hash_secret": "x" * 32, "draft_store": "memory"}
    web = build_web(Settings(_env_file=None, **values), None)  # type: ignore[call-arg]
    web.clock = web.sessions.clock = lambda: now[0]
    return TestClient(create_app(web), base_url="https://testserver")


def promised(html: str, at: float) -> bool:
    return view.oslo_time(at + HOURS * 3600, "nb") in html


def test_the_code_is_promised_until_its_own_entry_expires() -> None:
    began = 1_800_000_000.0
    now = [began]
    c = clocked(now)
    html = start(c)
    assert promised(html, began)
    now[0] = began + 25 * 60  # a turn 25 minutes later: the code's entry is not renewed
    html = c.post("/turn", data={"csrf": csrf(html), "text": "Kari"}).text
    assert promised(html, began), "promised later than the code lives"
    now[0] = began + 55 * 60
    html = c.post("/turn", data={"csrf": csrf(html), "text": "Nordmann"}).text
    assert promised(html, began)
    now[0] = began + 65 * 60  # over an hour: renewed with this turn's save
    html = c.post("/turn", data={"csrf": csrf(html), "text": "nei"}).text
    assert promised(html, now[0])


def test_new_without_the_token_keeps_the_conversation() -> None:
    c = client()
    html = start(c)
    asked = step(html)
    refused = c.post("/new", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert web_text("nb", "expired_form") in refused.text
    assert "Max-Age=0" not in refused.headers.get("set-cookie", "")
    assert COOKIE in c.cookies
    assert step(c.get("/").text) == asked


def test_a_new_referral_starts_in_the_language_of_the_last_one() -> None:
    c = client()
    page = c.get("/?lang=nn")
    first = {"csrf": csrf(page.text), "first": "1", "lang": "nn", "choice": "self"}
    c.post("/turn", data=first)
    html = c.get("/").text
    again = c.post("/new", data={"csrf": csrf(html)}, follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == "/?lang=nn"
    assert '<html lang="nn"' in c.get(again.headers["location"]).text
