"""The real services a benchmark uses, each fresh and cleaned up: a PostgreSQL schema of its own,
a Redis key prefix of its own, a temporary directory for SQLite."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.services import postgres_schema as shared_postgres_schema
from tests.services import reachable

POSTGRES_ADMIN_URL = os.environ.get(
    "KE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("KE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


class ServiceMissing(RuntimeError):
    pass


def require(service: str, host: str, port: int) -> None:
    if not reachable(host, port):
        raise ServiceMissing(f"{service} is not reachable on {host}:{port}")


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A SQLAlchemy URL whose search_path is a fresh schema, dropped afterwards."""
    require("PostgreSQL", "127.0.0.1", 5432)
    with shared_postgres_schema(POSTGRES_ADMIN_URL, "ke_bench") as url:
        yield url


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="ke-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'inbox.sqlite3'}"


@contextmanager
def redis_prefix() -> Iterator[str]:
    """A unique key prefix; every key under it is deleted afterwards."""
    require("Redis", "127.0.0.1", 6379)
    import redis

    prefix = f"ke-bench:{uuid.uuid4().hex[:12]}:"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        try:
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            for start in range(0, len(keys), 500):
                client.delete(*keys[start : start + 500])
        finally:
            client.close()
