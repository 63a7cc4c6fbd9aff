"""Rules both inbox twins share, so the memory and SQL versions cannot drift apart."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from intake.filing import Filing
from storage.crypto.envelope import RecipientKey, key_id, verify_signature
from storage.crypto.errors import SealedEnvelopeError
from storage.inbox.audit import STAFF_EVENTS
from storage.inbox.errors import InvalidStatus
from storage.inbox.types import OUTCOMES, STATUSES

VerifyKeys = Mapping[str, Ed25519PublicKey]
# How long an inbox may seal to the recipient keys it read, after another process changed them.
# A re-seal after a key change (`storage.inbox.rewrap.rewrap_inbox`) waits this long after the
# change, plus a filing's time in flight, so that filings sealed to the old set are re-sealed too.
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


# The readable columns an envelope's signed header also names (version 2; version 1 named only
# the referral id and the recipient).
BOUND_COLUMNS = ("id", "reference", "recipient", "channel", "received_at")
# Stands in for a stored time that cannot be read (a damaged row): shown, flagged, never trusted.
UNREADABLE_TIME = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Binding:
    """How a row's readable columns stand against its envelope's signed header."""

    signature_ok: bool  # signed by a known intake key, and every bound column agrees
    mismatched: tuple[str, ...]  # the bound columns that disagree with the signed header
    version: int | None  # the envelope's format version; None when it cannot be read


def binding(
    blob: bytes,
    verify_keys: VerifyKeys | None,
    *,
    referral_id: uuid.UUID,
    reference: str,
    recipient: str,
    channel: str,
    received_at: datetime,
) -> Binding:
    """Check the filing signature, then each readable column against what was signed, so a
    moved envelope, a swapped reference or an edited channel or time shows."""
    if not verify_keys:
        return Binding(False, (), None)
    try:
        header = verify_signature(blob, verify_keys)
    except SealedEnvelopeError:
        return Binding(False, (), None)
    signed: dict[str, object] = {"id": header.referral_id, "recipient": header.recipient}
    if header.version >= 2:
        signed.update(
            reference=header.reference, channel=header.channel, received_at=header.filed_at
        )
    row: dict[str, object] = {
        "id": referral_id,
        "reference": reference,
        "recipient": recipient,
        "channel": channel,
        "received_at": received_at,
    }
    mismatched = tuple(c for c in BOUND_COLUMNS if c in signed and signed[c] != row[c])
    return Binding(not mismatched, mismatched, header.version)


def stored_time(value: object) -> datetime:
    """A time column as stored, or UNREADABLE_TIME when it is not a time (SQLite keeps text;
    a damaged row must become a finding, not a traceback)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return UNREADABLE_TIME
        return stored_time(parsed)
    return UNREADABLE_TIME


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


# -- what the inbox's own audit entries record (storage.inbox.anchor checks the rows against them)


def filed_details(f: Filing) -> dict[str, Any]:
    """What the audit's "filed" entry records, so every row can be checked against it."""
    return {
        "channel": f.channel,
        "recipient": f.recipient,
        "referral_id": str(f.referral_id),
        "size": len(f.envelope),
    }


def status_details(status: str, outcome: str | None, note: bool) -> dict[str, Any]:
    """The "status_changed" entry: the status the row and its newest event must have."""
    return {"status": status, "outcome": outcome, "note": note}


def rewrap_details(from_key_ids: Sequence[str], to_key_ids: Sequence[str]) -> dict[str, Any]:
    return {"from_key_ids": list(from_key_ids), "to_key_ids": list(to_key_ids)}


def key_details(recipient: str, key_id_: str, retired: list[str] | None = None) -> dict[str, Any]:
    """The "key_added" entry (with the keys it retired) or the "key_retired" one (without)."""
    details: dict[str, Any] = {"recipient": recipient, "key_id": key_id_}
    return details if retired is None else {**details, "retired": retired}
