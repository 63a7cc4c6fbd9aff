"""aiogram FSM storage for drafts: encrypted values, pseudonymous keys, expiry.

`EncryptedStorage` wraps any aiogram storage (memory or Redis): the conversation data is one
AES-GCM text token (see `storage.drafts.DraftCipher`), and the chat/user ids in the key are
replaced by HMAC pseudonyms before the inner storage sees them. `HashedKeyBuilder` does the same
for Redis key strings, including the event-isolation locks, which aiogram builds from the raw key.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from aiogram.fsm.storage.base import (
    BaseEventIsolation,
    BaseStorage,
    KeyBuilder,
    StateType,
    StorageKey,
)
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisStorage

from bot.settings import Settings
from storage.counters import (
    MemoryRecentSet,
    MemoryWindowCounter,
    RecentSet,
    RedisRecentSet,
    RedisWindowCounter,
    WindowCounter,
)
from storage.drafts import DraftCipher, DraftUnreadable, IdHasher, generate_key
from storage.drafts.sqlite import SqliteValueStore


def _random_secret() -> str:
    return secrets.token_hex(32)


log = logging.getLogger(__name__)

_FIELD = "enc"
LOST = "lost"  # get_data's answer for a draft that is there but cannot be read (or expired)
SWEEP_EVERY = 500  # writes between sweeps of the in-memory storage


class HashedKeyBuilder(KeyBuilder):
    """`<prefix>:<hmac of every key field>[:<part>]`: nothing in a Redis key names a chat."""

    def __init__(self, hasher: IdHasher, *, prefix: str = "ke:fsm") -> None:
        self.hasher = hasher
        self.prefix = prefix

    def build(self, key: StorageKey, part: Literal["data", "state", "lock"] | None = None) -> str:
        digest = self.hasher.digest(
            key.bot_id,
            key.business_connection_id,
            key.chat_id,
            key.thread_id,
            key.user_id,
            key.destiny,
        )
        return f"{self.prefix}:{digest}:{part}" if part else f"{self.prefix}:{digest}"


class EncryptedStorage(BaseStorage):
    def __init__(
        self, inner: BaseStorage, cipher: DraftCipher, hasher: IdHasher, *, ttl_seconds: int
    ) -> None:
        self.inner = inner
        self.cipher = cipher
        self.hasher = hasher
        self.ttl_seconds = ttl_seconds
        self._writes = 0

    def _key(self, key: StorageKey) -> StorageKey:
        # Pseudonymise before the inner storage sees it (the memory storage keys its dict by this).
        def pseudo(*parts: object) -> int:
            return int(self.hasher.digest(*parts)[:12], 36)

        return replace(
            key,
            chat_id=pseudo("chat", key.bot_id, key.chat_id, key.thread_id),
            user_id=pseudo("user", key.bot_id, key.user_id),
            thread_id=None,
            business_connection_id=None,
        )

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self.inner.set_state(self._key(key), state)

    async def get_state(self, key: StorageKey) -> str | None:
        return await self.inner.get_state(self._key(key))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not data:
            await self.inner.set_data(self._key(key), {})
            return
        token = self.cipher.encrypt(json.dumps(dict(data), separators=(",", ":")).encode())
        await self.inner.set_data(self._key(key), {_FIELD: token})
        self._writes += 1
        if self._writes % SWEEP_EVERY == 0:
            self.sweep()

    def sweep(self) -> int:
        """Forget expired drafts in the memory storage (Redis expires them by itself)."""
        if not isinstance(self.inner, MemoryStorage):
            return 0
        records = self.inner.storage
        # Expired drafts, and the empty records MemoryStorage leaves behind each lookup.
        stale = [
            key
            for key, record in records.items()
            if (
                isinstance(token := record.data.get(_FIELD), str)
                and self.cipher.expired(token, self.ttl_seconds)
            )
            or (token is None and record.state is None)
        ]
        for key in stale:
            del records[key]
        return len(stale)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        raw = await self.inner.get_data(self._key(key))
        token = raw.get(_FIELD)
        if not isinstance(token, str):
            return {}
        try:
            plain = self.cipher.decrypt(token, ttl_seconds=self.ttl_seconds)
        except DraftUnreadable:
            log.info("drafts: a stored draft expired or could not be read; starting afresh")
            return {LOST: True}  # the adapter tells the person, then starts afresh
        data: dict[str, Any] = json.loads(plain)
        return data

    async def drafts(self) -> AsyncIterator[dict[str, Any]]:
        """Every readable draft (decrypted), for the start-up sweep; expired ones are skipped."""
        async for token in self._tokens():
            try:
                plain = self.cipher.decrypt(token, ttl_seconds=self.ttl_seconds)
            except DraftUnreadable:
                continue
            data = json.loads(plain)
            if isinstance(data, dict):
                yield data

    async def _tokens(self) -> AsyncIterator[str]:
        inner = self.inner
        if isinstance(inner, MemoryStorage):
            for record in list(inner.storage.values()):
                token = record.data.get(_FIELD)
                if isinstance(token, str):
                    yield token
            return
        scan = getattr(inner, "raw_data", None)
        if scan is not None:  # the key-value storages below
            async for raw in scan():
                token = raw.get(_FIELD)
                if isinstance(token, str):
                    yield token

    async def close(self) -> None:
        await self.inner.close()


class ScanningRedisStorage(RedisStorage):
    """aiogram's RedisStorage, plus a scan over the data records under its key prefix."""

    async def raw_data(self) -> AsyncIterator[dict[str, Any]]:
        builder = self.key_builder
        assert isinstance(builder, HashedKeyBuilder)
        async for name in self.redis.scan_iter(match=f"{builder.prefix}:*:data", count=500):
            value = await self.redis.get(name)
            if value is None:
                continue
            data = json.loads(value)
            if isinstance(data, dict):
                yield data


class ValueStoreStorage(BaseStorage):
    """aiogram storage on a key-value store with expiry (the SQLite draft file): the durable
    default for one bot process without Redis. Values are what EncryptedStorage gives it."""

    def __init__(self, store: SqliteValueStore, key_builder: HashedKeyBuilder, ttl: int) -> None:
        self.store = store
        self.key_builder = key_builder
        self.ttl = ttl

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = self.key_builder.build(key, "state")
        value = state if state is None or isinstance(state, str) else state.state
        if value is None:
            await self.store.delete(name)
        else:
            await self.store.set(name, str(value).encode(), self.ttl)

    async def get_state(self, key: StorageKey) -> str | None:
        value = await self.store.get(self.key_builder.build(key, "state"))
        return value.decode() if value is not None else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        name = self.key_builder.build(key, "data")
        if not data:
            await self.store.delete(name)
            return
        await self.store.set(name, json.dumps(dict(data)).encode(), self.ttl)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        value = await self.store.get(self.key_builder.build(key, "data"))
        data = json.loads(value) if value is not None else {}
        return data if isinstance(data, dict) else {}

    async def raw_data(self) -> AsyncIterator[dict[str, Any]]:
        for name, value in await self.store.items(f"{self.key_builder.prefix}:"):
            if name.endswith(":data"):
                data = json.loads(value)
                if isinstance(data, dict):
                    yield data

    async def close(self) -> None:
        pass


def _kept_secret(path: Path, make: Callable[[], str]) -> str:
    """A secret kept in a file of its own (0600) under the data directory, made once: drafts
    written before a restart must still be found and read after it."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
        try:
            os.link(tmp, path)  # when two processes race, the first one wins
            log.warning(
                "drafts: created %s (set KE_DRAFT_KEYS / KE_ID_HASH_SECRET to manage it)", path.name
            )
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


class LeasedRedisIsolation(BaseEventIsolation):
    """A per-chat Redis lock held on a short lease that is renewed while the update runs.

    aiogram's RedisEventIsolation holds its lock for up to 60 s: a process killed mid-update
    left the chat silent that long. Here a dead holder's lock lapses within `lease` seconds; a
    live one renews it every lease/3. A lock not acquired within `wait` seconds raises
    TimeoutError (the gate answers that the service is busy; nothing is applied)."""

    def __init__(
        self, redis: Any, key_builder: KeyBuilder, *, lease: float = 6.0, wait: float = 60.0
    ) -> None:
        self.redis = redis
        self.key_builder = key_builder
        self.lease = lease
        self.wait = wait

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        lock = self.redis.lock(
            self.key_builder.build(key, "lock"),
            timeout=self.lease,
            sleep=0.02,
            blocking_timeout=self.wait,
        )
        if not await lock.acquire():
            raise TimeoutError("the chat's lock was not free in time")
        renewing = asyncio.create_task(self._renew(lock))
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            try:
                await lock.release()
            except Exception as error:  # lapsed or Redis gone: it expires anyway
                log.info("drafts: chat lock not released (%s)", type(error).__name__)

    async def _renew(self, lock: Any) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                await lock.reacquire()
            except Exception as error:  # the next renewal tries again
                log.warning("drafts: chat lock not renewed (%s)", type(error).__name__)

    async def close(self) -> None:
        pass


@dataclass
class DraftBackend:
    """Everything the bot keeps between updates, from one backend (memory or Redis)."""

    storage: EncryptedStorage
    isolation: BaseEventIsolation
    recent_updates: RecentSet
    flood: WindowCounter
    hasher: IdHasher

    async def close(self) -> None:
        await self.storage.close()
        await self.isolation.close()


REDIS_CONNECTIONS = 50
REDIS_WAIT_SECONDS = 30
# A Redis that stops answering (stopped, frozen, cut off) fails a command within this many
# seconds instead of hanging the update; the person is told, and the next update tries again.
REDIS_SOCKET_SECONDS = 5.0


def build_backend(
    settings: Settings, *, prefix: str = "ke:", cipher: DraftCipher | None = None
) -> DraftBackend:
    """Redis when `KE_REDIS_URL` is set, else the durable SQLite file `drafts.sqlite3` in the
    data directory (with generated keys kept beside it when none are set); memory only when
    `KE_DRAFT_STORE=memory` (tests). The Redis client connects lazily on first use."""
    store = settings.draft_store
    if store == "auto":
        store = "redis" if settings.redis_url else "sqlite"
    secret = settings.id_hash_secret.get_secret_value() if settings.id_hash_secret else None
    keys = settings.draft_keys.get_secret_value() if settings.draft_keys else None
    if store == "sqlite":
        # The durable default: without these settings, keep generated ones beside the drafts.
        secret = secret or _kept_secret(settings.data_dir / "drafts-id.secret", _random_secret)
        keys = keys or _kept_secret(settings.data_dir / "drafts.key", generate_key)
    hasher = IdHasher.from_secret(secret)
    if cipher is None:
        cipher = DraftCipher.from_secret(keys)
    ttl = settings.draft_ttl_hours * 3600
    inner: BaseStorage
    if store == "redis" and settings.redis_url:
        from redis.asyncio import BlockingConnectionPool, Redis

        # A blocking pool: with more updates in flight than connections, a handler waits for a
        # free one. The default pool raises MaxConnectionsError at 100, which dropped updates
        # under load (bench/RESULTS.md).
        pool = BlockingConnectionPool.from_url(
            settings.redis_url,
            max_connections=REDIS_CONNECTIONS,
            timeout=REDIS_WAIT_SECONDS,
            socket_timeout=REDIS_SOCKET_SECONDS,
            socket_connect_timeout=REDIS_SOCKET_SECONDS,
            health_check_interval=15,
        )
        redis = Redis(connection_pool=pool)
        builder = HashedKeyBuilder(hasher, prefix=f"{prefix}fsm")
        inner = ScanningRedisStorage(redis, key_builder=builder, state_ttl=ttl, data_ttl=ttl)
        isolation: BaseEventIsolation = LeasedRedisIsolation(redis, builder)
        recent: RecentSet = RedisRecentSet(redis, f"{prefix}update:")
        flood: WindowCounter = RedisWindowCounter(redis, f"{prefix}flood:")
        log.info("drafts: Redis storage, expiry %s h", settings.draft_ttl_hours)
    elif store == "sqlite":
        path = settings.data_dir / "drafts.sqlite3"
        builder = HashedKeyBuilder(hasher, prefix=f"{prefix}fsm")
        inner = ValueStoreStorage(SqliteValueStore(path), builder, ttl)
        isolation = SimpleEventIsolation()  # one process per SQLite file
        recent = MemoryRecentSet()
        flood = MemoryWindowCounter()
        log.info("drafts: SQLite storage beside the inbox, expiry %s h", settings.draft_ttl_hours)
    else:
        inner = MemoryStorage()
        isolation = SimpleEventIsolation()
        recent = MemoryRecentSet()
        flood = MemoryWindowCounter()
        log.info("drafts: in-memory storage, expiry %s h", settings.draft_ttl_hours)
    storage = EncryptedStorage(inner, cipher, hasher, ttl_seconds=ttl)
    return DraftBackend(storage, isolation, recent, flood, hasher)
