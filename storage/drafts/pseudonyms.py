"""Keyed pseudonyms for chat and user ids, so no storage key holds a raw channel id.

- `IdHasher`: HMAC-SHA256 over chat/user ids with `KE_ID_HASH_SECRET`.
"""

from __future__ import annotations

import hmac
import logging
import secrets

log = logging.getLogger(__name__)

# base32 (RFC 4648, lower case) of 10 bits at a time: two letters each
_B32 = "abcdefghijklmnopqrstuvwxyz234567"
_PAIRS = tuple(_B32[i >> 5] + _B32[i & 31] for i in range(1024))


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
        mac = hmac.digest(self._secret, message.encode("utf-8"), "sha256")  # one C call
        return _base32(mac[:20])


def _base32(twenty: bytes) -> str:
    """`base64.b32encode(twenty).decode().lower()` (20 bytes, so no padding), by 16 lookups of
    10 bits: the stdlib's is pure Python in 3.11 and cost a third of a digest. Byte for byte
    the same (every storage key is one of these; a changed key would lose every draft)."""
    t, n = _PAIRS, int.from_bytes(twenty, "big")
    return (
        t[n >> 150] + t[n >> 140 & 1023] + t[n >> 130 & 1023] + t[n >> 120 & 1023]
        + t[n >> 110 & 1023] + t[n >> 100 & 1023] + t[n >> 90 & 1023] + t[n >> 80 & 1023]
        + t[n >> 70 & 1023] + t[n >> 60 & 1023] + t[n >> 50 & 1023] + t[n >> 40 & 1023]
        + t[n >> 30 & 1023] + t[n >> 20 & 1023] + t[n >> 10 & 1023] + t[n & 1023]
    )  # fmt: skip
