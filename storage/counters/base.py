"""What a chat channel counts: updates already handled (`RecentSet`) and flood windows
(`WindowCounter`). An in-memory twin (`memory.py`) and a Redis version (`redis.py`) each.
"""

from __future__ import annotations

from typing import Protocol


class RecentSet(Protocol):
    async def add(self, member: str, ttl_seconds: int) -> bool:
        """Record `member`; True when it was new, False when it was already there."""
        ...


class WindowCounter(Protocol):
    async def hit(self, key: str, window_seconds: int) -> int:
        """Count one event for `key` in the current fixed window; returns the count so far."""
        ...

    async def hits(self, keys: tuple[str, ...], window_seconds: int) -> list[int]:
        """`hit` for each of `keys` at once (in Redis one round trip); the counts in order."""
        ...
