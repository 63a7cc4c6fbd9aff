"""Sealed envelopes: round trips, header binding, rewrap, padding."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from storage.crypto.envelope import (
    _SUITE,
    MAGIC,
    PAD_FLOOR,
    WRAP_LABEL,
    RecipientKey,
    SealedEnvelopeError,
    key_id,
    open_envelope,
    padded_size,
    read_header,
    rewrap,
    seal,
    verify_signature,
)

REFERRAL_ID = uuid.UUID("3f0c8a52-1b7d-4e9a-8c21-5d6e7f809a1b")
FILED_AT = datetime(2026, 5, 4, 10, 30, 0, 123456, tzinfo=UTC)
BODY = b'{"need":{"description":"synthetic test text"}}'
REFERENCE = "KE-7K4M-Q9XA"

V1_VECTORS = json.loads(
    (Path(__file__).parents[1] / "vectors" / "envelope-v1-open.json").read_text()
)
STAFF_A, STAFF_B, BACKUP, OUTSIDER = (X25519PrivateKey.generate() for _ in range(4))
SIGNER = Ed25519PrivateKey.generate()
VERIFY = {key_id(SIGNER.public_key()): SIGNER.public_key()}


def recipients(*keys: X25519PrivateKey) -> list[RecipientKey]:
    return [RecipientKey.of(k.public_key()) for k in keys]


def sealed(body: bytes = BODY, *keys: X25519PrivateKey, recipient: str = "0301") -> bytes:
    return seal(
        body,
        referral_id=REFERRAL_ID,
        reference=REFERENCE,
        recipient=recipient,
        channel="telegram",
        filed_at=FILED_AT,
        recipients=recipients(*(keys or (STAFF_A, STAFF_B, BACKUP))),
        signing_key=SIGNER,
    )


def test_every_recipient_opens_and_reads_the_header() -> None:
    blob = sealed()
    for key in (STAFF_A, STAFF_B, BACKUP):
        header, body = open_envelope(blob, private_key=key, verify_keys=VERIFY)
        assert body == BODY
        assert header.version == 2
        assert (header.reference, header.channel) == (REFERENCE, "telegram")
        assert header.referral_id == REFERRAL_ID
        assert header.recipient == "0301"
        assert header.filed_at == FILED_AT
        assert header.key_ids == tuple(r.key_id for r in recipients(STAFF_A, STAFF_B, BACKUP))
        assert header.signer_key_id == key_id(SIGNER.public_key())


def test_a_non_recipient_cannot_open() -> None:
    with pytest.raises(SealedEnvelopeError):
        open_envelope(sealed(), private_key=OUTSIDER, verify_keys=VERIFY)


def test_header_and_signature_are_readable_without_a_private_key() -> None:
    blob = sealed()
    assert blob.startswith(MAGIC)
    assert read_header(blob) == verify_signature(blob, VERIFY)
    with pytest.raises(SealedEnvelopeError):
        verify_signature(blob, {})  # the filing service's key is not known: refuse


def test_plaintext_does_not_appear_in_the_envelope() -> None:
    marker = b"synthetic test text"
    assert marker not in sealed()


def test_each_seal_uses_a_fresh_data_key() -> None:
    first, second = sealed(), sealed()
    assert first != second
    assert read_header(first) == read_header(second)


def test_filing_time_is_normalised_to_utc() -> None:
    oslo = FILED_AT.astimezone(timezone(timedelta(hours=2)))
    blob = seal(
        BODY,
        referral_id=REFERRAL_ID,
        reference=REFERENCE,
        recipient="0301",
        channel="file",
        filed_at=oslo,
        recipients=recipients(STAFF_A),
        signing_key=SIGNER,
    )
    assert read_header(blob).filed_at == FILED_AT
    assert read_header(blob).filed_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"recipients": []}, "recipient keys"),
        ({"recipients": recipients(STAFF_A, STAFF_A)}, "recipient keys"),
        ({"filed_at": datetime(2026, 5, 4, 10, 30)}, "timezone"),
        ({"recipient": "03 01"}, "kommune number or KE id"),
        ({"recipients": [RecipientKey("0" * 16, STAFF_A.public_key())]}, "does not match"),
        ({"reference": "KE 7K4M"}, "reference and channel"),
        ({"reference": ""}, "reference and channel"),
        ({"channel": "Telegram!"}, "reference and channel"),
    ],
)
def test_seal_refuses_programming_errors(change: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "referral_id": REFERRAL_ID,
        "reference": REFERENCE,
        "recipient": "0301",
        "channel": "web",
        "filed_at": FILED_AT,
        "recipients": recipients(STAFF_A),
        "signing_key": SIGNER,
        **change,
    }
    with pytest.raises(ValueError, match=message):
        seal(BODY, **args)  # type: ignore[arg-type]


def test_key_ids_are_short_stable_and_distinct_per_kind() -> None:
    public = STAFF_A.public_key()
    assert key_id(public) == key_id(
        X25519PrivateKey.from_private_bytes(STAFF_A.private_bytes_raw()).public_key()
    )
    assert len(key_id(public)) == 16
    assert int(key_id(public), 16) >= 0
    assert key_id(public) != key_id(STAFF_B.public_key())
    # The same 32 bytes read as an Ed25519 key get another id.
    same_bytes = Ed25519PrivateKey.generate().public_key()
    assert key_id(same_bytes) != key_id(public)


# -- rewrap ----------------------------------------------------------------------------------


def test_rewrap_drops_a_removed_key_and_adds_a_new_one_without_the_signing_key() -> None:
    old = sealed(BODY, STAFF_A, STAFF_B)
    new_key = X25519PrivateKey.generate()
    # A KE re-wraps on its own side: no signing key; the filing signature stays valid.
    rewrapped = rewrap(
        old, private_key=STAFF_A, verify_keys=VERIFY, recipients=recipients(new_key, STAFF_A)
    )
    for key in (new_key, STAFF_A):
        assert open_envelope(rewrapped, private_key=key, verify_keys=VERIFY)[1] == BODY
    with pytest.raises(SealedEnvelopeError):
        open_envelope(rewrapped, private_key=STAFF_B, verify_keys=VERIFY)
    before, after = read_header(old), read_header(rewrapped)
    assert after == replace(
        before, key_ids=(key_id(new_key.public_key()), key_id(STAFF_A.public_key()))
    )
    assert old[-64:] == rewrapped[-64:]  # the same signature over the same header and body


def test_a_stanza_added_for_an_outsider_without_the_data_key_opens_nothing() -> None:
    """Stanzas are outside the signature: a database writer may add one, but without the data
    key it can only wrap a wrong one, which then fails the body's AEAD."""
    blob = sealed(BODY, STAFF_A)
    forged_for = RecipientKey.of(OUTSIDER.public_key())
    end = len(MAGIC) + 4 + int.from_bytes(blob[len(MAGIC) : len(MAGIC) + 4])
    header = blob[:end]
    info = WRAP_LABEL + hashlib.sha256(header).digest()
    stanza = forged_for.key_id.encode() + _SUITE.encrypt(
        bytes(32), forged_for.public_key, info=info
    )
    added = header + bytes([2]) + blob[end + 1 : end + 97] + stanza + blob[end + 97 :]
    assert open_envelope(added, private_key=STAFF_A, verify_keys=VERIFY)[1] == BODY
    with pytest.raises(SealedEnvelopeError):
        open_envelope(added, private_key=OUTSIDER, verify_keys=VERIFY)


def test_rewrap_needs_a_key_that_opens_the_envelope() -> None:
    with pytest.raises(SealedEnvelopeError):
        rewrap(
            sealed(),
            private_key=OUTSIDER,
            verify_keys=VERIFY,
            recipients=recipients(OUTSIDER),
        )


def test_a_version_1_envelope_is_upgraded_with_the_signing_key_and_its_names() -> None:
    case = next(c for c in V1_VECTORS if c["expect"] == "success")
    old = base64.b64decode(case["envelope"])
    staff = X25519PrivateKey.from_private_bytes(bytes.fromhex(case["private_key"]))
    verify = {
        kid: Ed25519PublicKey.from_public_bytes(bytes.fromhex(raw))
        for kid, raw in case["verify_keys"].items()
    }
    assert read_header(old).version == 1
    with pytest.raises(ValueError, match="signing key"):
        rewrap(old, private_key=staff, verify_keys=verify, recipients=recipients(staff))
    v1_signer = Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(b"ke-intake test vector signer").digest()
    )
    upgraded = rewrap(
        old,
        private_key=staff,
        verify_keys=verify,
        recipients=recipients(staff),
        signing_key=v1_signer,
        reference=REFERENCE,
        channel="file",
    )
    header, body = open_envelope(upgraded, private_key=staff, verify_keys=verify)
    assert (header.version, header.reference, header.channel) == (2, REFERENCE, "file")
    assert body == base64.b64decode(case["body"])
    assert header.referral_id == read_header(old).referral_id


# -- padding ---------------------------------------------------------------------------------


def test_small_bodies_all_have_the_same_size() -> None:
    sizes = {len(sealed(bytes(n))) for n in (0, 1, 100, 1000, PAD_FLOOR - 4)}
    assert len(sizes) == 1
    assert len(sealed(bytes(PAD_FLOOR))) > sizes.pop()


def test_bodies_in_one_bucket_have_the_same_size() -> None:
    assert len(sealed(bytes(20_000))) == len(sealed(bytes(20_400)))
    assert padded_size(20_000) == padded_size(20_400) == 20_480


@given(st.integers(min_value=0, max_value=50_000_000))
def test_padme_bounds(length: int) -> None:
    size = padded_size(length)
    assert size >= max(length + 4, PAD_FLOOR)
    assert size <= max(PAD_FLOOR, (length + 4) * 1.12 + 1)
    # padmé keeps only the top few bits of the size: the rest are zero
    exponent = size.bit_length() - 1
    low_bits = exponent - exponent.bit_length()
    assert size % (1 << low_bits) == 0


@given(st.integers(min_value=0, max_value=10_000_000), st.integers(min_value=0, max_value=1000))
def test_padme_is_monotonic(length: int, extra: int) -> None:
    assert padded_size(length) <= padded_size(length + extra)


@given(st.binary(max_size=6000))
def test_round_trip_any_body(body: bytes) -> None:
    blob = sealed(body, STAFF_A)
    assert open_envelope(blob, private_key=STAFF_A, verify_keys=VERIFY)[1] == body


def test_a_wrong_argument_type_is_reported_plainly() -> None:
    with pytest.raises(TypeError, match="X25519PrivateKey"):
        open_envelope(sealed(), private_key=SIGNER, verify_keys=VERIFY)  # type: ignore[arg-type]
