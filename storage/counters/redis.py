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
        """One transaction: each key's INCR with its window's expiry set when it starts."""
        async with self._redis.pipeline(transaction=True) as pipe:
            self.queue(pipe, keys, window_seconds)
            return self.counts(await pipe.execute())

    def queue(self, pipe: Any, keys: tuple[str, ...], window_seconds: int) -> None:
        """`hits` as commands of a pipeline on the same Redis (another store's round trip)."""
        for key in keys:
            name = f"{self._prefix}{key}"
            pipe.incr(name)
            pipe.expire(name, window_seconds, nx=True)

    @staticmethod
    def counts(replies: list[Any]) -> list[int]:
        """The counts from the replies to `queue`'s commands."""
        return [int(count) for count in replies[::2]]

    def on(self, redis: Any) -> bool:
        """Whether the counts are kept on this Redis client."""
        return self._redis is redis
