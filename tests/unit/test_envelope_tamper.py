"""Every tampered envelope fails with the one opaque error, whatever was changed.

Version 2 layout: header (signed) | stanza count | count x (key id 16 | wrapped key 80) | body |
signature. Stanzas are outside the signature: damage to another recipient's stanza only ever
locks that recipient out (tested below), never lets anything else through."""

from __future__ import annotations

import contextlib
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
        reference="KE-AAAA-0007",
        recipient="0301",
        channel="telegram",
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


def header_end(blob: bytes) -> int:
    return len(MAGIC) + 4 + int.from_bytes(blob[len(MAGIC) : len(MAGIC) + 4])


def body_start(blob: bytes) -> int:
    end = header_end(blob)
    return end + 1 + blob[end] * STANZA


def resign(blob: bytes, signer: Ed25519PrivateKey = SIGNER) -> bytes:
    """Sign again what version 2 signs: the header and the body ciphertext."""
    signed = blob[: header_end(blob)] + blob[body_start(blob) : -64]
    return blob[:-64] + signer.sign(SIGNATURE_LABEL + signed)


STANZA = 16 + 80
HEADER_END = header_end(GOOD)
BODY_START = body_start(GOOD)
STAFF_STANZA = range(HEADER_END + 1, HEADER_END + 1 + STANZA)
BACKUP_STANZA = range(HEADER_END + 1 + STANZA, HEADER_END + 1 + 2 * STANZA)


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
        tampered = GOOD[:index] + bytes([flipped]) + GOOD[index + 1 :]
        if index in BACKUP_STANZA or index in STAFF_STANZA:
            # A stanza is that recipient's alone: its owner is locked out; the other recipient
            # either still opens the true body or (a key id no longer ASCII) fails like anyone.
            owner, other = (BACKUP, STAFF) if index in BACKUP_STANZA else (STAFF, BACKUP)
            fails_opaquely(tampered, owner)
            with contextlib.suppress(SealedEnvelopeError):
                assert open_envelope(tampered, private_key=other, verify_keys=VERIFY)[1] == b"body"
        else:
            fails_opaquely(tampered)
            fails_opaquely(tampered, BACKUP)


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
    fails_opaquely(keys_swapped)
    fails_opaquely(resign(keys_swapped))


@pytest.mark.parametrize(
    "changes",
    [
        {"recipient": "4601"},
        {"referral_id": str(uuid.UUID(int=8))},
        {"filed_at": "2026-01-05T08:00:01.000000Z"},
        {"reference": "KE-BBBB-0008"},
        {"channel": "web"},
    ],
)
def test_a_changed_header_fails_signed_or_not(changes: dict[str, object]) -> None:
    edited = with_header(GOOD, **changes)
    fails_opaquely(edited)
    fails_opaquely(resign(edited))
    # A DB writer without the signing key is caught before any private key is involved.
    with pytest.raises(SealedEnvelopeError):
        verify_signature(edited, VERIFY)


def test_a_removed_stanza_locks_out_only_that_recipient() -> None:
    removed = GOOD[:HEADER_END] + bytes([1]) + GOOD[HEADER_END + 1 : HEADER_END + 1 + STANZA]
    removed += GOOD[BODY_START:]
    fails_opaquely(removed, BACKUP)
    assert open_envelope(removed, private_key=STAFF, verify_keys=VERIFY)[1] == b"body"
    # a stanza count that does not match the stanzas shifts the body: nothing opens
    fails_opaquely(GOOD[:HEADER_END] + bytes([1]) + GOOD[HEADER_END + 1 :])
    fails_opaquely(GOOD[:HEADER_END] + bytes([3]) + GOOD[HEADER_END + 1 :])


def test_a_stanza_moved_to_another_key_id_fails() -> None:
    ids = (
        GOOD[HEADER_END + 1 : HEADER_END + 17],
        GOOD[HEADER_END + 1 + STANZA : HEADER_END + 17 + STANZA],
    )
    swapped = bytearray(GOOD)
    swapped[HEADER_END + 1 : HEADER_END + 17] = ids[1]
    swapped[HEADER_END + 1 + STANZA : HEADER_END + 17 + STANZA] = ids[0]
    fails_opaquely(bytes(swapped))
    fails_opaquely(bytes(swapped), BACKUP)


def test_an_unknown_version_fails() -> None:
    for magic in (b"ke-intake/sealed/v3\n", b"ke-intake/sealed/v0\n", b"age-encryption.org/v1\n"):
        fails_opaquely(magic + GOOD[len(MAGIC) :])
    # a version 2 envelope relabelled as version 1 is not a valid version 1 envelope
    fails_opaquely(b"ke-intake/sealed/v1\n" + GOOD[len(MAGIC) :])


def test_a_forged_envelope_from_another_signer_fails_verification() -> None:
    forger = Ed25519PrivateKey.generate()
    forged = seal(
        b"forged",
        referral_id=uuid.UUID(int=9),
        reference="KE-AAAA-0009",
        recipient="0301",
        channel="file",
        filed_at=datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
        recipients=[RecipientKey.of(STAFF.public_key())],
        signing_key=forger,
    )
    with pytest.raises(SealedEnvelopeError):
        verify_signature(forged, VERIFY)
    fails_opaquely(forged)
    # ... and claiming the real signer's id does not help.
    claimed = with_header(forged, signer=key_id(SIGNER.public_key()))
    fails_opaquely(resign(claimed, forger))


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
        st.sampled_from(
            ["recipient", "referral_id", "filed_at", "reference", "channel", "signer", "extra"]
        ),
        st.one_of(st.none(), st.integers(), st.text(max_size=20), st.lists(st.integers())),
    )
)
def test_malformed_header_fields_raise_the_opaque_error(changes: dict[str, object]) -> None:
    edited = with_header(GOOD, **changes)
    if edited == GOOD:
        return
    fails_opaquely(resign(edited))
