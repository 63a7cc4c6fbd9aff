"""Two bot workers sharing the real Redis serve one conversation alternately, through the real
aiogram Dispatcher: every answer survives the hand-over, and a duplicate update delivered to the
other worker is dropped."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from tests.botapi.harness import Harness
from tests.services import redis_bot_settings

pytestmark = pytest.mark.redis


async def test_two_workers_complete_one_referral_alternately(
    redis: Redis, redis_url: str, redis_prefix: str
) -> None:
    harness = Harness(settings=redis_bot_settings(redis_url), prefix=redis_prefix)
    harness.add_worker()
    try:
        await harness.walk(until="summary")
        # the draft lives in Redis, encrypted, under a key that names no chat
        names = [n.decode() async for n in redis.scan_iter(f"{redis_prefix}draft:tg*")]
        assert names
        chat = str(harness.fake.user_id)
        for name in names:
            assert chat not in name
            assert await redis.ttl(name) > 0
            if ":tg:" in name:
                raw = await redis.get(name)
                assert b"Kari" not in raw and b"Nordmann" not in raw and b"Storgata" not in raw
        steps = await harness.walk()
        assert steps == ["summary"]
        referral, attachments, _ = harness.filer.filed[0]
        assert referral.person.family_name == "Nordmann"
        assert referral.submitter.name == "Ola Nordmann"
        assert len(attachments) == 1
        assert harness.turn >= 20  # turns alternate, so each worker took ten or more
    finally:
        await harness.close()


async def test_duplicate_update_to_another_worker_is_dropped(
    redis: Redis, redis_url: str, redis_prefix: str
) -> None:
    harness = Harness(settings=redis_bot_settings(redis_url), prefix=redis_prefix)
    harness.add_worker()
    try:
        await harness.send("/start")
        update = harness.fake.text_update("meg selv")
        await harness.feed(update)  # worker 2
        sent = len(harness.fake.calls_of("sendMessage"))
        await harness.feed(update)  # worker 1 gets the same update again
        assert len(harness.fake.calls_of("sendMessage")) == sent
        assert harness.current_step() == "kommune"
    finally:
        await harness.close()
