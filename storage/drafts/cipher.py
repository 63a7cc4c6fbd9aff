"""Drafts at rest: encryption with rotatable server keys.

- `DraftCipher`: MultiFernet over the keys in `KE_DRAFT_KEYS` (newest first). New drafts are
  encrypted with the newest key, older keys still decrypt, `rotate()` re-encrypts. Fernet tokens
  carry their creation time, so expiry is enforced on decryption even where the backend cannot
  expire records by itself (the in-memory storage).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

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
