"""The integration tests' services: an empty inbox database (SQLite, then PostgreSQL) and a
client of the real Redis whose test keys go afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty inbox database: a SQLite file, then a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'inbox.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
