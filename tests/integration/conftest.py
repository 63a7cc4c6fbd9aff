"""The real Redis for the integration tests: a client whose test keys go afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis


@pytest.fixture
async def redis(redis_url: str, redis_prefix: str) -> AsyncIterator[Redis]:
    """A client of the real Redis; the test's keys (under its prefix) are deleted afterwards."""
    client = Redis.from_url(redis_url)
    yield client
    async for name in client.scan_iter(f"{redis_prefix}*"):
        await client.delete(name)
    await client.aclose()
