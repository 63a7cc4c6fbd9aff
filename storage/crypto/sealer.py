"""The Sealer the filing use case (intake/filing.py) calls: envelope sealing with injected keys."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from storage.crypto.envelope import RecipientKey, seal
from storage.crypto.errors import NoRecipientKeysError


class EnvelopeSealer:
    """Seals to the current keys of a recipient and signs with the intake service's key.

    `recipient_keys` is asked at every filing (e.g. `inbox.recipient_keys`), so a key added or
    rotated in the inbox takes effect for the next referral without a restart.
    """

    def __init__(
        self,
        recipient_keys: Callable[[str], Sequence[RecipientKey]],
        signing_key: Ed25519PrivateKey,
    ) -> None:
        self._recipient_keys = recipient_keys
        self._signing_key = signing_key

    def seal(
        self,
        body: bytes,
        referral_id: uuid.UUID,
        recipient: str,
        filed_at: datetime,
        *,
        reference: str,
        channel: str,
    ) -> tuple[bytes, tuple[str, ...]]:
        # A key registered twice must not become two stanzas for the same key id.
        keys = list({k.key_id: k for k in self._recipient_keys(recipient)}.values())
        if not keys:
            raise NoRecipientKeysError(recipient)
        blob = seal(
            body,
            referral_id=referral_id,
            reference=reference,
            recipient=recipient,
            channel=channel,
            filed_at=filed_at,
            recipients=keys,
            signing_key=self._signing_key,
        )
        return blob, tuple(k.key_id for k in keys)
