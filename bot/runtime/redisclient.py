"""The one Redis client the channels build (Telegram's drafts, locks and counters, the web chat's
drafts and counters): its pool size, waits, time-outs and reply decoding are set here only."""

from __future__ import annotations

from typing import Any

from bot.runtime.outage import REDIS_SOCKET_SECONDS

# A blocking pool: with more commands in flight than connections, a caller waits up to
# REDIS_WAIT_SECONDS for a free one. The default pool raises MaxConnectionsError at 100, which
# dropped updates under load (bench/RESULTS.md).
REDIS_CONNECTIONS = 50
REDIS_WAIT_SECONDS = 30
REDIS_HEALTH_CHECK_SECONDS = 15


def redis_client(url: str) -> Any:
    """A `redis.asyncio.Redis` on `url` that connects lazily on first use and answers bytes
    (the stores keep encrypted tokens, never text)."""
    from redis.asyncio import BlockingConnectionPool, Redis

    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=REDIS_CONNECTIONS,
        timeout=REDIS_WAIT_SECONDS,
        socket_timeout=REDIS_SOCKET_SECONDS,
        socket_connect_timeout=REDIS_SOCKET_SECONDS,
        health_check_interval=REDIS_HEALTH_CHECK_SECONDS,
        decode_responses=False,
    )
    return Redis(connection_pool=pool)
