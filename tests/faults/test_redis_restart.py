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
from storage.counters import RedisWindowCounter
from storage.drafts import (
    DraftCipher,
    EncryptedDrafts,
    IdHasher,
    RedisValueStore,
    generate_key,
    parse_keys,
)
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


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
async def test_a_web_turns_read_right_after_a_restart_loads_its_script_again(
    tmp_path: Path,
) -> None:
    """A web turn reads its draft and counts its limits with a server-side script, which a Redis
    started again no longer has (scripts are not in the append-only file); its reads and writes
    go by the pool's connections without redis-py's per-command layers: each write right after
    the restart is kept, and each read then gets its draft and counts."""
    server = PrivateRedis(tmp_path)
    server.start()
    client = redis_client(server.url)
    try:
        store = RedisValueStore(client)
        drafts = EncryptedDrafts(
            store, DraftCipher(parse_keys(generate_key())), IdHasher(b"s" * 32), ttl_seconds=600
        )
        counter = RedisWindowCounter(client, "c:")
        keys = [drafts.key("web", str(n)) for n in range(6)]

        async def turns() -> tuple[list[bytes | None], list[int], list[int]]:
            """Six sessions' reads at once: their drafts, the address's counts (in the order
            Redis ran them), each session's count."""
            found = await asyncio.gather(
                *(
                    drafts.load_counting(key, counter, ("ip", f"s{n}"), 60)
                    for n, key in enumerate(keys)
                )
            )
            return [t for t, _ in found], sorted(h[0] for _, h in found), [h[1] for _, h in found]

        for n, key in enumerate(keys):
            await drafts.save_at(key, f"draft {n}".encode())
        kept = [f"draft {n}".encode() for n in range(6)]
        assert await turns() == (kept, [1, 2, 3, 4, 5, 6], [1] * 6)
        server.stop()
        await asyncio.sleep(0.5)
        server.start()
        # each pooled connection was closed by the old server: the writes go on new ones
        saved = [f"draft {n}, after".encode() for n in range(6)]
        await asyncio.gather(*(drafts.save_at(key, saved[n]) for n, key in enumerate(keys)))
        assert await client.script_exists(store._get_counting_sha) == [False]
        assert await turns() == (saved, [7, 8, 9, 10, 11, 12], [2] * 6)
        assert await client.script_exists(store._get_counting_sha) == [True]
    finally:
        await client.aclose()
        server.stop()
