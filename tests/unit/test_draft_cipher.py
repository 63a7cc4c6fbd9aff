"""The draft cipher's AES-GCM tokens (text and bytes): round trip, expiry, tamper and retired
keys are one error, rotation keeps the creation time, and drafts written as Fernet tokens before
the change still open under the same keys."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from storage.drafts import DraftCipher, DraftUnreadable, generate_key, parse_keys
from storage.drafts.cipher import MAGIC, PREFIX

TTL = 72 * 3600


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_bytes_tokens_round_trip_expire_and_refuse_tampering() -> None:
    clock = Clock()
    cipher = DraftCipher(parse_keys(generate_key()), clock=clock)
    token = cipher.encrypt_bytes(b"Kari Nordmann")
    assert token.startswith(MAGIC) and b"Kari" not in token
    assert cipher.decrypt_bytes(token, ttl_seconds=TTL) == b"Kari Nordmann"
    assert cipher.encrypt_bytes(b"Kari Nordmann") != token  # a fresh nonce each time
    for broken in (token[:-1] + bytes([token[-1] ^ 1]), token[:20], token[:30] + b"x" + token[31:]):
        with pytest.raises(DraftUnreadable):
            cipher.decrypt_bytes(broken)
    clock.now += TTL + 1
    with pytest.raises(DraftUnreadable):
        cipher.decrypt_bytes(token, ttl_seconds=TTL)
    assert cipher.expired(PREFIX + "x", TTL)


def test_text_and_bytes_tokens_open_each_other_and_a_retired_key_opens_neither() -> None:
    old, new = generate_key(), generate_key()
    before = DraftCipher(parse_keys(old))
    text, raw = before.encrypt(b"draft"), before.encrypt_bytes(b"draft")
    assert text.startswith(PREFIX) and text.isascii()
    rotated = DraftCipher(parse_keys(f"{new},{old}"))
    assert rotated.decrypt(text) == rotated.decrypt_bytes(raw) == b"draft"
    assert rotated.decrypt_bytes(text.encode("ascii")) == b"draft"
    only_new = DraftCipher(parse_keys(new))
    with pytest.raises(DraftUnreadable):
        only_new.decrypt_bytes(raw)
    assert only_new.decrypt(rotated.rotate(text)) == b"draft"


def test_fernet_tokens_from_before_still_open_and_rotate_with_their_time() -> None:
    clock = Clock()
    key = generate_key()
    legacy = Fernet(key.encode()).encrypt_at_time(b"draft", int(clock.now)).decode("ascii")
    cipher = DraftCipher(parse_keys(key), clock=clock)
    assert cipher.decrypt(legacy, ttl_seconds=TTL) == b"draft"
    assert cipher.decrypt_bytes(legacy.encode("ascii"), ttl_seconds=TTL) == b"draft"
    clock.now += TTL - 10
    rotated = cipher.rotate(legacy)
    assert rotated.startswith(PREFIX) and cipher.decrypt(rotated, ttl_seconds=TTL) == b"draft"
    clock.now += 20  # the rotated token is as old as the Fernet one was
    assert cipher.expired(rotated, TTL)
    with pytest.raises(DraftUnreadable):
        cipher.decrypt(rotated, ttl_seconds=TTL)
