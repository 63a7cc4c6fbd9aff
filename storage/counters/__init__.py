"""Channel counters: the small TTL sets a chat channel needs (updates already handled, flood
windows). The protocols in `base.py`, an in-memory twin and a Redis version beside them."""

from storage.counters.base import RecentSet, WindowCounter
from storage.counters.memory import MemoryRecentSet, MemoryWindowCounter
from storage.counters.redis import RedisRecentSet, RedisWindowCounter

__all__ = [
    "MemoryRecentSet",
    "MemoryWindowCounter",
    "RecentSet",
    "RedisRecentSet",
    "RedisWindowCounter",
    "WindowCounter",
]
