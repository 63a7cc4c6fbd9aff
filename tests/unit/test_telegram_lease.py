"""The chat lock's lease renewal ends with the update, also when its cancellation is lost.

redis-py awaits each command's write in `asyncio.wait_for`, which on Python 3.11 returns
normally when the cancel comes in the same turn of the loop as the write completes (CPython
gh-86296). In the crowd of 200 (tests/faults/test_telegram_crowd.py) that left 5 to 9 of about
7,200 updates hanging: the renewal went on for ever, the update waited for it at its end, and the
chat got no answer again until the process stopped. The lock here is a stand-in for redis-py's
that awaits its renewal exactly that way, with the write completed by the test when the update
ends."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey

from bot.telegram.fsm import LeasedRedisIsolation

KEY = StorageKey(bot_id=1, chat_id=2, user_id=2)


class _Lock:
    """What LeasedRedisIsolation uses of redis-py's asyncio Lock."""

    def __init__(self) -> None:
        self.write: asyncio.Future[None] | None = None  # the renewal's write, in flight
        self.renewals = 0
        self.released = False

    async def acquire(self) -> bool:
        return True

    async def reacquire(self) -> bool:
        self.renewals += 1
        self.write = asyncio.get_running_loop().create_future()
        await asyncio.wait_for(self.write, 5)  # as redis-py awaits a command's write
        self.write = None
        return True

    async def release(self) -> None:
        self.released = True


class _Redis:
    def __init__(self) -> None:
        self.made = _Lock()

    def lock(self, name: str, **options: Any) -> _Lock:
        return self.made


async def _until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.001)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="asyncio.wait_for keeps the cancel there")
async def test_python_3_11_loses_a_cancel_that_comes_as_the_awaited_write_completes() -> None:
    """The premise: the stand-in's renewal swallows the cancel, as redis-py's did."""
    lock = _Lock()
    renewal = asyncio.create_task(lock.reacquire())
    await _until(lambda: lock.write is not None)
    assert lock.write is not None
    lock.write.set_result(None)
    renewal.cancel()
    assert await renewal is True  # no CancelledError: the cancel is gone
    assert not renewal.cancelled()


async def test_the_renewal_ends_when_the_update_ends_even_if_its_cancel_is_lost() -> None:
    redis = _Redis()
    lock = redis.made
    isolation = LeasedRedisIsolation(redis, DefaultKeyBuilder(), lease=0.03)

    async def update() -> None:
        async with isolation.lock(KEY):
            await _until(lambda: lock.write is not None)  # a renewal is under way
            assert lock.write is not None
            lock.write.set_result(None)  # its write completes as the update ends

    handled = asyncio.create_task(update())
    done, _ = await asyncio.wait({handled}, timeout=2.0)
    try:
        assert handled in done, "the update never finished: its lock's renewal went on"
        handled.result()
        assert lock.released
        renewals = lock.renewals
        await asyncio.sleep(0.1)  # several lease periods
        assert lock.renewals == renewals, "the lease is still renewed after the update"
    finally:
        handled.cancel()
        for task in asyncio.all_tasks() - {asyncio.current_task()}:
            task.cancel()
