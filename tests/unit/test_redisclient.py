"""Telegram's draft backend and the web chat's drafts take their Redis client from the one
builder (bot.runtime.redisclient): the same pool size, waits, time-outs and bytes replies."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import BlockingConnectionPool

from bot.runtime.outage import REDIS_SOCKET_SECONDS
from bot.runtime.redisclient import REDIS_CONNECTIONS, REDIS_WAIT_SECONDS, redis_client
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


def test_telegram_and_the_web_chat_build_the_same_client() -> None:
    backend = build_backend(_settings())
    web = build_web(_settings(), None)
    telegram_redis = backend.flood._redis  # type: ignore[attr-defined]
    web_redis = web.counter._redis  # type: ignore[attr-defined]
    assert _pool(telegram_redis) == _pool(web_redis) == _pool(redis_client(URL))
    asyncio.run(backend.close())
