"""The real PostgreSQL of this machine, in a fresh schema per user: shared by the test fixtures
and the benchmarks, so both isolate and clean up the same way."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def postgres_schema(admin_url: str, prefix: str) -> Iterator[str]:
    """A SQLAlchemy URL whose search_path is a fresh schema, dropped afterwards."""
    import sqlalchemy as sa

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{admin_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def redis_bot_settings(redis_url: str) -> Settings:
    """Bot settings with drafts in the real Redis, a fresh draft key and synthetic ids."""
    from bot.settings import Settings
    from storage.drafts import generate_key

    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        redis_url=redis_url,
        draft_keys=generate_key(),
        id_hash_secret="integration-secret-integration-secret",
        allow_synthetic_ids=True,
    )
