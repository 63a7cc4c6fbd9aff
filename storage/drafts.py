"""Drafts at rest: encryption with rotatable server keys, pseudonymous storage keys, and the
small TTL sets a chat channel needs (duplicate updates, flood windows).

No framework imports here: the Telegram adapter wraps aiogram's FSM storage around these pieces,
and any other channel may use them as they are.

- `DraftCipher`: MultiFernet over the keys in `KE_DRAFT_KEYS` (newest first). New drafts are
  encrypted with the newest key, older keys still decrypt, `rotate()` re-encrypts. Fernet tokens
  carry their creation time, so expiry is enforced on decryption even where the backend cannot
  expire records by itself (the in-memory storage).
- `IdHasher`: HMAC-SHA256 over chat/user ids with `KE_ID_HASH_SECRET`, so no storage key holds
  a raw Telegram id.
- `RecentSet` / `WindowCounter`: an in-memory twin and a Redis version each.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger(__name__)


class DraftUnreadable(Exception):
    """A stored draft that cannot be decrypted: expired, tampered or under a retired key.
    Deliberately one type without detail; the caller starts a fresh conversation."""

    def __init__(self) -> None:
        super().__init__("the stored draft cannot be read")


def parse_keys(raw: str) -> list[bytes]:
    """Comma-separated urlsafe-base64 32-byte keys, newest first. Raises ValueError on a
    malformed key without echoing it."""
    keys = [part.strip().encode("ascii") for part in raw.split(",") if part.strip()]
    for index, key in enumerate(keys):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ValueError(f"draft key number {index + 1} is not a valid key") from None
    return keys


def generate_key() -> str:
    """A new draft key, in the format `KE_DRAFT_KEYS` expects."""
    return Fernet.generate_key().decode("ascii")


class DraftCipher:
    def __init__(self, keys: Sequence[bytes], *, clock: Callable[[], float] = time.time) -> None:
        if not keys:
            raise ValueError("at least one draft key is required")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self._clock = clock

    @classmethod
    def from_secret(cls, raw: str | None, **kwargs: Any) -> DraftCipher:
        """From the `KE_DRAFT_KEYS` value; with none, a throwaway development key (drafts are then
        unreadable after a restart and across workers), logged as such, never the key itself."""
        if raw and raw.strip():
            return cls(parse_keys(raw), **kwargs)
        log.warning(
            "drafts: KE_DRAFT_KEYS is not set; using a generated development key "
            "(drafts will not survive a restart or be shared between workers)"
        )
        return cls([Fernet.generate_key()], **kwargs)

    def encrypt(self, plaintext: bytes) -> str:
        return self._fernet.encrypt_at_time(plaintext, int(self._clock())).decode("ascii")

    def decrypt(self, token: str, *, ttl_seconds: int | None = None) -> bytes:
        try:
            if ttl_seconds is None:
                return self._fernet.decrypt(token.encode("ascii"))
            return self._fernet.decrypt_at_time(
                token.encode("ascii"), ttl_seconds, int(self._clock())
            )
        except (InvalidToken, UnicodeEncodeError, ValueError):
            raise DraftUnreadable() from None

    def expired(self, token: str, ttl_seconds: int) -> bool:
        """True for a token older than `ttl_seconds` (or unreadable): safe to forget."""
        try:
            created = self._fernet.extract_timestamp(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError, ValueError):
            return True
        return self._clock() - created > ttl_seconds

    def rotate(self, token: str) -> str:
        """Re-encrypt under the newest key, keeping the original timestamp (so expiry holds)."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError, ValueError):
            raise DraftUnreadable() from None


class IdHasher:
    """Keyed, stable pseudonyms for ids. Truncated to 128 bits: collision-safe for our scale and
    short enough for keys."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the id hash secret must be at least 16 bytes")
        self._secret = secret

    @classmethod
    def from_secret(cls, raw: str | None) -> IdHasher:
        if raw:
            return cls(raw.encode("utf-8"))
        log.warning(
            "drafts: KE_ID_HASH_SECRET is not set; using a generated development secret "
            "(drafts will not be found after a restart or by another worker)"
        )
        return cls(secrets.token_bytes(32))

    def digest(self, *parts: object) -> str:
        message = "\x1f".join("" if part is None else str(part) for part in parts)
        mac = hmac.new(self._secret, message.encode("utf-8"), hashlib.sha256).digest()
        return base64.b32encode(mac[:20]).decode("ascii").rstrip("=").lower()


class RecentSet(Protocol):
    async def add(self, member: str, ttl_seconds: int) -> bool:
        """Record `member`; True when it was new, False when it was already there."""
        ...


class WindowCounter(Protocol):
    async def hit(self, key: str, window_seconds: int) -> int:
        """Count one event for `key` in the current fixed window; returns the count so far."""
        ...


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


class RedisRecentSet:
    def __init__(self, redis: Any, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def add(self, member: str, ttl_seconds: int) -> bool:
        created = await self._redis.set(f"{self._prefix}{member}", b"1", nx=True, ex=ttl_seconds)
        return bool(created)


class RedisWindowCounter:
    def __init__(self, redis: Any, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def hit(self, key: str, window_seconds: int) -> int:
        name = f"{self._prefix}{key}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window_seconds, nx=True)
            count, _ = await pipe.execute()
        return int(count)
