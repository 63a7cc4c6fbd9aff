"""The pool of the one Redis client (bot.runtime.redisclient) against the real Redis: its checkout
of an idle connection and its return of one take redis-py's lock only when a caller may wait,
and that caller still gets the connection; a command given up leaves nothing for the next."""

from __future__ import annotations

import asyncio

import pytest

from bot.runtime.redisclient import redis_client
from storage.drafts import RedisValueStore

pytestmark = [pytest.mark.redis, pytest.mark.timeout(30)]


async def test_many_commands_on_two_connections(redis_url: str, redis_prefix: str) -> None:
    client = redis_client(redis_url, connections=2)
    try:
        await client.set(f"{redis_prefix}k", b"v", ex=60)
        replies = await asyncio.gather(*(client.get(f"{redis_prefix}k") for _ in range(200)))
        assert replies == [b"v"] * 200
        pool = client.connection_pool
        assert len(pool._available_connections) + len(pool._in_use_connections) <= 2
        assert not pool._in_use_connections
    finally:
        await client.delete(f"{redis_prefix}k")
        await client.aclose()


async def test_a_caller_waiting_for_a_connection_gets_the_one_returned(redis_url: str) -> None:
    client = redis_client(redis_url, connections=2)
    pool = client.connection_pool
    try:
        held = [await pool.get_connection(), await pool.get_connection()]
        waiting = asyncio.create_task(client.ping())
        await asyncio.sleep(0.2)
        assert not waiting.done()  # every connection is out: it waits (BlockingConnectionPool)
        await pool.release(held.pop())
        assert await asyncio.wait_for(waiting, 5) is True
        await pool.release(held.pop())
        assert await client.ping() is True  # and the fast checkout again
    finally:
        await client.aclose()


async def test_a_command_given_up_leaves_no_reply_for_the_next(
    redis_url: str, redis_prefix: str
) -> None:
    """A request given up mid-command (the browser went away): its connection is not handed
    out again with the late reply still to come (redis-py closes it; its checkout no longer
    looks for unread data when RESP3 maintenance notices are on, its default)."""
    client = redis_client(redis_url, connections=1)
    try:
        await client.set(f"{redis_prefix}k", b"v", ex=60)
        with pytest.raises(TimeoutError):
            # blocks this connection only, answers nil after 1 s
            await asyncio.wait_for(client.blpop([f"{redis_prefix}list"], timeout=1), 0.1)
        assert await client.get(f"{redis_prefix}k") == b"v"  # not the late nil
    finally:
        await client.delete(f"{redis_prefix}k")
        await client.aclose()


async def test_a_command_that_cannot_be_written_returns_its_connection(
    redis_url: str, redis_prefix: str
) -> None:
    """A draft's read or write whose command cannot be encoded (a key that is not valid text)
    fails, and its connection goes back to the pool: kept out, a pool of one would have made
    every later command wait REDIS_WAIT_SECONDS and fail ("No connection available")."""
    client = redis_client(redis_url, connections=1)
    store = RedisValueStore(client)
    try:
        with pytest.raises(UnicodeEncodeError):
            await store.get(f"{redis_prefix}\ud800")
        assert not client.connection_pool._in_use_connections
        assert await asyncio.wait_for(store.get(f"{redis_prefix}k"), 5) is None
    finally:
        await client.aclose()
