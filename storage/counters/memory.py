"""In-memory channel counters, for one process (tests, the demo)."""

from __future__ import annotations

import time
from collections.abc import Callable


class MemoryRecentSet:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic, limit: int = 10_000) -> None:
        self._seen: dict[str, float] = {}
        self._clock = clock
        self._limit = limit

    async def add(self, member: str, ttl_seconds: int) -> bool:
        now = self._clock()
        if len(self._seen) >= self._limit:
            self._seen = {m: t for m, t in self._seen.items() if t > now}
        expires = self._seen.get(member)
        if expires is not None and expires > now:
            return False
        self._seen[member] = now + ttl_seconds
        return True


class MemoryWindowCounter:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._windows: dict[str, tuple[float, int]] = {}
        self._clock = clock

    async def hit(self, key: str, window_seconds: int) -> int:
        now = self._clock()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= window_seconds:
            start, count = now, 0
        count += 1
        self._windows[key] = (start, count)
        if len(self._windows) > 10_000:
            self._windows = {k: v for k, v in self._windows.items() if now - v[0] < window_seconds}
        return count

    async def hits(self, keys: tuple[str, ...], window_seconds: int) -> list[int]:
        return [await self.hit(key, window_seconds) for key in keys]
