"""Key rotation: re-seal every envelope that is not on its recipient's current keys."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from storage.envelope import RecipientKey, key_id, rewrap
from storage.errors import SealedEnvelopeError
from storage.inbox.types import Inbox

log = logging.getLogger(__name__)


def rewrap_inbox(
    inbox: Inbox,
    *,
    private_key: X25519PrivateKey,
    verify_keys: Mapping[str, Ed25519PublicKey],
    signing_key: Ed25519PrivateKey,
    actor: str,
) -> dict[str, int]:
    """Counts: `done` re-sealed, `current` already on the current keys, `other` not openable
    with `private_key` (sealed to other keys, or failing verification)."""
    mine = key_id(private_key.public_key())
    counts = {"done": 0, "current": 0, "other": 0}
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
    log.info("rewrap: %s", counts)
    return counts
