"""Drafts at rest: encryption with rotatable server keys.

- `DraftCipher`: AES-256-GCM under the keys in `KE_DRAFT_KEYS` (newest first). New drafts are
  encrypted with the newest key, older keys still decrypt, `rotate()` re-encrypts. A token
  carries its creation time (authenticated with the ciphertext), so expiry is enforced on
  decryption even where the backend cannot expire records by itself (the in-memory storage).

A token's body is the key id (8 bytes), the creation time (8 bytes, big endian seconds), a
random 96-bit nonce and the AES-GCM ciphertext with its tag; the key id and the time are the
associated data. As text (`encrypt`, for stores of strings such as aiogram's) it is `ke1.` and
the body in urlsafe base64; as bytes (`encrypt_bytes`, what `EncryptedDrafts` stores) it is
`MAGIC` and the body, because base64 of a 10 KB draft costs more than its encryption.

Each key in `KE_DRAFT_KEYS` is a Fernet-format key (urlsafe base64 of 32 random bytes); the AES
key is derived from it with HKDF-SHA256, and the key id is a hash of the AES key (it names the
key and reveals nothing of it). Tokens written before this format (Fernet: AES-128-CBC with
HMAC-SHA256, `gAAAA...`) still decrypt under the same keys and are written in the new format
on their next save or `rotate()`. AES-GCM because a draft is saved on every turn: it costs a
fraction of Fernet's CBC, HMAC and base64 over the same bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import struct
import time
from collections.abc import Callable, Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

PREFIX = "ke1."
MAGIC = b"\xffke1"  # never the start of a text token (those are ASCII)
_HEADER = struct.Struct(">8sQ")  # key id, creation time
_NONCE = 12
_MAX_CLOCK_SKEW = 60  # seconds a token may come from the future (as Fernet allows)


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


def _aead_key(key: bytes) -> tuple[bytes, AESGCM]:
    secret = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"ke-intake draft aes-256-gcm v1"
    ).derive(base64.urlsafe_b64decode(key))
    ident = hashlib.sha256(b"ke-intake draft key id\x00" + secret).digest()[:8]
    return ident, AESGCM(secret)


class DraftCipher:
    def __init__(self, keys: Sequence[bytes], *, clock: Callable[[], float] = time.time) -> None:
        if not keys:
            raise ValueError("at least one draft key is required")
        self._fernet = MultiFernet([Fernet(key) for key in keys])  # tokens from before ke1
        aeads = [_aead_key(key) for key in keys]
        self._newest = aeads[0]
        self._by_id = {ident: aead for ident, aead in reversed(aeads)}
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
        return PREFIX + base64.urlsafe_b64encode(self._seal(plaintext, int(self._clock()))).decode(
            "ascii"
        )

    def encrypt_bytes(self, plaintext: bytes) -> bytes:
        """The token as bytes (no base64): for stores of bytes; `decrypt_bytes` reads it."""
        return MAGIC + self._seal(plaintext, int(self._clock()))

    def decrypt(self, token: str, *, ttl_seconds: int | None = None) -> bytes:
        return self._fresh(*self._open(token), ttl_seconds)

    def decrypt_bytes(self, token: bytes, *, ttl_seconds: int | None = None) -> bytes:
        """A token from `encrypt_bytes`, or the ASCII of a text token (`encrypt`, or Fernet from
        before): what a store of bytes holds."""
        if token.startswith(MAGIC):
            opened = self._open_body(token[len(MAGIC) :])
        else:
            try:
                opened = self._open(token.decode("ascii"))
            except UnicodeDecodeError:
                raise DraftUnreadable() from None
        return self._fresh(*opened, ttl_seconds)

    def _fresh(self, created: int, plaintext: bytes, ttl_seconds: int | None) -> bytes:
        if ttl_seconds is not None:
            now = int(self._clock())
            if created + ttl_seconds < now or now + _MAX_CLOCK_SKEW < created:
                raise DraftUnreadable()
        return plaintext

    def expired(self, token: str, ttl_seconds: int) -> bool:
        """True for a token older than `ttl_seconds` (or unreadable): safe to forget."""
        try:
            created, _ = self._open(token)
        except DraftUnreadable:
            return True
        return self._clock() - created > ttl_seconds

    def rotate(self, token: str) -> str:
        """Re-encrypt under the newest key, keeping the original timestamp (so expiry holds)."""
        created, plaintext = self._open(token)
        return PREFIX + base64.urlsafe_b64encode(self._seal(plaintext, created)).decode("ascii")

    def _seal(self, plaintext: bytes, created: int) -> bytes:
        ident, aead = self._newest
        header = _HEADER.pack(ident, created)
        nonce = os.urandom(_NONCE)
        return header + nonce + aead.encrypt(nonce, plaintext, header)

    def _open(self, token: str) -> tuple[int, bytes]:
        """(creation time, plaintext) of a text token in either format, or DraftUnreadable."""
        if not token.startswith(PREFIX):
            return self._open_fernet(token)
        try:
            body = base64.urlsafe_b64decode(token[len(PREFIX) :])
        except (binascii.Error, ValueError):
            raise DraftUnreadable() from None
        return self._open_body(body)

    def _open_body(self, body: bytes) -> tuple[int, bytes]:
        start = _HEADER.size + _NONCE
        if len(body) < start + 16:
            raise DraftUnreadable()
        header, nonce = body[: _HEADER.size], body[_HEADER.size : start]
        ident, created = _HEADER.unpack(header)
        aead = self._by_id.get(ident)
        if aead is None:
            raise DraftUnreadable()
        try:
            return created, aead.decrypt(nonce, body[start:], header)
        except InvalidTag:
            raise DraftUnreadable() from None

    def _open_fernet(self, token: str) -> tuple[int, bytes]:
        try:
            raw = token.encode("ascii")
            return self._fernet.extract_timestamp(raw), self._fernet.decrypt(raw)
        except (InvalidToken, UnicodeEncodeError, ValueError):
            raise DraftUnreadable() from None
