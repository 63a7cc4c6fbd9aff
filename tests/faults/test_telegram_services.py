"""Telegram with its services stopped (not frozen: tests/faults/test_telegram_faults.py) and
started again: `ke-intake telegram` as a real process against the local Bot API server, with
drafts in the private Redis and the inbox in the private PostgreSQL. The bot starts and polls
while both are down, tells each person who writes that the message was not saved, and once they
are back goes on with every earlier answer and files each referral once."""

from __future__ import annotations

import pytest

from dialogues import flow
from tests.faults.conftest import Services
from tests.faults.test_telegram_faults import FaultPerson, _count, _people, _until, rig

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _told(person: FaultPerson, key: str, since: int) -> bool:
    said = flow.text("nb", key)
    return any(said in (m.text or "") for m in person.fake.bot_messages()[since:])


async def test_telegram_redis_and_postgres_stopped_then_started(services: Services) -> None:
    async with rig(services) as r:
        services.redis.stop()
        services.postgres.stop()
        polls = r.crowd.polls
        await r.start_bot()  # polls with both down: no traceback, no exit
        assert await _until(lambda: r.crowd.polls > polls, 120), r.log_text()[-3000:]
        people = _people(r.crowd, 2)
        for person in people:
            person.fake.text_update("/start")
        told = await _until(lambda: all(_told(p, "tg.unavailable", 0) for p in people), 30)
        assert told, r.log_text()[-3000:]
        services.redis.start()
        for person in people:
            await person.until_summary()
        services.redis.stop()  # mid-conversation
        marks = [len(p.fake.bot_messages()) for p in people]
        for person in people:
            person.fake.text_update("/summary")
        told = await _until(
            lambda: all(_told(p, "tg.unavailable", m) for p, m in zip(people, marks, strict=True)),
            30,
        )
        assert told, r.log_text()[-3000:]
        services.redis.start()
        for person in people:  # every answer kept: the summary again, and send
            await person._act(lambda p=person: p.fake.text_update("/summary"))
        marks = [len(p.fake.bot_messages()) for p in people]
        for person in people:  # the inbox is down at filing
            person.press_send()
        failed = await _until(
            lambda: all(_told(p, "filing.failed", m) for p, m in zip(people, marks, strict=True)),
            60,
        )
        assert failed, r.log_text()[-3000:]
        services.postgres.start()
        for person in people:
            person.press_send()
        finished = await _until(lambda: all(p.receipts() for p in people), 60)
        assert await r.stop_bot() == 0
        counts = _count(people, r.inbox())
        print(f"\nTelegram, Redis and PostgreSQL stopped and started: {counts}")
        assert finished, r.log_text()[-3000:]
        assert counts == {"lost": 0, "duplicated": 0, "opened": 2}
        assert "Traceback" not in r.log_text()
