"""Every tampered envelope fails with the one opaque error, whatever was changed."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.crypto.envelope import (
    MAGIC,
    SIGNATURE_LABEL,
    RecipientKey,
    SealedEnvelopeError,
    key_id,
    open_envelope,
    read_header,
    seal,
    verify_signature,
)

STAFF, BACKUP = X25519PrivateKey.generate(), X25519PrivateKey.generate()
SIGNER = Ed25519PrivateKey.generate()
VERIFY = {key_id(SIGNER.public_key()): SIGNER.public_key()}


def sealed(referral_id: uuid.UUID | None = None, body: bytes = b"body") -> bytes:
    return seal(
        body,
        referral_id=referral_id or uuid.UUID(int=7),
        recipient="0301",
        filed_at=datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
        recipients=[RecipientKey.of(STAFF.public_key()), RecipientKey.of(BACKUP.public_key())],
        signing_key=SIGNER,
    )


GOOD = sealed()


def fails_opaquely(blob: bytes, key: X25519PrivateKey = STAFF) -> None:
    with pytest.raises(SealedEnvelopeError) as caught:
        open_envelope(blob, private_key=key, verify_keys=VERIFY)
    assert type(caught.value) is SealedEnvelopeError
    assert str(caught.value) == SealedEnvelopeError.MESSAGE
    # No chained cause either: nothing in a traceback tells one failure from another.
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def resign(blob: bytes) -> bytes:
    return blob[:-64] + SIGNER.sign(SIGNATURE_LABEL + blob[:-64])


def header_end(blob: bytes) -> int:
    return len(MAGIC) + 4 + int.from_bytes(blob[len(MAGIC) : len(MAGIC) + 4])


HEADER_END = header_end(GOOD)
BODY_START = HEADER_END + 2 * 80


def with_header(blob: bytes, **changes: object) -> bytes:
    end = header_end(blob)
    fields = json.loads(blob[len(MAGIC) + 4 : end])
    fields.update(changes)
    raw = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return MAGIC + len(raw).to_bytes(4) + raw + blob[end:]


def test_a_flipped_bit_anywhere_fails() -> None:
    # Every byte of magic, header, wrapped keys, tag and signature; the body's bytes are alike,
    # so a stride through them is enough.
    body = range(BODY_START, len(GOOD) - 64 - 16)
    for index in range(len(GOOD)):
        if index in body and index % 13:
            continue
        flipped = GOOD[index] ^ (1 << index % 8)
        fails_opaquely(GOOD[:index] + bytes([flipped]) + GOOD[index + 1 :])


def test_a_flipped_bit_in_the_body_fails_even_when_re_signed() -> None:
    for index in range(BODY_START, len(GOOD) - 64, 97):
        tampered = GOOD[:index] + bytes([GOOD[index] ^ 0x04]) + GOOD[index + 1 :]
        fails_opaquely(resign(tampered))


def test_every_truncation_fails() -> None:
    lengths = [*range(BODY_START + 1), *range(BODY_START, len(GOOD), 11), len(GOOD) - 1]
    for length in lengths:
        fails_opaquely(GOOD[:length])
        with pytest.raises(SealedEnvelopeError):
            verify_signature(GOOD[:length], VERIFY)


def test_appended_bytes_fail() -> None:
    fails_opaquely(GOOD + b"\x00")


def test_a_body_swapped_between_envelopes_fails_even_when_re_signed() -> None:
    other = sealed(uuid.UUID(int=8), b"other body")
    swapped = GOOD[:BODY_START] + other[BODY_START:]
    fails_opaquely(swapped)
    fails_opaquely(resign(swapped))
    keys_swapped = GOOD[:HEADER_END] + other[HEADER_END:BODY_START] + GOOD[BODY_START:]
    fails_opaquely(resign(keys_swapped))


@pytest.mark.parametrize(
    "changes",
    [
        {"recipient": "4601"},
        {"referral_id": str(uuid.UUID(int=8))},
        {"filed_at": "2026-01-05T08:00:01.000000Z"},
        {"key_ids": [key_id(BACKUP.public_key()), key_id(STAFF.public_key())]},
    ],
)
def test_a_changed_header_fails_signed_or_not(changes: dict[str, object]) -> None:
    edited = with_header(GOOD, **changes)
    fails_opaquely(edited)
    fails_opaquely(resign(edited))
    # A DB writer without the signing key is caught before any private key is involved.
    with pytest.raises(SealedEnvelopeError):
        verify_signature(edited, VERIFY)


def test_a_removed_recipient_fails() -> None:
    edited = with_header(GOOD, key_ids=[key_id(STAFF.public_key())])
    end = header_end(edited)
    removed = edited[: end + 80] + edited[end + 160 :]  # drop the backup key's stanza
    fails_opaquely(removed)
    fails_opaquely(resign(removed))


def test_an_unknown_version_fails() -> None:
    for magic in (b"ke-intake/sealed/v2\n", b"ke-intake/sealed/v0\n", b"age-encryption.org/v1\n"):
        fails_opaquely(resign(magic + GOOD[len(MAGIC) :]))


def test_a_forged_envelope_from_another_signer_fails_verification() -> None:
    forger = Ed25519PrivateKey.generate()
    forged = seal(
        b"forged",
        referral_id=uuid.UUID(int=9),
        recipient="0301",
        filed_at=datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
        recipients=[RecipientKey.of(STAFF.public_key())],
        signing_key=forger,
    )
    with pytest.raises(SealedEnvelopeError):
        verify_signature(forged, VERIFY)
    fails_opaquely(forged)
    # ... and claiming the real signer's id does not help.
    claimed = with_header(forged, signer=key_id(SIGNER.public_key()))
    fails_opaquely(claimed[:-64] + forger.sign(SIGNATURE_LABEL + claimed[:-64]))


def test_a_wrong_key_fails() -> None:
    fails_opaquely(GOOD, X25519PrivateKey.generate())


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(st.binary(max_size=600))
def test_garbage_only_ever_raises_the_opaque_error(data: bytes) -> None:
    for blob in (data, MAGIC + data, GOOD[: len(MAGIC) + 4] + data):
        with pytest.raises(SealedEnvelopeError):
            read_header(blob)
        fails_opaquely(blob)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=100)
@given(
    st.dictionaries(
        st.sampled_from(["recipient", "referral_id", "filed_at", "key_ids", "signer", "extra"]),
        st.one_of(st.none(), st.integers(), st.text(max_size=20), st.lists(st.integers())),
    )
)
def test_malformed_header_fields_raise_the_opaque_error(changes: dict[str, object]) -> None:
    edited = with_header(GOOD, **changes)
    if edited == GOOD:
        return
    fails_opaquely(resign(edited))
