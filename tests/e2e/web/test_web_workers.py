"""Stateless workers: two `ke-intake web` processes share one Redis (drafts, counters) and one
inbox; a person whose every turn lands on the other worker files one referral."""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conversations import load
from tests.e2e.web.test_web_referral import open_referral
from tests.webchat.person import Person
from tests.webchat.server import server_env, web_workers

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def test_two_workers_share_one_conversation_through_redis(
    browser: Any, redis_url: str, tmp_path: Path
) -> None:
    env = server_env(tmp_path / "data", KE_REDIS_URL=redis_url, KE_DRAFT_TTL_HOURS="1")
    with ExitStack() as stack:
        workers = stack.enter_context(web_workers(tmp_path, env))
        script = load("nn_adult_self", dt.datetime.now(ZoneInfo("Europe/Oslo")).date())
        context = browser.new_context(java_script_enabled=False)
        stack.callback(context.close)
        context.set_default_timeout(10_000)
        page = context.new_page()
        person = Person(page, js=False, tmp=tmp_path)
        page.goto(f"{workers[0].url}/?lang=nn")
        for turn in range(150):
            if person.step() is None:
                break
            if turn:  # the next page from the other worker, then the answer posted to it
                page.goto(f"{workers[turn % 2].url}/")
            person.answer(script)
        reference = person.complete(script)
        referral, _ = open_referral(workers[0], reference)
        assert referral["meta"]["channel"] == "web" and referral["meta"]["language"] == "nn"
        for worker in workers:
            assert "Traceback" not in worker.logs()
