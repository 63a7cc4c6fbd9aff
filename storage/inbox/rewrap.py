"""Key rotation: re-seal every envelope that is not on its recipient's current keys."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from storage.crypto.envelope import RecipientKey, key_id, rewrap
from storage.crypto.errors import SealedEnvelopeError
from storage.inbox.types import Inbox, InboxRecord, StatusEvent

log = logging.getLogger(__name__)


# Re-seals one status note of a record to the current keys; None when it cannot (or need not).
NoteRewrapper = Callable[[InboxRecord, StatusEvent], bytes | None]


def rewrap_inbox(
    inbox: Inbox,
    *,
    private_key: X25519PrivateKey,
    verify_keys: Mapping[str, Ed25519PublicKey],
    signing_key: Ed25519PrivateKey,
    actor: str,
    rewrap_note: NoteRewrapper | None = None,
    settle_seconds: float = 0.0,
) -> dict[str, int]:
    """Counts: `done` re-sealed, `current` already on the current keys, `other` not openable
    with `private_key` (sealed to other keys, or failing verification), `notes` status notes
    re-sealed by `rewrap_note` (whose format belongs to the staff tools) for the records done."""
    if settle_seconds > 0:
        # Right after a key change, other processes may still seal to the old key set for up
        # to KEY_CACHE_SECONDS (storage.inbox.common): wait them out, then re-seal.
        time.sleep(settle_seconds)
    mine = key_id(private_key.public_key())
    counts = {"done": 0, "current": 0, "other": 0, "notes": 0}
    current_keys: dict[str, list[RecipientKey]] = {}
    for record in inbox.list():
        if record.recipient not in current_keys:
            current_keys[record.recipient] = inbox.recipient_keys(record.recipient)
        keys = current_keys[record.recipient]
        if not keys or set(record.key_ids) == {k.key_id for k in keys}:
            counts["current"] += 1
            continue
        if mine not in record.key_ids:
            counts["other"] += 1
            continue
        try:
            blob = rewrap(
                inbox.envelope(record.reference),
                private_key=private_key,
                verify_keys=verify_keys,
                recipients=keys,
                signing_key=signing_key,
            )
        except SealedEnvelopeError:
            log.warning("rewrap: envelope %s could not be opened; left as it is", record.reference)
            counts["other"] += 1
            continue
        inbox.replace_envelope(record.reference, blob, [k.key_id for k in keys], actor)
        counts["done"] += 1
        if rewrap_note is not None:
            counts["notes"] += _rewrap_notes(inbox, record, rewrap_note, actor)
    log.info("rewrap: %s", counts)
    return counts


def _rewrap_notes(inbox: Inbox, record: InboxRecord, rewrap_note: NoteRewrapper, actor: str) -> int:
    count = 0
    for event in inbox.status_events(record.reference):
        if event.note_envelope is None or event.id is None:
            continue
        blob = rewrap_note(record, event)
        if blob is not None:
            inbox.replace_note(record.reference, event.id, blob, actor)
            count += 1
    return count
