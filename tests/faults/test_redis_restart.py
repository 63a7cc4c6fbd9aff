"""The Redis client of both channels against a real Redis stopped and started again: the
connections the pool held were closed by the old server, and each command right after the
restart must still succeed (it failed with "Connection closed by server", and the person was
told their message was not saved although Redis was back)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from bot.runtime.redisclient import redis_client
from bot.telegram.fsm import LeasedRedisIsolation
from tests.faults.services import PrivateRedis

pytestmark = pytest.mark.timeout(120)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
async def test_commands_right_after_a_restart_use_new_connections(tmp_path: Path) -> None:
    from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey

    server = PrivateRedis(tmp_path)
    server.start()
    client = redis_client(server.url)
    try:
        await asyncio.gather(*(client.get(f"warm:{n}") for n in range(6)))  # six in the pool
        server.stop()
        await asyncio.sleep(0.5)
        server.start()
        isolation = LeasedRedisIsolation(client, DefaultKeyBuilder())

        async def update(chat: int) -> bytes | None:
            async with isolation.lock(StorageKey(bot_id=1, chat_id=chat, user_id=chat)):
                await client.set(f"draft:{chat}", b"kept")
                value: bytes | None = await client.get(f"draft:{chat}")
                return value

        assert await asyncio.gather(*(update(chat) for chat in range(6))) == [b"kept"] * 6
    finally:
        await client.aclose()
        server.stop()
