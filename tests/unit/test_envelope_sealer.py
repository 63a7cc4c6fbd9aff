"""EnvelopeSealer: the Sealer the filing use case calls."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from storage.crypto.envelope import RecipientKey, key_id, open_envelope
from storage.crypto.errors import NoRecipientKeysError
from storage.crypto.sealer import EnvelopeSealer

SIGNER = Ed25519PrivateKey.generate()
VERIFY = {key_id(SIGNER.public_key()): SIGNER.public_key()}
STAFF, BACKUP = X25519PrivateKey.generate(), X25519PrivateKey.generate()
FILED_AT = datetime(2026, 2, 3, 12, 0, tzinfo=UTC)
NAMES = {"reference": "KE-AAAA-0001", "channel": "file"}


def keys_by_recipient(recipient: str) -> Sequence[RecipientKey]:
    table = {"0301": [RecipientKey.of(STAFF.public_key()), RecipientKey.of(BACKUP.public_key())]}
    return table.get(recipient, [])


def test_seals_to_the_recipients_keys_and_names_them() -> None:
    sealer = EnvelopeSealer(keys_by_recipient, SIGNER)
    referral_id = uuid.uuid4()
    blob, key_ids = sealer.seal(b"body", referral_id, "0301", FILED_AT, **NAMES)
    assert key_ids == (key_id(STAFF.public_key()), key_id(BACKUP.public_key()))
    for key in (STAFF, BACKUP):
        header, body = open_envelope(blob, private_key=key, verify_keys=VERIFY)
        assert body == b"body"
        assert (header.referral_id, header.recipient, header.filed_at) == (
            referral_id,
            "0301",
            FILED_AT,
        )
        assert header.key_ids == key_ids


def test_asks_for_keys_at_every_filing() -> None:
    current: list[RecipientKey] = [RecipientKey.of(STAFF.public_key())]
    sealer = EnvelopeSealer(lambda _recipient: current, SIGNER)
    assert sealer.seal(b"x", uuid.uuid4(), "0301", FILED_AT, **NAMES)[1] == (
        key_id(STAFF.public_key()),
    )
    current[:] = [RecipientKey.of(BACKUP.public_key())]
    assert sealer.seal(b"x", uuid.uuid4(), "0301", FILED_AT, **NAMES)[1] == (
        key_id(BACKUP.public_key()),
    )


def test_a_key_listed_twice_is_used_once() -> None:
    twice = [RecipientKey.of(STAFF.public_key())] * 2
    _, key_ids = EnvelopeSealer(lambda _r: twice, SIGNER).seal(
        b"x", uuid.uuid4(), "0301", FILED_AT, **NAMES
    )
    assert key_ids == (key_id(STAFF.public_key()),)


def test_a_recipient_without_keys_is_a_clear_error() -> None:
    sealer = EnvelopeSealer(keys_by_recipient, SIGNER)
    with pytest.raises(NoRecipientKeysError, match="no recipient key is registered for 4601"):
        sealer.seal(b"x", uuid.uuid4(), "4601", FILED_AT, **NAMES)
