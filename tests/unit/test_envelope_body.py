"""The plaintext inside an envelope: referral JSON plus attachments keyed by sha256."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.crypto.body import pack_body, unpack_body
from storage.crypto.errors import SealedEnvelopeError

PDF = b"%PDF-1.4 synthetic"
PNG = b"\x89PNG synthetic"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_round_trip_with_attachments() -> None:
    packed = pack_body(b'{"a":1}', [(digest(PDF), PDF), (digest(PNG), PNG)])
    assert unpack_body(packed) == (b'{"a":1}', {digest(PDF): PDF, digest(PNG): PNG})


def test_the_same_attachment_twice_is_stored_once() -> None:
    once = pack_body(b"{}", [(digest(PDF), PDF)])
    assert pack_body(b"{}", [(digest(PDF), PDF), (digest(PDF), PDF)]) == once


def test_pack_refuses_a_digest_that_does_not_match() -> None:
    with pytest.raises(ValueError, match="sha256"):
        pack_body(b"{}", [(digest(PNG), PDF)])


@given(st.binary(max_size=200), st.lists(st.binary(max_size=100), max_size=4))
def test_round_trip_any_content(referral: bytes, files: list[bytes]) -> None:
    json_bytes, attachments = unpack_body(pack_body(referral, [(digest(f), f) for f in files]))
    assert json_bytes == referral
    assert attachments == {digest(f): f for f in files}


def test_every_truncation_and_extension_is_refused() -> None:
    packed = pack_body(b'{"a":1}', [(digest(PDF), PDF)])
    for length in range(len(packed)):
        with pytest.raises(SealedEnvelopeError):
            unpack_body(packed[:length])
    with pytest.raises(SealedEnvelopeError):
        unpack_body(packed + b"\x00")


def test_a_changed_attachment_is_refused() -> None:
    packed = bytearray(pack_body(b"{}", [(digest(PDF), PDF)]))
    packed[-1] ^= 1
    with pytest.raises(SealedEnvelopeError):
        unpack_body(bytes(packed))
