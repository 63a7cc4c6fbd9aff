"""Drafts at rest: real AES-GCM encryption with rotatable keys, HMAC pseudonyms, the TTL sets, and
Telegram's aiogram storage on the draft store the web chat uses (`EncryptedDrafts`), over memory,
the SQLite file and the real Redis ("two workers" share one conversation)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey
from redis.asyncio import Redis

from bot.settings import Settings
from bot.telegram.fsm import DraftStorage, HashedKeyBuilder, build_backend
from storage.counters import (
    MemoryRecentSet,
    MemoryWindowCounter,
    RedisRecentSet,
    RedisWindowCounter,
)
from storage.drafts import (
    DraftCipher,
    DraftUnreadable,
    EncryptedDrafts,
    IdHasher,
    MemoryValueStore,
    RedisValueStore,
    generate_key,
    parse_keys,
)

CHAT_ID = 987654321
SECRET_TEXT = "Kari Nordmann trenger hjelp"
KEY = StorageKey(bot_id=123, chat_id=CHAT_ID, user_id=CHAT_ID)


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_cipher_round_trip_and_rotation() -> None:
    old, new = generate_key(), generate_key()
    token = DraftCipher(parse_keys(old)).encrypt(b"draft")
    rotated_cipher = DraftCipher(parse_keys(f"{new},{old}"))
    assert rotated_cipher.decrypt(token) == b"draft"
    rotated = rotated_cipher.rotate(token)
    assert DraftCipher(parse_keys(new)).decrypt(rotated) == b"draft"
    with pytest.raises(DraftUnreadable):
        DraftCipher(parse_keys(new)).decrypt(token)


def test_cipher_expiry_and_tamper_are_one_error() -> None:
    clock = Clock()
    cipher = DraftCipher(parse_keys(generate_key()), clock=clock)
    token = cipher.encrypt(b"draft")
    clock.now += 71 * 3600
    assert cipher.decrypt(token, ttl_seconds=72 * 3600) == b"draft"
    clock.now += 2 * 3600
    with pytest.raises(DraftUnreadable):
        cipher.decrypt(token, ttl_seconds=72 * 3600)
    with pytest.raises(DraftUnreadable):
        cipher.decrypt(token[:-4] + "AAAA")


def test_bad_key_message_does_not_echo_key() -> None:
    with pytest.raises(ValueError, match="number 2") as info:
        parse_keys(f"{generate_key()},not-a-key-at-all")
    assert "not-a-key" not in str(info.value)


def test_id_hasher_is_keyed_and_stable() -> None:
    a, b = IdHasher(b"a" * 32), IdHasher(b"b" * 32)
    assert a.digest(1, 2) == a.digest(1, 2)
    assert a.digest(1, 2) != b.digest(1, 2)
    assert str(CHAT_ID) not in a.digest(CHAT_ID)


async def test_memory_recent_set_and_counter() -> None:
    clock = Clock(0.0)
    recent = MemoryRecentSet(clock=clock)
    assert await recent.add("1", 60)
    assert not await recent.add("1", 60)
    clock.now = 61
    assert await recent.add("1", 60)
    counter = MemoryWindowCounter(clock=clock)
    assert [await counter.hit("c", 10) for _ in range(3)] == [1, 2, 3]
    assert await counter.hits(("c", "d"), 10) == [4, 1]
    clock.now += 11
    assert await counter.hit("c", 10) == 1


async def test_memory_storage_is_encrypted_and_pseudonymous() -> None:
    values = MemoryValueStore()
    records = EncryptedDrafts(
        values, DraftCipher(parse_keys(generate_key())), IdHasher(b"s" * 32), ttl_seconds=3600
    )
    storage = DraftStorage(records)
    await storage.set_data(KEY, {"engine": SECRET_TEXT})
    assert await storage.get_data(KEY) == {"engine": SECRET_TEXT}
    stored = await values.items("")
    assert len(stored) == 1
    for name, value in stored:
        assert str(CHAT_ID) not in name and name.startswith("ke:draft:tg:")
        assert SECRET_TEXT.encode() not in value and b"Kari" not in value


async def test_memory_drafts_expire_with_the_ttl() -> None:
    clock = Clock()
    values = MemoryValueStore(clock=clock)
    cipher = DraftCipher(parse_keys(generate_key()), clock=clock)
    storage = DraftStorage(EncryptedDrafts(values, cipher, IdHasher(b"s" * 32), ttl_seconds=3600))
    await storage.set_data(KEY, {"a": 1})
    clock.now += 1800
    fresh = StorageKey(bot_id=123, chat_id=1, user_id=1)
    await storage.set_data(fresh, {"b": 2})
    clock.now += 1801
    assert await storage.get_data(KEY) == {}  # gone from the store, not "lost"
    assert await storage.get_data(fresh) == {"b": 2}
    assert [data async for data in storage.drafts()] == [{"b": 2}]


def _redis_settings(redis_url: str, keys: str) -> Settings:
    return Settings(
        redis_url=redis_url,
        draft_keys=keys,
        id_hash_secret="test-secret-test-secret-test-secret",
        draft_ttl_hours=72,
    )


@pytest.mark.redis
async def test_redis_values_encrypted_keys_hashed_and_expiring(
    redis: Redis, redis_url: str, redis_prefix: str
) -> None:
    backend = build_backend(_redis_settings(redis_url, generate_key()), prefix=redis_prefix)
    try:
        await backend.storage.set_data(KEY, {"engine": SECRET_TEXT})
        await backend.storage.set_state(KEY, "intake")
        names = [name.decode() async for name in redis.scan_iter(f"{redis_prefix}*")]
        assert len(names) == 2
        for name in names:
            assert str(CHAT_ID) not in name
            assert 0 < await redis.ttl(name) <= 72 * 3600
            if ":tg:" in name:
                raw = await redis.get(name)
                assert SECRET_TEXT.encode() not in raw
                assert b"Kari" not in raw
        assert await backend.storage.get_data(KEY) == {"engine": SECRET_TEXT}
    finally:
        await backend.close()


@pytest.mark.redis
async def test_two_workers_continue_one_conversation(redis_url: str, redis_prefix: str) -> None:
    keys = generate_key()
    worker_a = build_backend(_redis_settings(redis_url, keys), prefix=redis_prefix)
    worker_b = build_backend(_redis_settings(redis_url, keys), prefix=redis_prefix)
    try:
        answers: list[str] = []
        for turn in range(6):
            worker = (worker_a, worker_b)[turn % 2]
            async with worker.isolation.lock(KEY):
                data = await worker.storage.get_data(KEY)
                assert data.get("answers", []) == answers
                answers.append(f"answer {turn}")
                await worker.storage.set_data(KEY, {"answers": answers})
        final = await worker_a.storage.get_data(KEY)
        assert final["answers"] == [f"answer {n}" for n in range(6)]
    finally:
        await worker_a.close()
        await worker_b.close()


@pytest.mark.redis
async def test_redis_recent_set_and_counter(redis: Redis, redis_prefix: str) -> None:
    recent = RedisRecentSet(redis, f"{redis_prefix}u:")
    assert await recent.add("42", 60)
    assert not await recent.add("42", 60)
    assert 0 < await redis.ttl(f"{redis_prefix}u:42") <= 60
    counter = RedisWindowCounter(redis, f"{redis_prefix}f:")
    assert [await counter.hit("x", 30) for _ in range(3)] == [1, 2, 3]
    assert 0 < await redis.ttl(f"{redis_prefix}f:x") <= 30
    assert await counter.hits(("x", "y"), 30) == [4, 1]
    assert 0 < await redis.ttl(f"{redis_prefix}f:y") <= 30


@pytest.mark.redis
async def test_a_draft_and_its_counters_in_one_round_trip(redis: Redis, redis_prefix: str) -> None:
    """`load_counting` reads the draft and counts in one command on a shared Redis (a
    server-side script), and gives what `load_at` and `hits` give apart (memory: the same
    answers); each counter's window expires as `hits` sets it."""
    cipher, hasher = DraftCipher(parse_keys(generate_key())), IdHasher(b"s" * 32)
    shared, in_redis = RedisWindowCounter(redis, f"{redis_prefix}c:"), RedisValueStore(redis)
    stores = [(in_redis, shared), (MemoryValueStore(), MemoryWindowCounter())]
    pool = redis.connection_pool
    checkouts: list[int] = []
    checkout = pool.get_connection

    async def counted(*args: Any, **kwargs: Any) -> Any:
        checkouts.append(1)
        return await checkout(*args, **kwargs)

    for store, counter in stores:
        drafts = EncryptedDrafts(store, cipher, hasher, ttl_seconds=60, prefix=f"{redis_prefix}d:")
        key = drafts.key("web", "session")
        assert await drafts.load_counting(key, counter, ("a",), 30) == (None, [1])
        await drafts.save_at(key, SECRET_TEXT.encode())
        pool.get_connection = counted  # type: ignore[method-assign]
        try:
            found = await drafts.load_counting(key, counter, ("a", "b"), 30)
        finally:
            pool.get_connection = checkout  # type: ignore[method-assign]
        assert found == (SECRET_TEXT.encode(), [2, 1])
        assert await drafts.load_at(key) == SECRET_TEXT.encode()
    assert checkouts == [1]  # the Redis pair: one command; memory: none
    assert await redis.script_exists(in_redis._get_counting_sha) == [True]
    assert 0 < await redis.ttl(f"{redis_prefix}c:b") <= 30
    assert await redis.ttl(f"{redis_prefix}c:a") > 0
    assert await shared.hits(("a", "b"), 30) == [3, 2]  # the same windows as `hits` counts


@pytest.mark.redis
async def test_a_redis_without_the_script_is_sent_it_whole(redis: Redis, redis_prefix: str) -> None:
    """NOSCRIPT (a Redis started again has no scripts; `SCRIPT FLUSH`): the read is not lost,
    the script goes whole (EVAL), and the next turn finds it by its hash again. Shown with a
    hash this Redis never saw, so the shared server's scripts stay as they are."""
    store = RedisValueStore(redis)
    drafts = EncryptedDrafts(
        store, DraftCipher(parse_keys(generate_key())), IdHasher(b"s" * 32), ttl_seconds=60
    )
    counter = RedisWindowCounter(redis, f"{redis_prefix}c:")
    key = f"{redis_prefix}d:web:x"
    await drafts.save_at(key, SECRET_TEXT.encode())
    known = store._get_counting_sha
    store._get_counting_sha = "0" * 40
    assert await drafts.load_counting(key, counter, ("a",), 30) == (SECRET_TEXT.encode(), [1])
    store._get_counting_sha = known
    assert await redis.script_exists(known) == [True]
    assert await drafts.load_counting(key, counter, ("a",), 30) == (SECRET_TEXT.encode(), [2])


@pytest.mark.redis
async def test_rotated_key_still_reads_old_redis_draft(redis_url: str, redis_prefix: str) -> None:
    old, new = generate_key(), generate_key()
    before = build_backend(_redis_settings(redis_url, old), prefix=redis_prefix)
    after = build_backend(_redis_settings(redis_url, f"{new},{old}"), prefix=redis_prefix)
    retired = build_backend(_redis_settings(redis_url, new), prefix=redis_prefix)
    try:
        await before.storage.set_data(KEY, {"a": 1})
        assert await after.storage.get_data(KEY) == {"a": 1}
        # under a retired key it is lost: marked so, and the adapter tells the person
        assert await retired.storage.get_data(KEY) == {"lost": True}
    finally:
        for backend in (before, after, retired):
            await backend.close()


def test_hashed_key_builder_has_no_raw_ids() -> None:
    builder = HashedKeyBuilder(IdHasher(b"k" * 32), prefix="p")
    built = builder.build(KEY, "lock")
    assert built.startswith("p:") and built.endswith(":lock")
    assert str(CHAT_ID) not in built


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def backend_settings(request: pytest.FixtureRequest, redis_prefix: str):  # type: ignore[no-untyped-def]
    """The same contract over each draft backend."""
    keys = generate_key()
    memory = Settings(_env_file=None, draft_keys=keys, id_hash_secret="s" * 32)  # type: ignore[call-arg]
    memory = memory.model_copy(update={"draft_store": "memory"})
    if request.param == "memory":
        yield memory, redis_prefix
        return
    if request.param == "sqlite":
        folder = request.getfixturevalue("tmp_path")
        yield memory.model_copy(update={"draft_store": "sqlite", "data_dir": folder}), redis_prefix
        return
    url = request.getfixturevalue("redis_url")
    client = Redis.from_url(url)
    yield _redis_settings(url, keys), redis_prefix
    async for name in client.scan_iter(f"{redis_prefix}*"):
        await client.delete(name)
    await client.aclose()


async def test_storage_contract(backend_settings) -> None:  # type: ignore[no-untyped-def]
    settings, prefix = backend_settings
    backend = build_backend(settings, prefix=prefix)
    other = StorageKey(bot_id=123, chat_id=CHAT_ID + 1, user_id=CHAT_ID + 1)
    try:
        assert await backend.storage.get_data(KEY) == {}
        await backend.storage.set_data(KEY, {"engine": SECRET_TEXT, "n": [1, 2]})
        assert await backend.storage.get_data(KEY) == {"engine": SECRET_TEXT, "n": [1, 2]}
        assert await backend.storage.get_data(other) == {}
        await backend.storage.update_data(KEY, {"n": [3]})
        assert (await backend.storage.get_data(KEY))["n"] == [3]
        await backend.storage.set_state(KEY, "intake")
        assert await backend.storage.get_state(KEY) == "intake"
        await backend.storage.set_data(KEY, {})
        assert await backend.storage.get_data(KEY) == {}
        assert await backend.recent_updates.add("7", 60)
        assert not await backend.recent_updates.add("7", 60)
        assert await backend.flood.hit("chat", 10) == 1
    finally:
        await backend.close()


async def test_telegram_and_the_web_chat_keep_drafts_in_one_store(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 12: the web chat's drafts are in the same draft store as Telegram's: the same
    class, cipher and keys, and (with Redis) the same store and prefix, kinds apart."""
    from bot.web.build import build_web

    settings = Settings(_env_file=None, draft_keys=generate_key(), id_hash_secret="s" * 32)  # type: ignore[call-arg]
    settings = settings.model_copy(update={"draft_store": "memory", "data_dir": tmp_path})
    backend = build_backend(settings)
    web = build_web(settings, None)
    telegram_drafts, web_drafts = backend.storage.records, web.sessions.drafts
    assert type(telegram_drafts) is type(web_drafts) is EncryptedDrafts
    assert telegram_drafts.prefix == web_drafts.prefix
    # one hasher and one cipher: the same record under the same key, readable by either
    await web_drafts.save("web", "s1", b"web draft")
    assert telegram_drafts.key("web", "s1") == web_drafts.key("web", "s1")
    token = await web_drafts.store.get(web_drafts.key("web", "s1"))
    assert token is not None and telegram_drafts.cipher.decrypt_bytes(token) == b"web draft"
    await backend.storage.set_data(KEY, {"engine": "telegram draft"})
    assert [plain async for plain in backend.storage.drafts()] == [{"engine": "telegram draft"}]
    await backend.close()


@pytest.mark.redis
async def test_a_draft_stored_before_is_read_and_moved(
    redis: Redis, redis_url: str, redis_prefix: str
) -> None:
    """A conversation written by the aiogram storage this replaced (`{"enc": token}` under the
    hashed fsm key) goes on after the upgrade, and the first write moves it."""
    keys = generate_key()
    backend = build_backend(_redis_settings(redis_url, keys), prefix=redis_prefix)
    try:
        builder = HashedKeyBuilder(backend.hasher, prefix=f"{redis_prefix}fsm")
        token = DraftCipher(parse_keys(keys)).encrypt(json.dumps({"engine": "old"}).encode())
        await redis.set(builder.build(KEY, "data"), json.dumps({"enc": token}), ex=600)
        await redis.set(builder.build(KEY, "state"), "intake", ex=600)
        assert await backend.storage.get_data(KEY) == {"engine": "old"}
        assert await backend.storage.get_state(KEY) == "intake"
        assert [d async for d in backend.storage.drafts()] == [{"engine": "old"}]
        await backend.storage.set_data(KEY, {"engine": "new"})
        await backend.storage.set_state(KEY, "intake")
        assert await redis.get(builder.build(KEY, "data")) is None
        assert await backend.storage.get_data(KEY) == {"engine": "new"}
    finally:
        await backend.close()


async def test_the_sqlite_draft_file_reads_off_the_loop_and_waits_for_a_lock_elsewhere(
    tmp_path: Path,
) -> None:
    """A read is made in the store's reader thread, never on the event loop, by a connection
    that never waits; when the file is locked it is made again in a worker thread, which waits
    for the lock (so the reader thread is not held by it)."""
    import sqlite3
    import threading

    from storage.drafts.sqlite import SqliteValueStore

    store = SqliteValueStore(tmp_path / "drafts.sqlite3")
    await store.set("k", b"token", 60)
    threads: list[tuple[str, bool]] = []
    read = store._get
    locked = False

    def recorded(key: str, *, wait: bool = True) -> bytes | None:
        threads.append((threading.current_thread().name, wait))
        if locked and not wait:
            raise sqlite3.OperationalError("database is locked")
        return read(key, wait=wait)

    store._get = recorded  # type: ignore[method-assign]
    assert await store.get("k") == b"token"
    locked = True
    assert await store.get("k") == b"token"
    loop = threading.current_thread().name
    assert [wait for _, wait in threads] == [False, False, True]
    assert threads[0][0] == threads[1][0] == "drafts-read"
    assert threads[2][0] not in (loop, "drafts-read")


def test_the_sqlite_draft_files_concurrent_writes_share_a_transaction(tmp_path: Path) -> None:
    """Writes that arrive while one is being committed are committed together (one fsync for
    them all), each caller returning once its own write is; every value reads back, and of two
    writes of one key the later wins."""
    import threading
    import time

    from storage.drafts.sqlite import SqliteValueStore

    store = SqliteValueStore(tmp_path / "drafts.sqlite3")
    group = store._writes_in_turn
    write, batches = group._write, []
    queued = threading.Event()

    def held_first(batch: Any) -> None:
        if not batches:  # the first write waits until seven more have queued behind it
            assert queued.wait(5)
        batches.append([slot.work[0] for slot in batch])
        write(batch)

    group._write = held_first  # type: ignore[method-assign]
    writers = [
        threading.Thread(target=store._set, args=(f"k{n % 7}", f"v{n}".encode(), 60))
        for n in range(8)
    ]
    writers[0].start()
    while not batches and not group._queue:
        time.sleep(0.001)
    for writer in writers[1:]:
        writer.start()
    while len(group._queue) < 8:
        time.sleep(0.001)
    queued.set()
    for writer in writers:
        writer.join(5)
    assert [len(b) for b in batches] == [1, 7]
    assert store._get("k0") == b"v7"  # written after v0, in the second batch
    assert [store._get(f"k{n}") for n in range(1, 7)] == [f"v{n}".encode() for n in range(1, 7)]
