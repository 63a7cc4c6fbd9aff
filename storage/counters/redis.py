"""Channel counters in Redis, shared by several workers."""

from __future__ import annotations

from typing import Any


class RedisRecentSet:
    def __init__(self, redis: Any, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def add(self, member: str, ttl_seconds: int) -> bool:
        created = await self._redis.set(f"{self._prefix}{member}", b"1", nx=True, ex=ttl_seconds)
        return bool(created)


class RedisWindowCounter:
    def __init__(self, redis: Any, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def hit(self, key: str, window_seconds: int) -> int:
        name = f"{self._prefix}{key}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window_seconds, nx=True)
            count, _ = await pipe.execute()
        return int(count)
