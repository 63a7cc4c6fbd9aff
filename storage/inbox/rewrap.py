"""Key rotation: re-seal every envelope that is not on its recipient's current keys."""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from storage.crypto.body import unpack_body
from storage.crypto.envelope import RecipientKey, key_id, open_envelope, rewrap
from storage.crypto.errors import SealedEnvelopeError
from storage.inbox.common import KEY_CACHE_SECONDS
from storage.inbox.types import Inbox, InboxRecord, StatusEvent

log = logging.getLogger(__name__)
# How long a filing may take from sealing (to the keys it read) to being stored: sealing, the
# group commit and its fsync, with room for a loaded machine.
IN_FLIGHT_SECONDS = 1.0
_KEY_CHANGES = frozenset({"key_added", "key_retired"})


# Re-seals one status note of a record to the current keys; None when it cannot (or need not).
NoteRewrapper = Callable[[InboxRecord, StatusEvent], bytes | None]


def rewrap_inbox(
    inbox: Inbox,
    *,
    private_key: X25519PrivateKey,
    verify_keys: Mapping[str, Ed25519PublicKey],
    signing_key: Ed25519PrivateKey | None,
    actor: str,
    rewrap_note: NoteRewrapper | None = None,
    settle_seconds: float | None = None,
) -> dict[str, int]:
    """Counts: `done` re-sealed, `current` already on the current keys, `other` not openable
    with `private_key` (sealed to other keys, or failing verification), `notes` status notes
    re-sealed by `rewrap_note` (whose format belongs to the staff tools) for the records done,
    `upgraded` version 1 envelopes moved to version 2 (only with `signing_key`: the intake side).

    A version 2 envelope is re-wrapped without any signing key (see storage.crypto.envelope).
    A version 1 envelope is upgraded even when its keys are current: its reference, channel
    and reception time become signed, taken from the referral body it signed, never from the
    row.

    Right after a key change, another process may still seal a filing to the old key set: it
    reads the keys at most KEY_CACHE_SECONDS before sealing, and the filing then takes up to
    IN_FLIGHT_SECONDS to be stored. So by default (`settle_seconds=None`) the re-seal first
    waits until that long has passed since the newest key change in the audit log (no wait when
    it is older), and after its pass looks once more for referrals stored meanwhile."""
    if settle_seconds is None:
        settle_seconds = settle_after_key_change(inbox)
    if settle_seconds > 0:
        time.sleep(settle_seconds)
    mine = key_id(private_key.public_key())
    counts = {"done": 0, "current": 0, "other": 0, "notes": 0, "upgraded": 0}
    current_keys: dict[str, list[RecipientKey]] = {}
    seen: set[str] = set()
    for record in itertools.chain(inbox.list(), _late(inbox, seen)):  # the second, lazily
        seen.add(record.reference)
        if record.recipient not in current_keys:
            current_keys[record.recipient] = inbox.recipient_keys(record.recipient)
        keys = current_keys[record.recipient]
        upgrade = record.envelope_version == 1 and signing_key is not None
        if not keys or (set(record.key_ids) == {k.key_id for k in keys} and not upgrade):
            counts["current"] += 1
            continue
        if mine not in record.key_ids:
            counts["other"] += 1
            continue
        try:
            blob = _rewrapped(record, inbox.envelope(record.reference), private_key, verify_keys,
                              keys, signing_key if upgrade else None)  # fmt: skip
        except SealedEnvelopeError:
            log.warning("rewrap: envelope %s could not be opened; left as it is", record.reference)
            counts["other"] += 1
            continue
        inbox.replace_envelope(record.reference, blob, [k.key_id for k in keys], actor)
        counts["done"] += 1
        counts["upgraded"] += upgrade
        if rewrap_note is not None:
            counts["notes"] += _rewrap_notes(inbox, record, rewrap_note, actor)
    log.info("rewrap: %s", counts)
    return counts


def _late(inbox: Inbox, seen: set[str]) -> Iterator[InboxRecord]:
    """Referrals stored while the first pass ran (read when the first pass is done)."""
    yield from (r for r in inbox.list() if r.reference not in seen)


def settle_after_key_change(inbox: Inbox, now: datetime | None = None) -> float:
    """Seconds still to wait before a re-seal catches every filing sealed to the key set
    before the newest key change (0 when that change is old enough)."""
    window = KEY_CACHE_SECONDS + IN_FLIGHT_SECONDS
    changes = [e.at for e in inbox.audit_entries() if e.action in _KEY_CHANGES]
    if not changes:
        return 0.0
    since = ((now or datetime.now(UTC)) - max(changes)).total_seconds()
    return min(window, max(0.0, window - since))


def _rewrapped(
    record: InboxRecord,
    blob: bytes,
    private_key: X25519PrivateKey,
    verify_keys: Mapping[str, Ed25519PublicKey],
    keys: list[RecipientKey],
    signing_key: Ed25519PrivateKey | None,
) -> bytes:
    if signing_key is None:
        return rewrap(blob, private_key=private_key, verify_keys=verify_keys, recipients=keys)
    _, body = open_envelope(blob, private_key=private_key, verify_keys=verify_keys)
    reference, channel = signed_names(body)
    if (reference, channel) != (record.reference, record.channel):
        log.warning("rewrap: %s disagrees with its signed body; left as it is", record.reference)
        raise SealedEnvelopeError()
    return rewrap(blob, private_key=private_key, verify_keys=verify_keys, recipients=keys,
                  signing_key=signing_key, reference=reference, channel=channel)  # fmt: skip


def signed_names(body: bytes) -> tuple[str | None, str | None]:
    """(reference, channel) a referral body names in its `meta`; (None, None) otherwise."""
    try:
        referral_json, _ = unpack_body(body)
        meta = json.loads(referral_json).get("meta") or {}
    except (SealedEnvelopeError, ValueError, AttributeError):
        return None, None
    reference, channel = meta.get("reference"), meta.get("channel")
    return (reference if isinstance(reference, str) else None,
            channel if isinstance(channel, str) else None)  # fmt: skip


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
