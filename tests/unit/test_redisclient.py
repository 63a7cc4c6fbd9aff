"""Telegram's draft backend and the web chat's drafts take their Redis client from the one
builder (bot.runtime.redisclient): the same pool size, waits, time-outs and bytes replies."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from redis.asyncio import BlockingConnectionPool
from redis.exceptions import BusyLoadingError, ConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.runtime.outage import REDIS_SOCKET_SECONDS
from bot.runtime.redisclient import (
    REDIS_CONNECTIONS,
    REDIS_WAIT_SECONDS,
    redis_client,
    restart_retry,
)
from bot.settings import Settings
from bot.telegram.fsm import build_backend
from bot.web.build import build_web

_KEY = "a" * 43 + "="  # 32 bytes, urlsafe base64
URL = "redis://127.0.0.1:1/0"  # never connected to: the client connects on first use


def _settings() -> Settings:
    values = {"id_hash_secret": "x" * 32, "redis_url": URL, "draft_keys": _KEY}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _pool(client: Any) -> tuple[Any, ...]:
    pool = client.connection_pool
    assert isinstance(pool, BlockingConnectionPool)
    kwargs = pool.connection_kwargs
    return (
        pool.max_connections,
        pool.timeout,
        kwargs["socket_timeout"],
        kwargs["socket_connect_timeout"],
        kwargs["health_check_interval"],
        kwargs.get("decode_responses", False),
    )


def test_the_one_builder_sets_pool_waits_time_outs_and_bytes_replies() -> None:
    client = redis_client(URL)
    expected = (REDIS_CONNECTIONS, REDIS_WAIT_SECONDS, REDIS_SOCKET_SECONDS,
                REDIS_SOCKET_SECONDS, 15, False)  # fmt: skip
    assert _pool(client) == expected
    asyncio.run(client.aclose())


def test_replies_are_read_by_hiredis() -> None:
    """A dependency (pyproject.toml), and redis-py takes it only from 3.2: an older one would
    quietly leave the pure-Python parser."""
    from redis._parsers import _AsyncHiredisParser

    client = redis_client(URL)
    connection = client.connection_pool.make_connection()
    assert isinstance(connection._parser, _AsyncHiredisParser)
    asyncio.run(client.aclose())


def test_telegram_and_the_web_chat_build_the_same_client() -> None:
    backend = build_backend(_settings())
    web = build_web(_settings(), None)
    telegram_redis = backend.flood._redis  # type: ignore[attr-defined]
    web_redis = web.counter._redis  # type: ignore[attr-defined]
    assert _pool(telegram_redis) == _pool(web_redis) == _pool(redis_client(URL))
    asyncio.run(backend.close())


def test_the_client_retries_as_after_a_restart() -> None:
    kwargs = redis_client(URL).connection_pool.connection_kwargs
    assert isinstance(kwargs["retry"], type(restart_retry()))


def _failing(errors: list[Exception]) -> Any:
    calls: list[float] = []

    async def do() -> str:
        calls.append(time.monotonic())
        if errors:
            raise errors.pop(0)
        return "ok"

    return do, calls


async def _closed(error: Exception, failures: int) -> None:
    pass


def test_a_closed_connection_is_tried_once_more_at_once() -> None:
    do, calls = _failing([ConnectionError("Connection closed by server.")])
    retry = restart_retry()
    assert asyncio.run(retry.call_with_retry(do, _closed, with_failure_count=True)) == "ok"
    assert len(calls) == 2 and calls[1] - calls[0] < 0.05


def test_a_redis_down_is_told_after_the_one_more_try() -> None:
    do, calls = _failing([ConnectionError("refused") for _ in range(5)])
    with pytest.raises(ConnectionError):
        asyncio.run(restart_retry().call_with_retry(do, _closed, with_failure_count=True))
    assert len(calls) == 2


def test_loading_is_waited_for_within_its_limit() -> None:
    do, calls = _failing([BusyLoadingError("loading") for _ in range(6)])
    assert (
        asyncio.run(restart_retry().call_with_retry(do, _closed, with_failure_count=True)) == "ok"
    )
    assert len(calls) == 7
    do, calls = _failing([BusyLoadingError("loading") for _ in range(1000)])
    started = time.monotonic()
    with pytest.raises(BusyLoadingError):
        asyncio.run(restart_retry(0.3).call_with_retry(do, _closed, with_failure_count=True))
    assert time.monotonic() - started < 1.0


def test_a_time_out_is_not_tried_again() -> None:
    do, calls = _failing([RedisTimeoutError("frozen")])
    with pytest.raises(RedisTimeoutError):
        asyncio.run(restart_retry().call_with_retry(do, _closed, with_failure_count=True))
    assert len(calls) == 1
