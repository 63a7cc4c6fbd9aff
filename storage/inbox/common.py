"""Rules both inbox twins share, so the memory and SQL versions cannot drift apart."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from storage.crypto.envelope import RecipientKey, key_id, verify_signature
from storage.crypto.errors import SealedEnvelopeError
from storage.inbox.audit import STAFF_EVENTS
from storage.inbox.errors import InvalidStatus
from storage.inbox.types import OUTCOMES, STATUSES

VerifyKeys = Mapping[str, Ed25519PublicKey]
# How long an inbox may seal to the recipient keys it read, after another process changed them.
# A re-seal after removing a key (`rewrap_inbox(..., settle_seconds=...)`) waits this long first
# so that filings sealed to the old set in the meantime are re-sealed too.
KEY_CACHE_SECONDS = 1.0


def idempotency_hash(secret: bytes, key: str | None) -> str | None:
    """Keyed, so a client's key (maybe derived from a chat id) is not readable or guessable."""
    if key is None:
        return None
    return hmac.new(secret, b"ke-intake idempotency\x00" + key.encode(), hashlib.sha256).hexdigest()


def check_event(action: str) -> None:
    if action not in STAFF_EVENTS:
        raise ValueError(f"not a staff event: {action!r}")


def check_status(status: str, outcome: str | None) -> None:
    if status not in STATUSES:
        raise InvalidStatus(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
    if status == "closed" and outcome not in OUTCOMES:
        raise InvalidStatus(f"closing needs an outcome: one of {', '.join(OUTCOMES)}")
    if status != "closed" and outcome is not None:
        raise InvalidStatus("an outcome is given only when closing")


def signature_ok(
    blob: bytes, verify_keys: VerifyKeys | None, referral_id: uuid.UUID, recipient: str
) -> bool:
    """The filing signature holds and the signed header names this row (not a moved envelope)."""
    if not verify_keys:
        return False
    try:
        header = verify_signature(blob, verify_keys)
    except SealedEnvelopeError:
        return False
    return header.referral_id == referral_id and header.recipient == recipient


def recipient_key(key_id_: str, public_bytes: bytes) -> RecipientKey:
    key = RecipientKey.of(X25519PublicKey.from_public_bytes(public_bytes))
    if key.key_id != key_id_:
        raise ValueError("key id does not match the public key")
    return key


def check_key(key_id_: str, public_bytes: bytes) -> None:
    if key_id(X25519PublicKey.from_public_bytes(public_bytes)) != key_id_:
        raise ValueError("key id does not match the public key")


def join_ids(key_ids: Sequence[str]) -> str:
    return ",".join(key_ids)


def split_ids(text: str) -> tuple[str, ...]:
    return tuple(k for k in text.split(",") if k)
