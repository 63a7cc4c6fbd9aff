"""A crowd of 200 through Telegram, each answering the moment the bot's reply is there, against
the real `ke-intake telegram` over HTTP with drafts in the private Redis and the inbox in the
private PostgreSQL: 200 of 200 filed exactly once, no turn left unanswered (docs/RELIABILITY.md
has its figures)."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from tests.faults.conftest import Services
from tests.faults.test_telegram_botapi import _clean, _crowd, _tally
from tests.faults.test_telegram_faults import rig

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


async def test_a_crowd_of_200_answering_as_fast_as_the_bot_replies(services: Services) -> None:
    async with rig(services) as r:
        people = _crowd(r, 200, 850_000_000)  # before the start: getMe needs a chat to answer
        await r.start_bot()
        started = time.monotonic()
        outcomes = await asyncio.gather(
            *(p.complete_referral() for p in people), return_exceptions=True
        )
        elapsed = time.monotonic() - started
        figures = await _tally(r, people, list(outcomes), cleaned=False)
        assert await r.stop_bot() == 0
        turns = sum(p.turns for p in people)
        load = os.getloadavg()[0]
        print(f"\ncrowd of 200: {figures}, {turns} turns in {elapsed:.0f} s, load {load:.1f}")
        if figures != _clean(figures):
            kept = Path(tempfile.gettempdir()) / "ke-faults-crowd-bot.log"
            shutil.copy(r.logs[-1], kept)
            print(f"bot log kept in {kept}")
        assert figures == _clean(figures), r.log_text()[-3000:]
