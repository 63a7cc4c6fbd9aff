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
        return (await self.hits((key,), window_seconds))[0]

    async def hits(self, keys: tuple[str, ...], window_seconds: int) -> list[int]:
        """One transaction: each key's INCR with its window's expiry set when it starts
        (a web turn counts with its draft's read instead: `RedisValueStore.get_counting`)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            for name in self.names(keys):
                pipe.incr(name)
                pipe.expire(name, window_seconds, nx=True)
            return [int(count) for count in (await pipe.execute())[::2]]

    def names(self, keys: tuple[str, ...]) -> tuple[str, ...]:
        """The Redis key of each of `keys` (for a script that counts them with other work)."""
        return tuple(f"{self._prefix}{key}" for key in keys)

    def on(self, redis: Any) -> bool:
        """Whether the counts are kept on this Redis client."""
        return self._redis is redis
