"""aiogram FSM storage for drafts, on the draft store every channel uses.

`DraftStorage` keeps a conversation in `storage.drafts.EncryptedDrafts`, the class (and, with
Redis, the store) the web chat keeps its drafts in: the data is one AES-GCM record under the
draft keys, the storage key an HMAC pseudonym of the whole aiogram key, every record expiring
with the draft TTL. Under it, one `ValueStore`: memory, the SQLite draft file or Redis.
`HashedKeyBuilder` makes the event-isolation locks' Redis keys the same way (aiogram builds
them from the raw key).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

from aiogram.fsm.storage.base import (
    BaseEventIsolation,
    BaseStorage,
    KeyBuilder,
    StateType,
    StorageKey,
)
from aiogram.fsm.storage.memory import SimpleEventIsolation

from bot.runtime.drafts import DRAFT_FILE, draft_secrets
from bot.runtime.redisclient import redis_client
from bot.settings import Settings
from storage.counters import (
    MemoryRecentSet,
    MemoryWindowCounter,
    RecentSet,
    RedisRecentSet,
    RedisWindowCounter,
    WindowCounter,
)
from storage.drafts import (
    DraftCipher,
    DraftUnreadable,
    EncryptedDrafts,
    IdHasher,
    MemoryValueStore,
    RedisValueStore,
    ValueStore,
)
from storage.drafts.sqlite import SqliteValueStore

log = logging.getLogger(__name__)

_FIELD = "enc"  # the token's field in a draft stored before DraftStorage
LOST = "lost"  # get_data's answer for a draft that is there but cannot be read (or expired)
DATA = "tg"  # EncryptedDrafts kinds: a conversation's data and its FSM state
STATE = "tg-state"


def key_parts(key: StorageKey) -> tuple[int | str | None, ...]:
    """Every field of aiogram's key, in its order: a draft's pseudonym covers all of them."""
    return (
        key.bot_id,
        key.business_connection_id,
        key.chat_id,
        key.thread_id,
        key.user_id,
        key.destiny,
    )


class HashedKeyBuilder(KeyBuilder):
    """`<prefix>:<hmac of every key field>[:<part>]`: nothing in a Redis key names a chat."""

    def __init__(self, hasher: IdHasher, *, prefix: str = "ke:fsm") -> None:
        self.hasher = hasher
        self.prefix = prefix

    def build(self, key: StorageKey, part: Literal["data", "state", "lock"] | None = None) -> str:
        digest = self.hasher.digest(*key_parts(key))
        return f"{self.prefix}:{digest}:{part}" if part else f"{self.prefix}:{digest}"


class DraftStorage(BaseStorage):
    """aiogram's FSM storage on `EncryptedDrafts`: the data of kind `tg`, the FSM state of
    kind `tg-state`, both under a pseudonym of the whole aiogram key.

    A draft written before (by the aiogram storages this replaced: `{"enc": token}` under
    `HashedKeyBuilder` keys in the same Redis or SQLite file) is still read there while the
    new record is missing; the next write puts it in the new place and deletes the old key."""

    def __init__(
        self,
        records: EncryptedDrafts,
        *,
        legacy: HashedKeyBuilder | None = None,
        closing: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.records = records
        self.legacy = legacy
        self._closing = closing

    @staticmethod
    def _ident(key: StorageKey) -> str:
        return ":".join(str(part) for part in key_parts(key))

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state if state is None or isinstance(state, str) else state.state
        ident = self._ident(key)
        if value is None:
            await self.records.delete(STATE, ident)
        else:
            await self.records.save(STATE, ident, str(value).encode())
        await self._forget_legacy(key, "state")

    async def get_state(self, key: StorageKey) -> str | None:
        value = await self.records.load(STATE, self._ident(key))
        if value is None and self.legacy is not None:
            value = await self.records.store.get(self.legacy.build(key, "state"))
        return value.decode() if value is not None else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        ident = self._ident(key)
        if data:
            plain = json.dumps(dict(data), separators=(",", ":")).encode()
            await self.records.save(DATA, ident, plain)
        else:
            await self.records.delete(DATA, ident)
        await self._forget_legacy(key, "data")

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        try:
            plain = await self.records.read(DATA, self._ident(key))
            if plain is None and self.legacy is not None:
                plain = self._open_legacy(
                    await self.records.store.get(self.legacy.build(key, "data"))
                )
        except DraftUnreadable:
            log.info("drafts: a stored draft expired or could not be read; starting afresh")
            return {LOST: True}  # the adapter tells the person, then starts afresh
        if plain is None:
            return {}
        data = json.loads(plain)
        return data if isinstance(data, dict) else {}

    def _open_legacy(self, raw: bytes | None) -> bytes | None:
        """The plaintext of a draft stored before DraftStorage; DraftUnreadable as any."""
        token = json.loads(raw).get(_FIELD) if raw is not None else None
        if not isinstance(token, str):
            return None
        return self.records.cipher.decrypt(token, ttl_seconds=self.records.ttl_seconds)

    async def _forget_legacy(self, key: StorageKey, part: Literal["data", "state"]) -> None:
        if self.legacy is not None:
            await self.records.store.delete(self.legacy.build(key, part))

    async def drafts(self) -> AsyncIterator[dict[str, Any]]:
        """Every readable draft (decrypted), for the start-up sweep; expired ones are skipped."""
        plains = [plain for _, plain in await self.records.items(DATA)]
        if self.legacy is not None:
            for name, raw in await self.records.store.items(f"{self.legacy.prefix}:"):
                if name.endswith(":data"):
                    with contextlib.suppress(DraftUnreadable, ValueError):
                        plain = self._open_legacy(raw)
                        if plain is not None:
                            plains.append(plain)
        for plain in plains:
            data = json.loads(plain)
            if isinstance(data, dict):
                yield data

    async def close(self) -> None:
        if self._closing is not None:
            await self._closing()


class LeasedRedisIsolation(BaseEventIsolation):
    """A per-chat Redis lock held on a short lease that is renewed while the update runs.

    aiogram's RedisEventIsolation holds its lock for up to 60 s: a process killed mid-update
    left the chat silent that long. Here a dead holder's lock lapses within `lease` seconds; a
    live one renews it every lease/3. A lock not acquired within `wait` seconds raises
    TimeoutError (the gate answers that the service is busy; nothing is applied).

    The renewal stops when the update is done because it is told to (`released`), not only
    because it is cancelled: on Python 3.11 `asyncio.wait_for`, which redis-py awaits every
    command's write in, returns normally when the cancel comes as the write completes (CPython
    gh-86296). A renewal stopped by cancelling alone then renewed for ever, the update waited
    for it at its end, and the chat's lane stayed locked without a word in the log until the
    process stopped (9 of 7,200 updates in a crowd of 200)."""

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
        released = asyncio.Event()
        renewing = asyncio.create_task(self._renew(lock, released))
        try:
            yield
        finally:
            released.set()
            renewing.cancel()  # cuts its wait short; `released` ends it if the cancel is lost
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            try:
                await lock.release()
            except Exception as error:  # lapsed or Redis gone: it expires anyway
                log.info("drafts: chat lock not released (%s)", type(error).__name__)

    async def _renew(self, lock: Any, released: asyncio.Event) -> None:
        while not released.is_set():
            await asyncio.sleep(self.lease / 3)
            if released.is_set():
                return
            try:
                await lock.reacquire()
            except Exception as error:  # the next renewal tries again
                log.warning("drafts: chat lock not renewed (%s)", type(error).__name__)

    async def close(self) -> None:
        pass


@dataclass
class DraftBackend:
    """Everything the bot keeps between updates, from one backend (memory or Redis)."""

    storage: DraftStorage
    isolation: BaseEventIsolation
    recent_updates: RecentSet
    flood: WindowCounter
    hasher: IdHasher

    async def close(self) -> None:
        await self.storage.close()
        await self.isolation.close()


def build_backend(
    settings: Settings, *, prefix: str = "ke:", cipher: DraftCipher | None = None
) -> DraftBackend:
    """Redis when `KE_REDIS_URL` is set, else the durable SQLite file `drafts.sqlite3` in the
    data directory (with generated keys kept beside it when none are set); memory only when
    `KE_DRAFT_STORE=memory` (tests). The Redis client connects lazily on first use."""
    store = settings.draft_store
    if store == "auto":
        store = "redis" if settings.redis_url else "sqlite"
    secret, keys = draft_secrets(settings, kept=store == "sqlite")
    hasher = IdHasher.from_secret(secret)
    if cipher is None:
        cipher = DraftCipher.from_secret(keys)
    ttl = settings.draft_ttl_hours * 3600
    values: ValueStore
    legacy: HashedKeyBuilder | None = HashedKeyBuilder(hasher, prefix=f"{prefix}fsm")
    closing: Callable[[], Awaitable[None]] | None = None
    if store == "redis" and settings.redis_url:
        redis = redis_client(settings.redis_url)
        values = RedisValueStore(redis)
        closing = redis.aclose
        assert legacy is not None
        isolation: BaseEventIsolation = LeasedRedisIsolation(redis, legacy)
        recent: RecentSet = RedisRecentSet(redis, f"{prefix}update:")
        flood: WindowCounter = RedisWindowCounter(redis, f"{prefix}flood:")
        log.info("drafts: Redis storage, expiry %s h", settings.draft_ttl_hours)
    elif store == "sqlite":
        values = SqliteValueStore(settings.data_dir / DRAFT_FILE)
        isolation = SimpleEventIsolation()  # one process per SQLite file
        recent = MemoryRecentSet()
        flood = MemoryWindowCounter()
        log.info("drafts: SQLite storage beside the inbox, expiry %s h", settings.draft_ttl_hours)
    else:
        values = MemoryValueStore()
        legacy = None  # nothing outlives the process
        isolation = SimpleEventIsolation()
        recent = MemoryRecentSet()
        flood = MemoryWindowCounter()
        log.info("drafts: in-memory storage, expiry %s h", settings.draft_ttl_hours)
    # the same class, kinds apart from the web's, and with Redis the same store and prefix
    records = EncryptedDrafts(values, cipher, hasher, ttl_seconds=ttl, prefix=f"{prefix}draft:")
    storage = DraftStorage(records, legacy=legacy, closing=closing)
    return DraftBackend(storage, isolation, recent, flood, hasher)
