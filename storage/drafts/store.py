"""Drafts by `(kind, id)` for any channel: one AES-GCM token per record under the draft keys, an
HMAC pseudonym of the id as the storage key, and the draft TTL on every record (checked again on
decryption). The backend is a `ValueStore`: in memory for one process, Redis for several."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from storage.counters import RedisWindowCounter, WindowCounter
from storage.drafts.cipher import DraftCipher, DraftUnreadable
from storage.drafts.pseudonyms import IdHasher

log = logging.getLogger(__name__)


class ValueStore(Protocol):
    """Bytes under a key, each with its own expiry: the backend under `EncryptedDrafts`."""

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...

    async def delete(self, *keys: str) -> None: ...

    async def items(self, prefix: str) -> list[tuple[str, bytes]]:
        """Every live value whose key starts with `prefix` (for a start-up sweep)."""
        ...


class MemoryValueStore:
    """The in-memory twin (one process): expired values are dropped when read or swept."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, limit: int = 10_000) -> None:
        self._values: dict[str, tuple[float, bytes]] = {}
        self._clock = clock
        self._limit = limit

    async def get(self, key: str) -> bytes | None:
        entry = self._values.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._values[key]
            return None
        return entry[1]

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        now = self._clock()
        if len(self._values) >= self._limit:
            self._values = {k: v for k, v in self._values.items() if v[0] > now}
        self._values[key] = (now + ttl_seconds, value)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._values.pop(key, None)

    async def items(self, prefix: str) -> list[tuple[str, bytes]]:
        now = self._clock()
        return [
            (key, value)
            for key, (expires, value) in list(self._values.items())
            if key.startswith(prefix) and expires > now
        ]


# A web turn's read: the draft's GET and each window counter's INCR, with its window's expiry
# set when the window starts (EXPIRE NX, as `RedisWindowCounter.hits`), atomic as the MULTI it
# replaces. One command and one flat reply [draft or nil, count, ...]: a MULTI of the same had
# seven replies to parse (OK, five QUEUED, EXEC's array) and cost twice the client's CPU.
GET_COUNTING = """
local reply = {redis.call('GET', KEYS[1])}
for i = 2, #KEYS do
  reply[i] = redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[1], 'NX')
end
return reply
"""


class RedisValueStore:
    def __init__(self, redis: Any) -> None:
        from redis.exceptions import NoScriptError  # redis only where a Redis client is

        self.redis = redis
        self._no_script = NoScriptError
        self._get_counting_sha = hashlib.sha1(GET_COUNTING.encode()).hexdigest()  # noqa: S324

    async def get(self, key: str) -> bytes | None:
        value = await self._command("GET", key)
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        await self._command("SET", key, value, "EX", ttl_seconds)

    async def delete(self, *keys: str) -> None:
        if keys:
            await self.redis.delete(*keys)

    async def get_counting(
        self, key: str, counters: tuple[str, ...], window_seconds: int
    ) -> tuple[bytes | None, list[int]]:
        """The value under `key`, and one more hit on each of `counters` (full key names) in
        its fixed window of `window_seconds`: one server-side script (`GET_COUNTING`), run by
        its hash; a Redis that does not have it (started again, or its scripts flushed)
        answers NOSCRIPT, and the script is sent whole, which loads it again."""
        keys = (key, *counters)
        try:
            reply = await self._command(
                "EVALSHA", self._get_counting_sha, len(keys), *keys, window_seconds
            )
        except self._no_script:
            reply = await self._command("EVAL", GET_COUNTING, len(keys), *keys, window_seconds)
        token = reply[0]
        # a missing draft is Lua's false: nil in RESP2, a boolean in RESP3
        return (token if isinstance(token, bytes) else None), [int(hit) for hit in reply[1:]]

    async def _command(self, *args: str | bytes | int) -> Any:
        """`redis.execute_command(*args)` without its layers, for the commands of every turn
        (a draft's read and write): a connection from the client's pool, the command sent and
        its reply read on it, tried again as the client's retry says (a closed connection, a
        Redis loading: `bot.runtime.redisclient`), the connection returned. Left out: the
        metrics and hooks redis-py records around each command (nothing here reads them) and
        its reply callbacks (these replies are bytes, counts and OK; an error reply still
        raises). Its time-outs are the connection's own, as before."""
        pool = self.redis.connection_pool
        connection = await pool.get_connection()

        async def exchange() -> Any:
            await connection.send_packed_command(packed)
            return await connection.read_response()

        async def failed(error: Exception, failures: int) -> None:
            await connection.disconnect(error=error, failure_count=failures)

        try:
            # packed here, inside: a command that cannot be encoded still returns the connection
            packed = connection.pack_command(*args)
            return await connection.retry.call_with_retry(exchange, failed, with_failure_count=True)
        finally:
            await pool.release(connection)

    async def items(self, prefix: str) -> list[tuple[str, bytes]]:
        found: list[tuple[str, bytes]] = []
        async for name in self.redis.scan_iter(match=f"{prefix}*", count=500):
            value = await self.redis.get(name)
            if value is not None:
                key = name.decode() if isinstance(name, bytes) else str(name)
                found.append((key, bytes(value)))
        return found


class EncryptedDrafts:
    """Drafts and their companions (uploads, resume codes) by `(kind, id)`: the value is one
    AES-GCM token (bytes, `DraftCipher.encrypt_bytes`) under the draft keys, the storage key an
    HMAC pseudonym of the id, and every record expires with the draft TTL (checked again on
    decryption). Values written as text tokens before (Fernet) are still read."""

    def __init__(
        self,
        store: ValueStore,
        cipher: DraftCipher,
        hasher: IdHasher,
        *,
        ttl_seconds: int,
        prefix: str = "ke:draft:",
    ) -> None:
        self.store = store
        self.cipher = cipher
        self.hasher = hasher
        self.ttl_seconds = ttl_seconds
        self.prefix = prefix

    def key(self, kind: str, ident: str) -> str:
        return f"{self.prefix}{kind}:{self.hasher.digest(kind, ident)}"

    async def load(self, kind: str, ident: str) -> bytes | None:
        """The plaintext, or None when there is none (missing, expired or unreadable)."""
        return await self.load_at(self.key(kind, ident), kind)

    async def read(self, kind: str, ident: str) -> bytes | None:
        """The plaintext, None when missing, DraftUnreadable when there but expired or under
        a retired key (for a channel that tells the person their draft was lost)."""
        return await self.read_at(self.key(kind, ident))

    async def load_at(self, key: str, kind: str = "record") -> bytes | None:
        """`load` under a storage key (one `key` gave)."""
        return self._readable(await self.store.get(key), kind)

    async def read_at(self, key: str) -> bytes | None:
        return self._opened(await self.store.get(key))

    async def load_counting(
        self, key: str, counter: WindowCounter, counts: tuple[str, ...], window_seconds: int
    ) -> tuple[bytes | None, list[int]]:
        """`load_at(key)` and `counter.hits(counts, window_seconds)`: one command when both
        are in the same Redis (a web turn's draft and its rate limits)."""
        if (
            isinstance(self.store, RedisValueStore)
            and isinstance(counter, RedisWindowCounter)
            and counter.on(self.store.redis)
        ):
            token, hits = await self.store.get_counting(key, counter.names(counts), window_seconds)
        else:
            hits = await counter.hits(counts, window_seconds)
            token = await self.store.get(key)
        return self._readable(token, "record"), hits

    def _opened(self, token: bytes | None) -> bytes | None:
        if token is None:
            return None
        return self.cipher.decrypt_bytes(token, ttl_seconds=self.ttl_seconds)

    def _readable(self, token: bytes | None, kind: str) -> bytes | None:
        try:
            return self._opened(token)
        except DraftUnreadable:
            log.info("drafts: a stored %s expired or could not be read", kind)
            return None

    async def items(self, kind: str) -> list[tuple[str, bytes]]:
        """(storage key, plaintext) of every readable record of `kind`: for a start-up sweep,
        which cannot name the ids (the keys are their pseudonyms)."""
        found: list[tuple[str, bytes]] = []
        for key, token in await self.store.items(f"{self.prefix}{kind}:"):
            try:
                found.append((key, self.cipher.decrypt_bytes(token, ttl_seconds=self.ttl_seconds)))
            except DraftUnreadable:
                continue
        return found

    async def save(self, kind: str, ident: str, plaintext: bytes) -> None:
        await self.save_at(self.key(kind, ident), plaintext)

    async def delete(self, kind: str, *idents: str) -> None:
        await self.store.delete(*(self.key(kind, ident) for ident in idents))

    async def save_at(self, key: str, plaintext: bytes) -> None:
        """`save` under a storage key (one that `items` returned, for a sweep)."""
        await self.store.set(key, self.cipher.encrypt_bytes(plaintext), self.ttl_seconds)

    async def delete_at(self, key: str) -> None:
        await self.store.delete(key)
