"""With drafts in the real Redis: a lock left by a killed process lapses within its lease (not
aiogram's 60 s), and the start-up sweep finds a conversation left mid-filing and finishes it."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiogram.fsm.storage.base import StorageKey
from redis.asyncio import Redis

from bot.telegram.fsm import HashedKeyBuilder, LeasedRedisIsolation
from bot.telegram.sweep import sweep
from tests.botapi.harness import Harness
from tests.services import redis_bot_settings
from tests.unit.test_telegram_recovery import Inbox, _die_while_filing, _receipts, _restart

pytestmark = pytest.mark.redis


async def test_a_dead_holders_lock_lapses_within_the_lease(redis: Redis, redis_prefix: str) -> None:
    harness = Harness(prefix=redis_prefix, settings=redis_bot_settings("redis://unused"))
    builder = HashedKeyBuilder(harness.backend.hasher, prefix=f"{redis_prefix}fsm")
    isolation = LeasedRedisIsolation(redis, builder, lease=1.0, wait=10.0)
    key = StorageKey(bot_id=1, chat_id=2, user_id=2)
    # A process killed while holding the lock leaves its key behind, with the lease's expiry.
    await redis.set(builder.build(key, "lock"), b"dead-process", px=1000)
    started = time.monotonic()
    async with isolation.lock(key):
        waited = time.monotonic() - started
    assert 0.5 < waited < 3.0
    # A live holder keeps it past the lease by renewing it.
    async with isolation.lock(key):
        await asyncio.sleep(1.6)
        assert await redis.exists(builder.build(key, "lock"))
    await harness.close()


async def test_the_sweep_finds_an_interrupted_filing_in_redis(
    redis: Redis, redis_url: str, redis_prefix: str
) -> None:
    inbox = Inbox()
    harness = Harness(filer=inbox, settings=redis_bot_settings(redis_url), prefix=redis_prefix)
    try:
        await _die_while_filing(harness, inbox, "after")
        # a second worker's start-up sweep, on the same Redis
        harness.add_worker()
        backend = harness.backends[-1]
        assert await sweep(harness.bot, _restart(harness, inbox), backend) == 1
        assert len(inbox.filed) == 1
        assert len(_receipts(harness)) == 1
        assert await sweep(harness.bot, _restart(harness, inbox), backend) == 0
    finally:
        await harness.close()
