"""Errors the storage layer raises on purpose.

Messages are fixed English sentences for developers (the CLIs translate them); they never carry
key material, passphrases or referral content.
"""

from __future__ import annotations

from intake.errors import IntakeError


class SealedEnvelopeError(IntakeError):
    """Any failure to read, verify or open a sealed envelope.

    Deliberately one type with one message: telling "bad signature" from "wrong key" or "bad
    padding" would hand an attacker an oracle.
    """

    MESSAGE = "the sealed envelope cannot be opened"

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)


class KeyFileError(IntakeError):
    """A key file that cannot be written or read (wrong passphrase, corrupt, wrong kind)."""


class NoRecipientKeysError(IntakeError):
    """Sealing was asked for a recipient (kommune or KE) that has no registered public key."""

    def __init__(self, recipient: str) -> None:
        self.recipient = recipient
        super().__init__(
            f"no recipient key is registered for {recipient}; "
            "register one with `ke-intake keys add` before filing"
        )
