"""Keyed pseudonyms for chat and user ids, so no storage key holds a raw channel id.

- `IdHasher`: HMAC-SHA256 over chat/user ids with `KE_ID_HASH_SECRET`.
"""

from __future__ import annotations

import base64
import hmac
import logging
import secrets

log = logging.getLogger(__name__)


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
        return base64.b32encode(mac[:20]).decode("ascii").rstrip("=").lower()
